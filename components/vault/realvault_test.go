package vault

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hoodcloud/infra/internal/engine"
	"github.com/hoodcloud/infra/internal/testkit"
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
	ca := testkit.NewTestCA(t, "vault test CA")
	certPEM, keyPEM := ca.Issue(t, testkit.Leaf{CommonName: "vault test", IPs: []net.IP{net.ParseIP("127.0.0.1")},
		Usage: x509.ExtKeyUsageServerAuth, Serial: 2})
	for name, content := range map[string][]byte{"ca.pem": ca.PEM, "cert.pem": certPEM, "key.pem": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr := testkit.FreeLoopbackAddr(t)
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
		addr, filepath.Join(dir, "ca.pem"), bin)
	// The steps that need the root token call the HTTP API from the host: this server, trusting its CA
	// where the host keeps Vault's CA (the install step's ca.pem).
	h.l.APIBase = "https://" + addr
	if err := os.MkdirAll(h.l.SecretsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.l.SecretsDir, "ca.pem"), ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	binDir := strings.SplitN(h.path, ":", 2)[0]
	if err := os.WriteFile(filepath.Join(binDir, "vault"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	testkit.WaitListening(t, addr, 30*time.Second, func() string {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		return "Vault's log:\n" + string(log)
	})
	h.touch("running")
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
	loginCmd := exec.Command("bash", "-c", `vault write -field=token auth/approle/login role_id="$1" secret_id=- <<<"$2"`, "-", login["role_id"], login["secret_id"])
	loginCmd.Env = []string{"PATH=" + h.path}
	programToken, err := loginCmd.Output()
	if err != nil {
		t.Fatalf("the program's AppRole does not log in: %v", err)
	}
	// What the program's Vault provider reads with that credential on every up, beyond what it manages:
	// the sealed-Vault probe (vault.getAuthBackend of approle). Found by the rehearsal: Vault answered 403.
	if out, err := vaultCLI(t, h, string(programToken), "read", "sys/mounts/auth/approle"); err != nil {
		t.Errorf("the program's policy does not allow the sealed-Vault probe: %v\n%s", err, out)
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

// realBootstrap is a real Vault, initialised and unsealed by the steps, with its root token.
func realBootstrap(t *testing.T) (h *host, s scriptSet, root string) {
	t.Helper()
	h = newHost(t)
	realVault(t, h)
	// curl as the steps run it, its argv logged: the root token must never be on it.
	binDir := strings.SplitN(h.path, ":", 2)[0]
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal(err)
	}
	shim := "#!/bin/sh\nprintf '%s\\n' \"$*\" >>" + filepath.Join(h.state, "curl.log") + "\nexec " + curl + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(binDir, "curl"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	s = h.scripts(initParams{})
	initOut, errOut, err := h.run(s.Init, escrowKey)
	if err != nil {
		t.Fatalf("init: %v\n%s", err, errOut)
	}
	keys, err := unsealInput(initOut, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	h.unsealKeys = keys
	if _, errOut, err := h.run(s.Unseal, keys); err != nil {
		t.Fatalf("unseal: %v\n%s", err, errOut)
	}
	if root, err = rootTokenInput(initOut, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, log := range []string{"curl.log", "docker.log", "vault.log"} {
			if strings.Contains(h.read(log), strings.TrimSpace(root)) {
				t.Errorf("the root token is on a command line (%s)", log)
			}
		}
	})
	return h, s, root
}

// vaultCLI runs the real vault CLI against the test server with token.
func vaultCLI(t *testing.T, h *host, token string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(strings.SplitN(h.path, ":", 2)[0], "vault"), args...)
	cmd.Env = []string{"PATH=" + h.path, "VAULT_TOKEN=" + strings.TrimSpace(token)}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The program's credential against real Vault: the policy and role are written, a second run is
// idempotent and rotates the secret ID (the old one stops working, the new one logs in).
func TestCredentialRotatesAgainstRealVault(t *testing.T) {
	h, s, root := realBootstrap(t)
	var logins []map[string]string
	for i := 0; i < 2; i++ {
		out, errOut, err := h.run(s.Credential, root)
		if err != nil {
			t.Fatalf("credential run %d: %v\n%s", i+1, err, errOut)
		}
		login, err := parseCredential(out)
		if err != nil {
			t.Fatal(err)
		}
		logins = append(logins, login)
	}
	if logins[0]["role_id"] != logins[1]["role_id"] || logins[0]["secret_id"] == logins[1]["secret_id"] {
		t.Errorf("role_id must stay and secret_id rotate: %v", logins)
	}
	login := func(secretID string) error {
		cmd := exec.Command("bash", "-c", `vault write -format=json auth/approle/login role_id="$1" secret_id=- <<<"$2" >/dev/null`, "-", logins[0]["role_id"], secretID)
		cmd.Env = []string{"PATH=" + h.path}
		return cmd.Run()
	}
	if login(logins[0]["secret_id"]) == nil {
		t.Error("the rotated-out secret ID still logs in")
	}
	if err := login(logins[1]["secret_id"]); err != nil {
		t.Errorf("the new secret ID does not log in: %v", err)
	}
	policy, err := vaultCLI(t, h, root, "policy", "read", ProgramRole)
	if err != nil || strings.TrimSpace(policy) != strings.TrimSpace(programPolicy) {
		t.Errorf("policy %s:\n%s (%v)", ProgramRole, policy, err)
	}
}

// After revoke-root the credential step fails with Vault's refusal and names the config key that fixes
// it; revoke-root itself is idempotent; on a sealed Vault it fails saying so.
func TestRootStepsAgainstRealVault(t *testing.T) {
	h, s, root := realBootstrap(t)
	out, errOut, err := h.run(s.Revoke, root)
	if err != nil || !strings.Contains(out, `"already_revoked":false`) {
		t.Fatalf("revoke: %v %q\n%s", err, out, errOut)
	}
	out, errOut, err = h.run(s.Revoke, root)
	if err != nil || !strings.Contains(out, `"already_revoked":true`) {
		t.Fatalf("second revoke: %v %q\n%s", err, out, errOut)
	}
	_, errOut, err = h.run(s.Credential, root)
	if err == nil || !strings.Contains(errOut, "permission denied") || !strings.Contains(errOut, "hoodcloud:vaultRootToken") {
		t.Errorf("credential with a revoked token: %v\n%s", err, errOut)
	}

	h2, s2, root2 := realBootstrap(t)
	if out, err := vaultCLI(t, h2, root2, "operator", "seal"); err != nil {
		t.Fatalf("seal: %v\n%s", err, out)
	}
	if _, errOut, err := h2.run(s2.Revoke, root2); err == nil || !strings.Contains(errOut, "sealed") {
		t.Errorf("revoke on a sealed Vault: %v\n%s", err, errOut)
	}
}

// The seal guard against a real Vault that was sealed after its bootstrap (as a restart leaves it): a
// preview's report says sealed and changes nothing, an up's guard unseals it with the program's keys, and
// then finds it unsealed; wrong keys fail with Vault's message and never show a key; no keys fail saying
// what to set; a Vault that does not answer is reported unreachable.
func TestSealGuardAgainstRealVault(t *testing.T) {
	h, s, root := realBootstrap(t)
	ca, err := os.ReadFile(filepath.Join(h.l.SecretsDir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	initKeys := h.unsealKeys
	// A second Vault, never initialised (started now: the test changes HOME, where the toolchain is, below).
	bare := newHost(t)
	realVault(t, bare)
	// As local.run runs it: bash -c SCRIPT NAME MODE, the operator's environment plus the guard's.
	guard := func(mode, address, keys string) (string, string, error) {
		cmd := exec.Command("/bin/bash", "-c", s.SealGuard, "hoodcloud-vault-seal-guard", mode)
		cmd.Env = append(os.Environ(), "HOODCLOUD_VAULT_ADDR="+address, "HOODCLOUD_VAULT_CA_PEM="+string(ca),
			"HOODCLOUD_VAULT_HAS_KEYS="+strconv.FormatBool(keys != ""))
		cmd.Stdin = strings.NewReader(keys)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return strings.TrimSpace(out.String()), errb.String(), err
	}
	sealed := func() bool {
		out, err := vaultCLI(t, h, "", "status", "-format=json")
		return strings.Contains(out, `"sealed": true`) || (err != nil && !strings.Contains(out, `"sealed": false`))
	}
	seal := func() {
		t.Helper()
		if out, err := vaultCLI(t, h, root, "operator", "seal"); err != nil || !sealed() {
			t.Fatalf("sealing Vault: %v %s", err, out)
		}
	}

	if out, errOut, err := guard(guardUnseal, h.l.APIBase, initKeys); err != nil || out != guardUnsealed {
		t.Fatalf("an unsealed Vault: %q %v %s", out, err, errOut)
	}
	seal()
	if out, errOut, err := guard(guardReport, h.l.APIBase, initKeys); err != nil || out != guardSealed || !sealed() {
		t.Errorf("a preview's report: %q %v %s (it must leave Vault sealed)", out, err, errOut)
	}
	if out, errOut, err := guard(guardReport, h.l.APIBase, ""); err != nil || out != guardSealedNoKeys {
		t.Errorf("a preview's report without keys: %q %v %s", out, err, errOut)
	}
	// The operator's curl configuration is not read: a .curlrc that turns TLS verification off changes
	// nothing, and a Vault whose certificate does not verify is an error, not "unreachable".
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".curlrc"), []byte("insecure\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	other := testkit.NewTestCA(t, "another CA")
	ca = other.PEM
	if out, errOut, err := guard(guardReport, h.l.APIBase, ""); err == nil || !strings.Contains(errOut, "seal status") {
		t.Errorf("a certificate of another CA: %q %v %s, want a failure", out, err, errOut)
	}
	ca, err = os.ReadFile(filepath.Join(h.l.SecretsDir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := guard(guardUnseal, h.l.APIBase, ""); err == nil || !strings.Contains(errOut, "hoodcloud:vaultUnsealKeys") {
		t.Errorf("no keys: %q %v %s", out, err, errOut)
	}
	wrong := "dGhpcyBpcyBub3QgYW4gdW5zZWFsIGtleSBvZiB0aGlzIHZhdWx0IGF0IGFsbCE="
	out, errOut, err := guard(guardUnseal, h.l.APIBase, wrong+"\n")
	if err == nil || !strings.Contains(errOut, "rejected unseal key 1") || strings.Contains(errOut+out, wrong) {
		t.Errorf("a wrong key: %q %v %s", out, err, errOut)
	}
	if out, errOut, err := guard(guardUnseal, h.l.APIBase, initKeys); err != nil || out != guardUnsealedNow || sealed() {
		t.Fatalf("an up's guard on a sealed Vault: %q %v %s", out, err, errOut)
	}
	if out, _, err := guard(guardReport, h.l.APIBase, initKeys); err != nil || out != guardUnsealed {
		t.Errorf("after the unseal: %q %v", out, err)
	}
	if out, _, err := guard(guardUnseal, "https://"+testkit.FreeLoopbackAddr(t), initKeys); err != nil || out != guardUnreachable {
		t.Errorf("a Vault that does not answer: %q %v", out, err)
	}

	// A Vault whose storage is new (lost, or replaced outside the program) is not taken for unsealed: the
	// guard says so, in a preview and in an up, and leaves it as it is.
	if ca, err = os.ReadFile(filepath.Join(bare.l.SecretsDir, "ca.pem")); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{guardReport, guardUnseal} {
		if out, errOut, err := guard(mode, bare.l.APIBase, initKeys); err != nil || out != guardUninitialized {
			t.Errorf("%s on an uninitialised Vault: %q %v %s", mode, out, err, errOut)
		}
	}
	if out, _ := vaultCLI(t, bare, "", "status", "-format=json"); !strings.Contains(out, `"initialized": false`) {
		t.Errorf("the guard changed an uninitialised Vault: %s", out)
	}
}
