package compose

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
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hoodcloud/infra/internal/testkit"
)

// siteBlock returns the block of the Caddyfile site whose address line is addr (braces matched).
func siteBlock(t *testing.T, caddyfile, addr string) string {
	t.Helper()
	start := strings.Index(caddyfile, "\n"+addr+" {")
	if start < 0 {
		t.Fatalf("no site %q in the Caddyfile", addr)
	}
	// Count braces from the block's own opening brace: the address holds placeholders ({$DOMAIN}).
	depth := 0
	for i := start + 1 + len(addr) + 1; i < len(caddyfile); i++ {
		switch caddyfile[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return caddyfile[start+1 : i+1]
			}
		}
	}
	t.Fatalf("site %q does not close", addr)
	return ""
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test payment CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// leaf issues a certificate for cn (a DNS SAN too) with the given usage; it returns PEMs.
func (ca *testCA) leaf(t *testing.T, cn string, usage x509.ExtKeyUsage, serial int64) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// Stripe's webhook path through the bundle's own Caddy route, with the real Caddy: a request to
// pay.<domain>/webhooks/stripe reaches the payment service over mTLS with the control plane's client
// certificate, the payment service's name verified; any other path of pay. is answered 404 by Caddy and
// never reaches the payment service.
func TestStripeWebhookRouteReachesPaymentOverMTLS(t *testing.T) {
	caddy := testkit.RequireTool(t, "caddy")
	b, err := os.ReadFile(filepath.Join(fixtureDir, "config", "caddy", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	site := siteBlock(t, string(b), "pay.{$DOMAIN}")

	ca := newTestCA(t)
	const domain = "hoodcloud.test"
	serverCert, serverKey := ca.leaf(t, "payment."+domain, x509.ExtKeyUsageServerAuth, 2)
	clientCert, clientKey := ca.leaf(t, "hoodcloud-control-plane", x509.ExtKeyUsageClientAuth, 3)
	certs := t.TempDir()
	for name, content := range map[string][]byte{"ca.crt": ca.pem, "client.crt": clientCert, "client.key": clientKey} {
		if err := os.WriteFile(filepath.Join(certs, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// The payment service: TLS requiring a client certificate of the payment CA.
	var mu sync.Mutex
	var seen []string
	payment := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" from "+r.TLS.PeerCertificates[0].Subject.CommonName+" "+string(body))
		mu.Unlock()
		_, _ = io.WriteString(w, "received")
	}))
	pair, err := tls.X509KeyPair(serverCert, serverKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	payment.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	payment.StartTLS()
	defer payment.Close()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	// The bundle's site block as shipped; only the front (plain HTTP on a loopback port, no ACME) and the
	// container paths of the certificates differ.
	conf := "{\n\tadmin off\n\tauto_https off\n}\n\n" + strings.NewReplacer(
		"pay.{$DOMAIN} {", "http://pay.{$DOMAIN}:"+itoa(port)+" {",
		"/run/hoodcloud/payment-client/", certs+"/",
	).Replace(site) + "\n"
	confPath := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(caddy, "run", "--config", confPath, "--adapter", "caddyfile")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "XDG_DATA_HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir(),
		"DOMAIN=" + domain, "PAYMENT_GRPC_ADDR=" + strings.TrimPrefix(payment.URL, "https://")}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr := "127.0.0.1:" + itoa(port)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("caddy did not listen:\n%s\n%s", logs.String(), conf)
		}
	}
	send := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "pay." + domain + ":" + itoa(port)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, logs.String())
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(got)
	}
	if code, body := send(http.MethodPost, "/webhooks/stripe", `{"type":"checkout.session.completed"}`); code != 200 || body != "received" {
		t.Errorf("webhook: %d %q\n%s", code, body, logs.String())
	}
	if code, _ := send(http.MethodGet, "/admin", ""); code != 404 {
		t.Errorf("another path of pay. answered %d, want 404", code)
	}
	mu.Lock()
	defer mu.Unlock()
	want := `POST /webhooks/stripe from hoodcloud-control-plane {"type":"checkout.session.completed"}`
	if len(seen) != 1 || seen[0] != want {
		t.Errorf("the payment service saw %q, want only %q", seen, want)
	}
}
