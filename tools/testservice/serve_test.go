package main

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hoodcloud/infra/internal/testkit"
)

// The mTLS stand-in answers a client with a certificate of the client CA, refuses one without, and serves
// /health on its plain listeners at the same time.
func TestServeRequiresClientCertificatesOnItsTLSListener(t *testing.T) {
	dir := t.TempDir()
	ca := testkit.NewTestCA(t, "testservice test CA")
	srvPEM, srvKey := ca.Issue(t, testkit.Leaf{CommonName: "server", IPs: []net.IP{net.ParseIP("127.0.0.1")}, Usage: x509.ExtKeyUsageServerAuth, Serial: 2})
	cliPEM, cliKey := ca.Issue(t, testkit.Leaf{CommonName: "client", Usage: x509.ExtKeyUsageClientAuth, Serial: 3})
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("TLS_CERT_FILE", write("server.crt", srvPEM))
	t.Setenv("TLS_KEY_FILE", write("server.key", srvKey))
	t.Setenv("TLS_CLIENT_CA_FILE", write("ca.crt", ca.PEM))
	plain1, plain2, secure := testkit.FreeLoopbackAddr(t), testkit.FreeLoopbackAddr(t), testkit.FreeLoopbackAddr(t)
	go run([]string{"serve", "-listen", plain1 + "," + plain2, "-tls-listen", secure}, io.Discard, io.Discard)

	for _, a := range []string{plain1, plain2} {
		waitFor(t, func() error { return checkURL("http://" + a + "/health") })
	}
	pool := ca.Pool()
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
