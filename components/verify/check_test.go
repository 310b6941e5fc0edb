package verify

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoodcloud/infra/internal/testkit"
)

type pki struct {
	ca                   *x509.Certificate
	dir                  string
	server               tls.Certificate
	caFile               string
	clientCrt, clientKey string
}

// newPKI is a payment CA with the payment server's certificate (127.0.0.1) and the control plane's
// client certificate, the CA and client files written for curl.
func newPKI(t *testing.T) *pki {
	ca := testkit.NewTestCA(t, "test payment CA")
	serverCert, serverKey := ca.Issue(t, testkit.Leaf{CommonName: "payment", IPs: []net.IP{net.ParseIP("127.0.0.1")},
		Usage: x509.ExtKeyUsageServerAuth, Serial: 2})
	clientCert, clientKey := ca.Issue(t, testkit.Leaf{CommonName: "control-plane", Usage: x509.ExtKeyUsageClientAuth, Serial: 3})
	server, err := tls.X509KeyPair(serverCert, serverKey)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{ca: ca.Cert, dir: t.TempDir(), server: server}
	write := func(name string, content []byte) string {
		path := filepath.Join(p.dir, name)
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p.caFile = write("ca.crt", ca.PEM)
	p.clientCrt = write("client.crt", clientCert)
	p.clientKey = write("client.key", clientKey)
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
