package vault

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoodcloud/infra/internal/engine"
)

// realVault starts the real Vault server of the engine toolchain (bin/vault, 1.20.4) on a loopback port
// with TLS and file storage, and makes h's `vault` command the real CLI as the container would run it:
// the steps' container paths (VAULT_ADDR on 8200, VAULT_CACERT under /vault/tls) map to this server. The
// fake docker still stands in for the container runtime; everything Vault answers is Vault's own.
func realVault(t *testing.T, h *host) {
	t.Helper()
	bin := filepath.Join(engine.DefaultToolchainDir(), "bin", "vault")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("HOODCLOUD_REQUIRE_ENGINE") != "" {
			t.Fatalf("no Vault server at %s (scripts/engine-toolchain.sh installs it)", bin)
		}
		t.Skipf("no Vault server at %s; `make test` installs it", bin)
	}
	dir := t.TempDir()
	certPEM, keyPEM := selfSignedLoopbackCert(t)
	for name, content := range map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	config := fmt.Sprintf(`storage "file" { path = %q }
listener "tcp" {
  address       = %q
  tls_cert_file = %q
  tls_key_file  = %q
}
disable_mlock = true
`, filepath.Join(dir, "data"), addr, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err := os.WriteFile(filepath.Join(dir, "vault.hcl"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	server := exec.Command(bin, "server", "-config", filepath.Join(dir, "vault.hcl"))
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	server.Stdout, server.Stderr = logFile, logFile
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = server.Process.Kill()
		_ = server.Wait()
		logFile.Close()
	})
	wrapper := fmt.Sprintf("#!/bin/sh\n# The vault CLI inside the Vault container, as the steps call it.\nVAULT_ADDR=https://%s VAULT_CACERT=%s exec %s \"$@\"\n",
		addr, filepath.Join(dir, "cert.pem"), bin)
	binDir := strings.SplitN(h.path, ":", 2)[0]
	if err := os.WriteFile(filepath.Join(binDir, "vault"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Fatalf("Vault did not listen on %s:\n%s", addr, log)
		}
	}
	h.touch("running")
}

func selfSignedLoopbackCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vault test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// The bootstrap steps against a real Vault 1.20: init 5/3, unseal after someone left a half-finished
// unseal (the reset must be one Vault accepts, or unseal fails), the program's AppRole credential that
// really logs in, and the root token revoked.
func TestBootstrapScriptsAgainstRealVault(t *testing.T) {
	h := newHost(t)
	realVault(t, h)
	s := h.scripts(initParams{})
	run := func(what, script, stdin string) string {
		t.Helper()
		out, errOut, err := h.run(script, stdin)
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, errOut)
		}
		return out
	}
	initOut := run("init", s.Init, "fixture-escrow-key-0c7e\n")
	// A crash before the state write: the re-run gives back the same answer from the escrow.
	if again := run("init after a crash", s.Init, "fixture-escrow-key-0c7e\n"); again != initOut {
		t.Errorf("the re-run did not recover init's answer")
	}
	var init struct {
		Keys      []string `json:"unseal_keys_b64"`
		RootToken string   `json:"root_token"`
	}
	if err := json.Unmarshal([]byte(initOut), &init); err != nil || len(init.Keys) != 5 || init.RootToken == "" {
		t.Fatalf("init printed %d keys, root token set %v: %v", len(init.Keys), init.RootToken != "", err)
	}

	// An operator's half-finished unseal: one key submitted.
	partial := exec.Command("bash", "-c", `printf '%s' "$1" | vault write -format=json sys/unseal key=- >/dev/null`, "-", init.Keys[4])
	partial.Env = []string{"PATH=" + h.path}
	if out, err := partial.CombinedOutput(); err != nil {
		t.Fatalf("partial unseal: %v\n%s", err, out)
	}
	keys, err := unsealInput(initOut, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if out := run("unseal", s.Unseal, keys); strings.TrimSpace(out) != `{"sealed":false,"keys_used":3}` {
		t.Errorf("unseal printed %q: the half-finished unseal was not reset to zero", out)
	}

	root, err := rootTokenInput(initOut, "")
	if err != nil {
		t.Fatal(err)
	}
	login, err := parseCredential(run("credential", s.Credential, root))
	if err != nil {
		t.Fatal(err)
	}
	loginCmd := exec.Command("bash", "-c", `vault write -format=json auth/approle/login role_id="$1" secret_id=- <<<"$2" >/dev/null`, "-", login["role_id"], login["secret_id"])
	loginCmd.Env = []string{"PATH=" + h.path}
	if out, err := loginCmd.CombinedOutput(); err != nil {
		t.Errorf("the program's AppRole does not log in: %v\n%s", err, out)
	}

	if out := run("revoke-root", s.Revoke, root); !parseRevoked(out) {
		t.Errorf("revoke printed %q", out)
	}
	lookup := exec.Command("vault", "token", "lookup")
	lookup.Env = []string{"PATH=" + h.path, "VAULT_TOKEN=" + init.RootToken}
	if err := lookup.Run(); err == nil {
		t.Error("the root token still works after revoke-root")
	}
}
