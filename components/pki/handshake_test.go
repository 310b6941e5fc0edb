package pki_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

func keyPair(t *testing.T, certPEM, keyPEM string) tls.Certificate {
	t.Helper()
	kp, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
	if err != nil {
		t.Fatalf("certificate and key do not form a pair: %v", err)
	}
	return kp
}

// handshake runs a real TLS 1.3 handshake over an in-memory pipe, then the server sends one message. In
// TLS 1.3 the server's verdict on the client certificate arrives after the client's handshake completes,
// so the client reads that message to learn it. Only one side writes at a time: net.Pipe is synchronous.
// It returns the server's and the client's errors.
func handshake(t *testing.T, server, client *tls.Config) (serverErr, clientErr error) {
	t.Helper()
	sc, cc := net.Pipe()
	deadline := time.Now().Add(10 * time.Second)
	_ = sc.SetDeadline(deadline)
	_ = cc.SetDeadline(deadline)
	done := make(chan error, 1)
	// The raw pipe ends are closed, not the TLS connections: a close_notify written on a synchronous pipe
	// that the other side no longer reads would block until the deadline.
	go func() {
		defer sc.Close()
		s := tls.Server(sc, server)
		if err := s.Handshake(); err != nil {
			done <- err
			return
		}
		_, err := s.Write([]byte("pong"))
		done <- err
	}()
	c := tls.Client(cc, client)
	if clientErr = c.Handshake(); clientErr == nil {
		buf := make([]byte, 4)
		if _, clientErr = io.ReadFull(c, buf); clientErr == nil && string(buf) != "pong" {
			clientErr = fmt.Errorf("read %q, want pong", buf)
		}
	}
	_ = cc.Close()
	serverErr = <-done
	for _, err := range []error{serverErr, clientErr} {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("handshake timed out instead of completing or failing: %v", err)
		}
	}
	return serverErr, clientErr
}

// mTLS configs as the payment service (server) and the control plane (client) use them.
func paymentConfigs(t *testing.T, r *run, clientCert *tls.Certificate, serverName string) (*tls.Config, *tls.Config) {
	server := &tls.Config{
		Certificates: []tls.Certificate{keyPair(t, r.payment.cert.s, r.payment.key.s)},
		ClientCAs:    pool(t, r.payment.ca.s),
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}
	client := &tls.Config{
		RootCAs:    pool(t, r.client.ca.s),
		ServerName: serverName,
		MinVersion: tls.VersionTLS13,
	}
	if clientCert != nil {
		client.Certificates = []tls.Certificate{*clientCert}
	}
	return server, client
}

// The control plane reaches the payment service over mTLS: each side verifies the other against the
// payment CA, the client verifying the server by its IP SAN (it dials the address).
func TestPaymentMutualTLSHandshake(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	if r.payment.ca.s != r.client.ca.s {
		t.Fatal("the payment server and the control plane client are issued by different CAs")
	}
	clientCert := keyPair(t, r.client.cert.s, r.client.key.s)
	for _, addr := range append(append([]string{}, paymentIPs...), "payment."+domain) {
		server, client := paymentConfigs(t, r, &clientCert, addr)
		var peer *x509.Certificate
		server.VerifyPeerCertificate = func(_ [][]byte, chains [][]*x509.Certificate) error {
			peer = chains[0][0]
			return nil
		}
		if serr, cerr := handshake(t, server, client); serr != nil || cerr != nil {
			t.Fatalf("mTLS to %s failed: server %v, client %v", addr, serr, cerr)
		}
		if peer == nil || peer.Subject.CommonName != "hoodcloud-control-plane" {
			t.Errorf("server saw client %v", peer)
		}
	}
}

