package verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoodcloud/infra/internal/testkit"
)

type pki struct {
	ca                   *x509.Certificate
	caKey                *ecdsa.PrivateKey
	dir                  string
	server               tls.Certificate
	caFile               string
	clientCrt, clientKey string
}

func issue(t *testing.T, p *pki, tmpl *x509.Certificate) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	parent, signer := tmpl, any(key)
	if p.ca != nil {
		parent, signer = p.ca, p.caKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key, der
}

func newPKI(t *testing.T) *pki {
	p := &pki{dir: t.TempDir()}
	now := time.Now()
	ca, caKey, caDER := issue(t, p, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test payment CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign})
	p.ca, p.caKey = ca, caKey
	_, sk, sder := issue(t, p, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "payment"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	p.server = tls.Certificate{Certificate: [][]byte{sder}, PrivateKey: sk}
	_, ck, cder := issue(t, p, &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "control-plane"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	write := func(name string, typ string, der []byte) string {
		path := filepath.Join(p.dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ckDER, _ := x509.MarshalECPrivateKey(ck)
	p.caFile = write("ca.crt", "CERTIFICATE", caDER)
	p.clientCrt = write("client.crt", "CERTIFICATE", cder)
	p.clientKey = write("client.key", "EC PRIVATE KEY", ckDER)
	return p
}

// server starts an HTTP/2 TLS endpoint on loopback, like the payment gRPC server, with the given policy.
func server(t *testing.T, p *pki, auth tls.ClientAuthType) string {
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnsupportedMediaType) // what a gRPC server answers a plain GET
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.server}, ClientAuth: auth, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://")
}

func runCheck(t *testing.T, p *pki, target string) (string, error) {
	t.Helper()
	bash := testkit.RequireTool(t, "bash")
	testkit.RequireTool(t, "curl")
	s, err := RenderCheck(CheckParams{Target: target, CAFile: p.caFile, CertFile: p.clientCrt, KeyFile: p.clientKey,
		Attempts: 2, IntervalSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bash, "-c", s).CombinedOutput()
	return string(out), err
}

func TestCheckPassesWhenTheServerRequiresClientCertificates(t *testing.T) {
	p := newPKI(t)
	out, err := runCheck(t, p, server(t, p, tls.RequireAndVerifyClientCert))
	if err != nil {
		t.Fatalf("check failed against a correct mTLS server: %v\n%s", err, out)
	}
	for _, want := range []string{"accepted the control plane's client certificate", "refused a client without a certificate"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckFailsWhenTheServerAcceptsAnonymousClients(t *testing.T) {
	p := newPKI(t)
	out, err := runCheck(t, p, server(t, p, tls.VerifyClientCertIfGiven))
	if err == nil || !strings.Contains(out, "accepted a client without a certificate") {
		t.Fatalf("check passed against a server without client auth: %v\n%s", err, out)
	}
}

func TestCheckFailsWhenTheClientCertificateIsRefused(t *testing.T) {
	p, other := newPKI(t), newPKI(t)
	// The server trusts another CA: the control plane's certificate must be refused, with curl's reason.
	out, err := runCheck(t, p, server(t, &pki{ca: other.ca, server: p.server}, tls.RequireAndVerifyClientCert))
	if err == nil || !strings.Contains(out, "was not accepted") || !strings.Contains(out, "curl: (") {
		t.Fatalf("check passed with a refused client certificate: %v\n%s", err, out)
	}
}

func TestCheckScriptGoldenAndShellcheck(t *testing.T) {
	s, err := RenderCheck(CheckParams{Target: "203.0.113.7:50051", CAFile: "/opt/hoodcloud/secrets/payment-client/ca.crt",
		CertFile: "/opt/hoodcloud/secrets/payment-client/client.crt", KeyFile: "/opt/hoodcloud/secrets/payment-client/client.key",
		Attempts: 30, IntervalSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "mtls-check.sh.golden", s)
	testkit.Shellcheck(t, "mtls-check.sh", s)
}
