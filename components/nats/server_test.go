package nats

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/hoodcloud/infra/internal/testkit"
)

// These tests run the rendered nats.conf in a real nats-server (Debian's package) and speak the NATS
// protocol to it: the operator-mode setup is proven by the server accepting the payment creds, not only
// by the jwt library. They also reproduce the guide's "authorization violation" troubleshooting case.

const testHostname = "nats.example.com"

// selfSigned writes a certificate for testHostname and its key into dir and returns the certificate.
func selfSigned(t *testing.T, dir string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: testHostname},
		DNSNames: []string{testHostname}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	write(t, filepath.Join(dir, "fullchain.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	write(t, filepath.Join(dir, "privkey.pem"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	cert, _ := x509.ParseCertificate(der)
	return cert
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

type server struct {
	addr, monitor string
	cmd           *exec.Cmd
	roots         *x509.CertPool
	tls           string
}

// startServer runs nats-server with the rendered config, its host paths pointed at a temporary directory
// and its listener at a free loopback port.
func startServer(t *testing.T, id *Identity) *server {
	t.Helper()
	bin := testkit.RequireTool(t, "nats-server")
	dir := t.TempDir()
	tlsDir := filepath.Join(dir, "tls")
	if err := os.MkdirAll(tlsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cert := selfSigned(t, tlsDir, 1)
	conf, err := RenderConfig(ConfigParams{Hostname: testHostname, TLS: true, Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	addr, monitor := testkit.FreeLoopbackAddr(t), testkit.FreeLoopbackAddr(t)
	conf = strings.NewReplacer(
		`"0.0.0.0:4222"`, `"`+addr+`"`,
		`"`+MonitorAddress+`"`, `"`+monitor+`"`,
		TLSCertFile, filepath.Join(tlsDir, "fullchain.pem"),
		TLSKeyFile, filepath.Join(tlsDir, "privkey.pem"),
		`"`+JetStreamStoreDir+`"`, `"`+filepath.Join(dir, "jetstream")+`"`,
	).Replace(conf)
	confPath := filepath.Join(dir, "nats.conf")
	write(t, confPath, conf)

	if out, err := exec.Command(bin, "-t", "-c", confPath).CombinedOutput(); err != nil {
		t.Fatalf("nats-server -t refuses the config: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-c", confPath)
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Logf("server log:\n%s", b)
		}
	})
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	s := &server{addr: addr, monitor: monitor, cmd: cmd, roots: roots, tls: tlsDir}
	testkit.WaitListening(t, addr, 15*time.Second, func() string { return "nats-server did not start (its log follows the test)" })
	return s
}

// session is one client connection after CONNECT.
type session struct {
	conn *tls.Conn
	r    *bufio.Reader
	cert *x509.Certificate
}

// connect does the NATS handshake with a user JWT and the user's key (signing the server's nonce) and
// returns the server's first answer to PING: "PONG" or an -ERR line.
func (s *server) connect(t *testing.T, userJWT string, user nkeys.KeyPair) (*session, string) {
	t.Helper()
	raw, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(raw).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "INFO ") {
		t.Fatalf("no INFO: %q %v", line, err)
	}
	var info struct {
		Nonce       string `json:"nonce"`
		TLSRequired bool   `json:"tls_required"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(strings.TrimSpace(line), "INFO ")), &info); err != nil {
		t.Fatal(err)
	}
	if !info.TLSRequired || info.Nonce == "" {
		t.Fatalf("server does not require TLS or sends no nonce: %s", line)
	}
	conn := tls.Client(raw, &tls.Config{RootCAs: s.roots, ServerName: testHostname, MinVersion: tls.VersionTLS12})
	if err := conn.Handshake(); err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	sig, err := user.Sign([]byte(info.Nonce))
	if err != nil {
		t.Fatal(err)
	}
	connect, _ := json.Marshal(map[string]any{"verbose": false, "pedantic": false, "tls_required": true,
		"jwt": userJWT, "sig": base64.RawURLEncoding.EncodeToString(sig), "protocol": 1, "headers": true,
		"lang": "go", "version": "hoodcloud-test"})
	if _, err := fmt.Fprintf(conn, "CONNECT %s\r\nPING\r\n", connect); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	answer, _ := r.ReadString('\n')
	return &session{conn: conn, r: r, cert: conn.ConnectionState().PeerCertificates[0]}, strings.TrimSpace(answer)
}

func credsOf(t *testing.T, creds string) (string, nkeys.KeyPair) {
	t.Helper()
	tok, err := jwt.ParseDecoratedJWT([]byte(creds))
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.ParseDecoratedUserNKey([]byte(creds))
	if err != nil {
		t.Fatal(err)
	}
	return tok, kp
}

func TestServerAcceptsThePaymentCredsAndRefusesForeignUsers(t *testing.T) {
	id := fixtureIdentity(t)
	s := startServer(t, id)

	// The compose health check's endpoint answers.
	resp, err := http.Get("http://" + s.monitor + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("monitoring /healthz: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	tok, kp := credsOf(t, id.PaymentCreds)
	sess, answer := s.connect(t, tok, kp)
	if answer != "PONG" {
		t.Fatalf("payment creds: server answered %q", answer)
	}
	// JetStream is enabled for CTRL: the account info API answers without an error.
	fmt.Fprintf(sess.conn, "SUB _INBOX.js 1\r\nPUB $JS.API.INFO _INBOX.js 0\r\n\r\n")
	msg, _ := sess.r.ReadString('\n')
	body, _ := sess.r.ReadString('\n')
	if !strings.HasPrefix(msg, "MSG _INBOX.js 1") || !strings.Contains(body, "account_info_response") || strings.Contains(body, `"error"`) {
		t.Errorf("JetStream account info: %q %q", msg, body)
	}

	// A user the control plane issues at run time with the signing seed from Vault.
	signer, _ := nkeys.FromSeed([]byte(id.CtrlSigningSeed))
	ukp, _ := nkeys.CreateUser()
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.IssuerAccount = id.CtrlAccountPublicKey
	runtimeJWT, err := uc.Encode(signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, answer := s.connect(t, runtimeJWT, ukp); answer != "PONG" {
		t.Errorf("user issued with the CTRL signing seed: server answered %q", answer)
	}

	// Guide troubleshooting, "authorization violation": a signing seed that is not CTRL's, a user whose
	// nonce signature is from another key, and an account the operator never issued.
	foreign, _ := nkeys.CreateAccount()
	forged, _ := uc.Encode(foreign)
	otherUser, _ := nkeys.CreateUser()
	otherAccount, _ := nkeys.CreateAccount()
	otherPub, _ := otherAccount.PublicKey()
	uc2 := jwt.NewUserClaims(upub)
	strayJWT, _ := uc2.Encode(otherAccount)
	for name, c := range map[string]struct {
		tok string
		kp  nkeys.KeyPair
	}{
		"signing key not in CTRL":               {forged, ukp},
		"nonce signed by another":               {tok, otherUser},
		"account not preloaded " + otherPub[:6]: {strayJWT, ukp},
	} {
		if _, answer := s.connect(t, c.tok, c.kp); !strings.Contains(strings.ToLower(answer), "authorization violation") {
			t.Errorf("%s: server answered %q, want an authorization violation", name, answer)
		}
	}
}

// TestServerReloadsTheCertificateOnSIGHUP is the premise of the deploy hook: new files plus SIGHUP give new
// connections the new certificate without a restart.
func TestServerReloadsTheCertificateOnSIGHUP(t *testing.T) {
	id := fixtureIdentity(t)
	s := startServer(t, id)
	tok, kp := credsOf(t, id.PaymentCreds)
	before, answer := s.connect(t, tok, kp)
	if answer != "PONG" || before.cert.SerialNumber.Int64() != 1 {
		t.Fatalf("first connection: %q serial %v", answer, before.cert.SerialNumber)
	}
	renewed := selfSigned(t, s.tls, 2)
	s.roots.AddCert(renewed)
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		after, answer := s.connect(t, tok, kp)
		if answer == "PONG" && after.cert.SerialNumber.Int64() == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after SIGHUP the server still serves serial %v (%q)", after.cert.SerialNumber, answer)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The connection made before the reload is still up.
	fmt.Fprintf(before.conn, "PING\r\n")
	if line, err := before.r.ReadString('\n'); err != nil || strings.TrimSpace(line) != "PONG" {
		t.Errorf("connection from before the reload: %q %v", line, err)
	}
	if s.cmd.ProcessState != nil {
		t.Errorf("server exited on SIGHUP")
	}
}

// TestResolverConfigIncludes: a bundle's own nats.conf that includes resolver.conf (the layout of
// JWTDir/ResolverConfigName) is a valid operator-mode configuration.
func TestResolverConfigIncludes(t *testing.T) {
	bin := testkit.RequireTool(t, "nats-server")
	res, err := RenderResolverConfig(fixtureIdentity(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, ResolverConfigName), res)
	// Relative: nats-server 2.9 (Debian's) resolves include paths against the including file's directory.
	main := fmt.Sprintf("port: 4222\njetstream {\n  store_dir: %q\n}\ninclude %q\n", filepath.Join(dir, "js"),
		ResolverConfigName)
	write(t, filepath.Join(dir, "nats.conf"), main)
	if out, err := exec.Command(bin, "-t", "-c", filepath.Join(dir, "nats.conf")).CombinedOutput(); err != nil {
		t.Fatalf("nats-server -t: %v\n%s", err, out)
	}
	// And the check can fail: an operator JWT that is not one is refused.
	broken := strings.Replace(res, `operator: "eyJ`, `operator: "xeyJ`, 1)
	write(t, filepath.Join(dir, ResolverConfigName), broken)
	if out, err := exec.Command(bin, "-t", "-c", filepath.Join(dir, "nats.conf")).CombinedOutput(); err == nil {
		t.Errorf("nats-server accepted a broken operator JWT:\n%s", out)
	}
}

// TestShippedBundleConfigLoads: the bundle's own config/nats/nats.conf (testdata/bundle, what deploys)
// loads in a real nats-server with this program's resolver.conf and certificate files in the places the
// compose file mounts them (/etc/nats/jwt, /etc/nats/tls), here under a temporary directory standing in
// for /etc/nats.
func TestShippedBundleConfigLoads(t *testing.T) {
	bin := testkit.RequireTool(t, "nats-server")
	shipped, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bundle", "config", "nats", "nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	etc := t.TempDir()
	for _, d := range []string{"jwt", "tls", "data"} {
		if err := os.MkdirAll(filepath.Join(etc, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	selfSigned(t, filepath.Join(etc, "tls"), 1)
	res, err := RenderResolverConfig(fixtureIdentity(t))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(etc, strings.TrimPrefix(ContainerJWTDir, "/etc/nats/"), ResolverConfigName), res)
	// Only the container paths move; an include is left exactly as shipped.
	conf := strings.NewReplacer(`"/etc/nats/`, `"`+etc+`/`, `"/data"`, `"`+filepath.Join(etc, "data")+`"`).Replace(string(shipped))
	write(t, filepath.Join(etc, "nats.conf"), conf)
	if out, err := exec.Command(bin, "-t", "-c", filepath.Join(etc, "nats.conf")).CombinedOutput(); err != nil {
		t.Fatalf("nats-server refuses the shipped config: %v\n%s\n%s", err, out, conf)
	}
}
