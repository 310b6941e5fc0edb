package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// freeAddr is a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// issue signs a certificate for 127.0.0.1 (server) or a client, with parent's key, or self-signed.
func issue(t *testing.T, cn string, isCA bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: isCA, BasicConstraintsValid: true,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// The mTLS stand-in answers a client with a certificate of the client CA, refuses one without, and serves
// /health on its plain listeners at the same time.
func TestServeRequiresClientCertificatesOnItsTLSListener(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, caPEM, _ := issue(t, "ca", true, nil, nil)
	_, _, srvPEM, srvKey := issue(t, "server", false, ca, caKey)
	_, _, cliPEM, cliKey := issue(t, "client", false, ca, caKey)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("TLS_CERT_FILE", write("server.crt", srvPEM))
	t.Setenv("TLS_KEY_FILE", write("server.key", srvKey))
	t.Setenv("TLS_CLIENT_CA_FILE", write("ca.crt", caPEM))
	plain1, plain2, secure := freeAddr(t), freeAddr(t), freeAddr(t)
	go run([]string{"serve", "-listen", plain1 + "," + plain2, "-tls-listen", secure}, io.Discard, io.Discard)

	for _, a := range []string{plain1, plain2} {
		waitFor(t, func() error { return checkURL("http://" + a + "/health") })
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	clientCert, err := tls.X509KeyPair(cliPEM, cliKey)
	if err != nil {
		t.Fatal(err)
	}
	get := func(certs []tls.Certificate) error {
		c := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true,
			TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs}}}
		resp, err := c.Get("https://" + secure + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Errorf("the TLS listener must speak HTTP/2 (gRPC clients and curl --http2 ask for it), got %s", resp.Proto)
		}
		return nil
	}
	waitFor(t, func() error { return get([]tls.Certificate{clientCert}) })
	if err := get(nil); err == nil {
		t.Error("a client without a certificate must be refused")
	}
}

func checkURL(u string) error {
	resp, err := (&http.Client{Timeout: time.Second}).Get(u)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// waitFor retries f until it succeeds, failing the test after 5 seconds.
func waitFor(t *testing.T, f func() error) {
	t.Helper()
	var err error
	for range 50 {
		if err = f(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal(err)
}