// Without a client certificate the payment service refuses the connection.
func TestPaymentRefusesAClientWithoutCertificate(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	server, client := paymentConfigs(t, r, nil, paymentIPs[0])
	serr, cerr := handshake(t, server, client)
	if serr == nil || cerr == nil {
		t.Fatalf("handshake without a client certificate was accepted: server %v, client %v", serr, cerr)
	}
	if !strings.Contains(serr.Error(), "didn't provide a certificate") || !strings.Contains(cerr.Error(), "certificate required") {
		t.Errorf("refused for another reason: server %v, client %v", serr, cerr)
	}
}

// A certificate of the wrong role or trust domain is refused too, and so is a server at an address its
// certificate does not name.
func TestPaymentRefusesWrongCertificates(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	refused := func(what string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want a refusal containing %q", what, err, want)
		}
	}
	// The payment server's own certificate: right CA, but server_auth only.
	serverAsClient := keyPair(t, r.payment.cert.s, r.payment.key.s)
	server, client := paymentConfigs(t, r, &serverAsClient, paymentIPs[0])
	serr, _ := handshake(t, server, client)
	refused("server certificate as client", serr, "incompatible key usage")

	// The agent gateway's certificate, from another CA (sent anyway: a Go client would not offer it).
	agent := keyPair(t, r.agent.cert.s, r.agent.key.s)
	server, client = paymentConfigs(t, r, nil, paymentIPs[0])
	client.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &agent, nil }
	serr, _ = handshake(t, server, client)
	refused("agent gateway certificate as client", serr, "unknown authority")

	// The right certificates, but the client dials an address the payment certificate does not name.
	clientCert := keyPair(t, r.client.cert.s, r.client.key.s)
	server, client = paymentConfigs(t, r, &clientCert, controlPlaneIPs[0])
	_, cerr := handshake(t, server, client)
	refused("payment server at a foreign address", cerr, "not "+controlPlaneIPs[0])
}

// The Vault CLI on the Vault host verifies Vault at https://127.0.0.1:8200 and the services by name.
func TestVaultServesLoopbackAndName(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	server := &tls.Config{Certificates: []tls.Certificate{keyPair(t, r.vault.cert.s, r.vault.key.s)}, MinVersion: tls.VersionTLS12}
	for _, name := range []string{"127.0.0.1", "localhost", "vault." + domain, controlPlaneIPs[0], controlPlaneIPs[1]} {
		client := &tls.Config{RootCAs: pool(t, r.vaultCA.s), ServerName: name, MinVersion: tls.VersionTLS12}
		if serr, cerr := handshake(t, server, client); serr != nil || cerr != nil {
			t.Errorf("TLS to Vault as %s: server %v, client %v", name, serr, cerr)
		}
	}
}

// The exported agent gateway CA key issues agent client certificates the gateway accepts.
func TestAgentGatewayCAKeyIssuesAcceptedAgentCertificates(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	if !r.agentCAKey.secret {
		t.Fatal("AgentGatewayCAKeyPEM is not secret")
	}
	block, _ := pem.Decode([]byte(r.agentCAKey.s))
	if block == nil {
		t.Fatal("agent gateway CA key is not PEM")
	}
	caKey, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ca := parseCert(t, r.agentCA.s)
	agentKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "agent-1"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca, &agentKey.PublicKey, caKey)
	if err != nil {
		t.Fatalf("CA key does not sign for the CA certificate: %v", err)
	}
	agentCert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: agentKey}
	server := &tls.Config{
		Certificates: []tls.Certificate{keyPair(t, r.agent.cert.s, r.agent.key.s)},
		ClientCAs:    pool(t, r.agentCA.s), ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS13,
	}
	client := &tls.Config{RootCAs: pool(t, r.agentCA.s), ServerName: "agents." + domain,
		Certificates: []tls.Certificate{agentCert}, MinVersion: tls.VersionTLS13}
	if serr, cerr := handshake(t, server, client); serr != nil || cerr != nil {
		t.Fatalf("agent mTLS failed: server %v, client %v", serr, cerr)
	}
}
