package rehearsal

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"
)

// natsConnect connects to a NATS server as a client does and returns nil once the server accepted it:
// INFO (with the nonce), the TLS handshake verifying serverName against roots, CONNECT with the user JWT
// of creds and the nonce signed by its nkey (no creds: an anonymous client), then PING answered by PONG.
// A refusal returns the server's -ERR (an operator-mode server says 'Authorization Violation').
func natsConnect(addr, serverName string, roots *x509.CertPool, creds []byte) error {
	conn, nonce, err := natsTLS(addr, serverName, roots)
	if err != nil {
		return err
	}
	defer conn.Close()
	connect := map[string]any{"verbose": false, "pedantic": false, "tls_required": true, "name": "hoodcloud-rehearsal",
		"lang": "go", "version": "0", "protocol": 1}
	if creds != nil {
		userJWT, err := jwt.ParseDecoratedJWT(creds)
		if err != nil {
			return err
		}
		kp, err := jwt.ParseDecoratedNKey(creds)
		if err != nil {
			return err
		}
		sig, err := kp.Sign([]byte(nonce))
		if err != nil {
			return err
		}
		connect["jwt"], connect["sig"] = userJWT, base64.RawURLEncoding.EncodeToString(sig)
	}
	b, err := json.Marshal(connect)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(conn, "CONNECT %s\r\nPING\r\n", b); err != nil {
		return err
	}
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("waiting for PONG: %w", err)
		}
		switch line = strings.TrimSpace(line); {
		case line == "PONG":
			return nil
		case strings.HasPrefix(line, "-ERR"):
			return errors.New(line)
		case line == "PING":
			if _, err := fmt.Fprint(conn, "PONG\r\n"); err != nil {
				return err
			}
		}
	}
}

// natsTLS dials a NATS server, reads its INFO (which must require TLS) and completes the TLS handshake,
// verifying serverName against roots. It returns the connection and the server's nonce.
func natsTLS(addr, serverName string, roots *x509.CertPool) (conn *tls.Conn, nonce string, err error) {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, "", err
	}
	defer func() {
		if err != nil {
			raw.Close()
		}
	}()
	_ = raw.SetDeadline(time.Now().Add(15 * time.Second))
	line, err := bufio.NewReader(raw).ReadString('\n')
	if err != nil {
		return nil, "", fmt.Errorf("reading INFO: %w", err)
	}
	var info struct {
		Nonce       string `json:"nonce"`
		TLSRequired bool   `json:"tls_required"`
	}
	payload, ok := strings.CutPrefix(line, "INFO ")
	if !ok || json.Unmarshal([]byte(payload), &info) != nil {
		return nil, "", fmt.Errorf("expected INFO, got %q", line)
	}
	if !info.TLSRequired {
		return nil, "", errors.New("the server does not require TLS")
	}
	conn = tls.Client(raw, &tls.Config{ServerName: serverName, RootCAs: roots, MinVersion: tls.VersionTLS12})
	if err := conn.Handshake(); err != nil {
		return nil, "", fmt.Errorf("TLS: %w", err)
	}
	return conn, info.Nonce, nil
}

// natsCertificate is the certificate a NATS server presents, verified as natsTLS verifies it.
func natsCertificate(addr, serverName string, roots *x509.CertPool) (*x509.Certificate, error) {
	conn, _, err := natsTLS(addr, serverName, roots)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}
