package compose

import (
	"crypto/tls"
	"crypto/x509"
	"io"
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

	ca := testkit.NewTestCA(t, "test payment CA")
	const domain = "hoodcloud.test"
	serverCert, serverKey := ca.Issue(t, testkit.Leaf{CommonName: "payment." + domain, DNSNames: []string{"payment." + domain},
		Usage: x509.ExtKeyUsageServerAuth, Serial: 2})
	clientCert, clientKey := ca.Issue(t, testkit.Leaf{CommonName: "hoodcloud-control-plane", Usage: x509.ExtKeyUsageClientAuth, Serial: 3})
	certs := t.TempDir()
	for name, content := range map[string][]byte{"ca.crt": ca.PEM, "client.crt": clientCert, "client.key": clientKey} {
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
	payment.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()}
	payment.StartTLS()
	defer payment.Close()

	addr := testkit.FreeLoopbackAddr(t)
	port := addr[strings.LastIndex(addr, ":")+1:]
	// The bundle's site block as shipped; only the front (plain HTTP on a loopback port, no ACME) and the
	// container paths of the certificates differ.
	conf := "{\n\tadmin off\n\tauto_https off\n}\n\n" + strings.NewReplacer(
		"pay.{$DOMAIN} {", "http://pay.{$DOMAIN}:"+port+" {",
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
	testkit.WaitListening(t, addr, 20*time.Second, func() string { return "caddy's log:\n" + logs.String() + "\n" + conf })
	send := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "pay." + domain + ":" + port
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
