package vault

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoodcloud/infra/internal/testkit"
)

// The fake vault's secrets (testdata/fake-vault): none may ever reach stderr or a command line.
const (
	fakeRootToken = "hvs.FAKEROOTTOKEN7f3a9c"
	fakeSecretID1 = "fake-secret-id-0001"
	fixtureTLSKey = "-----BEGIN PRIVATE KEY-----\nFIXTURE-TLS-KEY-MATERIAL-5b1e\n-----END PRIVATE KEY-----\n"
)

var fakeUnsealKeys = []string{"RkFLRS11bnNlYWwta2V5LTE=", "RkFLRS11bnNlYWwta2V5LTI=", "RkFLRS11bnNlYWwta2V5LTM=",
	"RkFLRS11bnNlYWwta2V5LTQ=", "RkFLRS11bnNlYWwta2V5LTU="}

func scriptSecrets() map[string]string {
	m := map[string]string{"root token": fakeRootToken, "secret id": fakeSecretID1, "tls key": "FIXTURE-TLS-KEY-MATERIAL-5b1e"}
	for i, k := range fakeUnsealKeys {
		m["unseal key "+string(rune('1'+i))] = k
	}
	return m
}

// host is a fake Vault host: a state directory for the fakes and a PATH with fake docker and vault first.
type host struct {
	t     *testing.T
	state string
	path  string
	l     layout
	// unsealKeys are the keys init printed, once realBootstrap unsealed a real Vault with them.
	unsealKeys string
}

func newHost(t *testing.T) *host {
	t.Helper()
	testkit.RequireTool(t, "bash")
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{"docker": "testdata/fake-docker", "vault": "testdata/fake-vault"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	state := filepath.Join(root, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	return &host{t: t, state: state, path: bin + ":" + os.Getenv("PATH"), l: layout{
		SecretsDir: filepath.Join(root, "secrets", "vault"), VaultDir: filepath.Join(root, "vault"),
		WaitAttempts: 3, WaitSeconds: 0,
	}}
}

func (h *host) touch(names ...string) {
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(h.state, n), nil, 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *host) has(name string) bool {
	_, err := os.Stat(filepath.Join(h.state, name))
	return err == nil
}

func (h *host) read(name string) string {
	b, _ := os.ReadFile(filepath.Join(h.state, name))
	return string(b)
}

func (h *host) scripts(ip initParams) scriptSet {
	h.t.Helper()
	if ip.Shares == 0 {
		ip.Shares, ip.Threshold = 5, 3
	}
	s, err := renderScripts(h.l, ip)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// run runs script with stdin under bash and checks that no fake secret reached stderr or any argv.
func (h *host) run(script, stdin string) (stdout, stderr string, err error) {
	h.t.Helper()
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = []string{"PATH=" + h.path, "FAKE_STATE=" + h.state, "TMPDIR=" + h.t.TempDir(), "HOME=" + h.t.TempDir()}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	for name, v := range scriptSecrets() {
		for where, text := range map[string]string{"stderr": errb.String(), "docker argv": h.read("docker.log"), "vault argv": h.read("vault.log")} {
			if strings.Contains(text, v) {
				h.t.Errorf("%s contains the %s:\n%s", where, name, text)
			}
		}
	}
	return out.String(), errb.String(), err
}

// initialised makes the fake Vault initialised and sealed, as after `vault operator init`.
func (h *host) initialised() { h.touch("running", "initialized", "sealed") }

func (h *host) unsealed() {
	h.touch("running", "initialized")
	_ = os.Remove(filepath.Join(h.state, "sealed"))
}

func bundleFixture(t *testing.T, l layout, cert, hcl string) string {
	t.Helper()
	s, err := encodeBundle(l, map[string]string{
		"ca.pem": "CA PEM\n", "cert.pem": cert, "key.pem": fixtureTLSKey, "vault.hcl": hcl,
		"vault.env": "# none\n", "docker-compose.vault.yml": "services: {}\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestInstallWritesFilesStartsVaultAndWaits(t *testing.T) {
	h := newHost(t)
	s := h.scripts(initParams{})
	out, errOut, err := h.run(s.Install, bundleFixture(t, h.l, "CERT 1\n", "ui = true\n"))
	if err != nil {
		t.Fatalf("install failed: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, `"ready":true`) {
		t.Errorf("stdout = %q", out)
	}
	for p, want := range map[string]string{
		filepath.Join(h.l.SecretsDir, "key.pem"):                fixtureTLSKey,
		filepath.Join(h.l.SecretsDir, "cert.pem"):               "CERT 1\n",
		filepath.Join(h.l.VaultDir, "config", "vault.hcl"):      "ui = true\n",
		filepath.Join(h.l.VaultDir, "docker-compose.vault.yml"): "services: {}\n",
	} {
		if b, err := os.ReadFile(p); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", p, b, err, want)
		}
	}
	if m := mode(t, filepath.Join(h.l.SecretsDir, "key.pem")); m != 0o644 {
		t.Errorf("key mode = %o, want 0644 (guide 2.3)", m)
	}
	if m := mode(t, h.l.SecretsDir); m != 0o711 {
		t.Errorf("secrets dir mode = %o, want 0711", m)
	}
	if m := mode(t, filepath.Join(h.l.VaultDir, "vault.env")); m != 0o600 {
		t.Errorf("vault.env mode = %o, want 0600", m)
	}
	wantUp := "compose -f " + h.l.composePath() + " --profile vault-prod up -d vault"
	if !strings.Contains(h.read("docker.log"), wantUp) {
		t.Errorf("docker was not asked to %q:\n%s", wantUp, h.read("docker.log"))
	}
	if !strings.Contains(h.read("vault.log"), "status -format=json") {
		t.Errorf("install did not wait for the API")
	}

	// Same files again: nothing restarts.
	if out, errOut, err := h.run(s.Install, bundleFixture(t, h.l, "CERT 1\n", "ui = true\n")); err != nil || !strings.Contains(out, `"tls_changed":false,"config_changed":false`) {
		t.Fatalf("re-install: %v %q %s", err, out, errOut)
	}
	if h.has("events") {
		t.Errorf("unchanged files restarted or signalled Vault: %s", h.read("events"))
	}
	// A new certificate: SIGHUP, no restart (Vault stays unsealed).
	if _, errOut, err := h.run(s.Install, bundleFixture(t, h.l, "CERT 2\n", "ui = true\n")); err != nil {
		t.Fatalf("cert rotation: %v %s", err, errOut)
	}
	if ev := h.read("events"); !strings.Contains(ev, "kill -s SIGHUP vault") || strings.Contains(ev, "restart") {
		t.Errorf("cert rotation events = %q, want one SIGHUP", ev)
	}
	// A new vault.hcl: restart.
	if _, errOut, err := h.run(s.Install, bundleFixture(t, h.l, "CERT 2\n", "ui = false\n")); err != nil {
		t.Fatalf("config change: %v %s", err, errOut)
	}
	if !strings.Contains(h.read("events"), "restart") {
		t.Errorf("a new vault.hcl did not restart Vault: %q", h.read("events"))
	}
}

func TestInstallFailsWhenTheAPINeverAnswers(t *testing.T) {
	h := newHost(t)
	h.touch("down")
	_, errOut, err := h.run(h.scripts(initParams{}).Install, bundleFixture(t, h.l, "C\n", "H\n"))
	if err == nil {
		t.Fatal("install succeeded although Vault never answered")
	}
	if !strings.Contains(errOut, "connection refused") || !strings.Contains(errOut, "did not answer after 3 attempts") {
		t.Errorf("stderr lacks vault's message or the bound:\n%s", errOut)
	}
}

func TestInstallRefusesUnknownFiles(t *testing.T) {
	h := newHost(t)
	_, errOut, err := h.run(h.scripts(initParams{}).Install, "evil.sh ZWNobyBoaQ==\n")
	if err == nil || !strings.Contains(errOut, "unexpected file name on stdin: evil.sh") {
		t.Fatalf("err = %v, stderr = %s", err, errOut)
	}
}

func TestInitInitialisesOnceAndPrintsVaultsJSON(t *testing.T) {
	h := newHost(t)
	h.touch("running")
	s := h.scripts(initParams{})
	out, errOut, err := h.run(s.Init, escrowKey)
	if err != nil {
		t.Fatalf("init: %v\n%s", err, errOut)
	}
	r, err := parseInit(out)
	if err != nil || r.RootToken != fakeRootToken || len(r.UnsealKeysB64) != 5 || r.AlreadyInitialized {
		t.Fatalf("init output %+v, %v", r, err)
	}
	if got := h.read("init-args"); got != "-format=json\n-key-shares=5\n-key-threshold=3\n" {
		t.Errorf("init flags = %q", got)
	}
	// Already initialised, answer in the state (escrow cleared): no second init, the marker instead.
	if _, errOut, err := h.run(s.InitEscrowClear, ""); err != nil {
		t.Fatalf("escrow clear: %v\n%s", err, errOut)
	}
	out, errOut, err = h.run(s.Init, escrowKey)
	if err != nil || strings.TrimSpace(out) != `{"already_initialized":true}` {
		t.Fatalf("second init: %v %q %s", err, out, errOut)
	}
	if n := strings.Count(h.read("vault.log"), "operator init"); n != 1 {
		t.Errorf("vault operator init ran %d times, want 1", n)
	}
}

// escrowKey is the stack's escrow key as the init step receives it on stdin.
const escrowKey = "fixture-escrow-key-0c7e\n"

// The engine or the SSH session dies after `vault operator init` and before the state holds its answer:
// the re-run recovers the same answer from the host's escrow, sealed with the stack's key; a wrong key
// opens nothing; once the escrow is cleared the marker comes back.
func TestInitRecoversItsAnswerAfterACrash(t *testing.T) {
	h := newHost(t)
	h.touch("running")
	s := h.scripts(initParams{})
	first, errOut, err := h.run(s.Init, escrowKey)
	if err != nil {
		t.Fatalf("init: %v\n%s", err, errOut)
	}
	escrow := h.l.escrowFile()
	if b, err := os.ReadFile(escrow); err != nil || strings.Contains(string(b), fakeRootToken) || strings.Contains(string(b), fakeUnsealKeys[0]) {
		t.Fatalf("the escrow is missing or holds the answer in plaintext: %v", err)
	}
	if m := mode(t, escrow); m != 0o600 {
		t.Errorf("escrow mode %o, want 0600", m)
	}
	// The answer was lost: the re-run recovers it, without a second init.
	again, errOut, err := h.run(s.Init, escrowKey)
	if err != nil || again != first {
		t.Fatalf("re-run after a crash: %v %q, want the first answer\n%s", err, again, errOut)
	}
	if n := strings.Count(h.read("vault.log"), "operator init"); n != 1 {
		t.Errorf("vault operator init ran %d times", n)
	}
	if _, errOut, err := h.run(s.Init, "another-stacks-key\n"); err == nil || !strings.Contains(errOut, "does not open with this stack's escrow key") {
		t.Errorf("a wrong key: %v %s", err, errOut)
	}
	if _, errOut, err := h.run(s.InitEscrowClear, ""); err != nil {
		t.Fatalf("escrow clear: %v\n%s", err, errOut)
	}
	if _, err := os.Stat(escrow); !os.IsNotExist(err) {
		t.Errorf("escrow still there after the clear step: %v", err)
	}
	if out, _, _ := h.run(s.Init, escrowKey); strings.TrimSpace(out) != `{"already_initialized":true}` {
		t.Errorf("after the clear: %q", out)
	}
}

func TestInitFailureCarriesVaultsMessageAndNoSecret(t *testing.T) {
	h := newHost(t)
	h.touch("running", "init-fails")
	out, errOut, err := h.run(h.scripts(initParams{}).Init, escrowKey)
	if err == nil {
		t.Fatal("init succeeded although vault failed")
	}
	if !strings.Contains(errOut, "invalid recovery configuration: fake failure") || out != "" {
		t.Errorf("stdout %q, stderr lacks vault's message:\n%s", out, errOut)
	}
}

func TestInitWithPGPKeysPassesKeyFiles(t *testing.T) {
	h := newHost(t)
	h.touch("running")
	keys := []string{"UEdQLWtleS0x", "UEdQLWtleS0y", "UEdQLWtleS0z"}
	_, errOut, err := h.run(h.scripts(initParams{Shares: 3, Threshold: 2, PGPKeys: keys}).Init, escrowKey)
	if err != nil {
		t.Fatalf("init: %v\n%s", err, errOut)
	}
	if got := h.read("pgp-keys-seen"); got != strings.Join(keys, "\n")+"\n" {
		t.Errorf("vault read PGP keys %q", got)
	}
	if !strings.Contains(h.read("init-args"), "-key-shares=3") || !strings.Contains(h.read("init-args"), "-pgp-keys=") {
		t.Errorf("init flags = %q", h.read("init-args"))
	}
}

func TestInitWithAutoUnsealUsesRecoveryKeys(t *testing.T) {
	h := newHost(t)
	h.touch("running")
	if _, errOut, err := h.run(h.scripts(initParams{AutoUnseal: true}).Init, escrowKey); err != nil {
		t.Fatalf("init: %v\n%s", err, errOut)
	}
	if got := h.read("init-args"); got != "-format=json\n-recovery-shares=5\n-recovery-threshold=3\n" {
		t.Errorf("init flags = %q", got)
	}
}

func TestUnsealUsesThresholdKeysOnlyWhenSealed(t *testing.T) {
	h := newHost(t)
	h.initialised()
	s := h.scripts(initParams{})
	out, errOut, err := h.run(s.Unseal, strings.Join(fakeUnsealKeys, "\n")+"\n")
	if err != nil {
		t.Fatalf("unseal: %v\n%s", err, errOut)
	}
	if strings.TrimSpace(out) != `{"sealed":false,"keys_used":3}` || h.has("sealed") {
		t.Errorf("stdout %q, sealed %v", out, h.has("sealed"))
	}
	if n := strings.Count(h.read("vault.log"), "write -format=json sys/unseal key=-"); n != 3 {
		t.Errorf("%d keys submitted, want the threshold 3", n)
	}
	// Unsealed already: nothing submitted.
	out, _, err = h.run(s.Unseal, strings.Join(fakeUnsealKeys, "\n"))
	if err != nil || strings.TrimSpace(out) != `{"sealed":false,"keys_used":0}` {
		t.Errorf("second unseal: %v %q", err, out)
	}
}

// The steps and the seal guard read Vault's answers with json_true and json_string (scripts/json.sh)
// under pipefail. A reader that leaves a pipe early (grep -q at its first match) can kill the writer still
// writing the rest, and the pipeline then answers false for a true: an unseal step once reported Vault
// unsealed after one key. An answer far larger than a pipe's buffer, the match on its first line, makes
// that certain for a pipe.
func TestJSONReadersReadLongAnswersWhole(t *testing.T) {
	testkit.RequireTool(t, "bash")
	padding := strings.Repeat(`  "padding": "`+strings.Repeat("x", 100)+"\",\n", 4000)
	answer := "{\n  \"sealed\": true,\n  \"token\":\"hvs.first\"\n" + padding + "  \"last\": false\n}\n"
	script := "set -euo pipefail\n" + jsonReaders + "\n" +
		`answer=$(cat)
json_true sealed "$answer" || { echo "json_true: false"; exit 1; }
if json_true last "$answer"; then echo "json_true: true for false"; exit 1; fi
json_string token "$answer"
`
	cmd := exec.Command("bash", "-c", script)
	cmd.Stdin = strings.NewReader(answer)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "hvs.first" {
		t.Errorf("%v: %s", err, out)
	}
}

func TestUnsealWithoutKeysFailsWithTheConfigKey(t *testing.T) {
	h := newHost(t)
	h.initialised()
	_, errOut, err := h.run(h.scripts(initParams{}).Unseal, "")
	if err == nil || !strings.Contains(errOut, "hoodcloud:vaultUnsealKeys") {
		t.Fatalf("err %v, stderr %s", err, errOut)
	}
}

func TestUnsealWithAWrongKeyFailsWithVaultsMessage(t *testing.T) {
	h := newHost(t)
	h.initialised()
	_, errOut, err := h.run(h.scripts(initParams{}).Unseal, fakeUnsealKeys[0]+"\nV1JPTkc=\n")
	if err == nil || !strings.Contains(errOut, "'key' must be a valid hex or base64 string") || !strings.Contains(errOut, "unseal key 2") {
		t.Fatalf("err %v, stderr %s", err, errOut)
	}
	if strings.Contains(errOut, "V1JPTkc=") {
		t.Errorf("stderr quotes the rejected key")
	}
}

func TestAppRoleFilesInstallsBothFiles(t *testing.T) {
	h := newHost(t)
	dir := filepath.Join(t.TempDir(), "vault-approle", "certbot")
	script, err := RenderAppRoleFilesScript(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		out, errOut, err := h.run(script, appRoleFilesInput("role-1", fakeSecretID1))
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, errOut)
		}
		var paths map[string]string
		if err := json.Unmarshal([]byte(out), &paths); err != nil || paths["secret_id_file"] != dir+"/secret_id" {
			t.Errorf("stdout %q: %v", out, err)
		}
	}
	for name, want := range map[string]string{"role_id": "role-1\n", "secret_id": fakeSecretID1 + "\n"} {
		p := filepath.Join(dir, name)
		if b, err := os.ReadFile(p); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v", name, b, err)
		}
		if m := mode(t, p); m != 0o644 {
			t.Errorf("%s mode %o, want 0644 (guide 2.3)", name, m)
		}
	}
	if m := mode(t, dir); m != 0o711 {
		t.Errorf("dir mode %o, want 0711", m)
	}
	if _, errOut, err := h.run(script, "role_id x\nsecret_id bad;value\n"); err == nil || !strings.Contains(errOut, "no valid secret_id") {
		t.Errorf("a malformed secret_id was accepted: %v %s", err, errOut)
	}
}

// allRendered renders every script in each variant the component can produce.
func allRendered(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for variant, v := range map[string]struct{ ip initParams }{
		"default": {initParams{Shares: 5, Threshold: 3}},
		"pgp":     {initParams{Shares: 3, Threshold: 2, PGPKeys: []string{"a2V5MQ==", "a2V5Mg==", "a2V5Mw=="}}},
		"kms":     {initParams{Shares: 5, Threshold: 3, AutoUnseal: true}},
	} {
		s, err := renderScripts(hostLayout, v.ip)
		if err != nil {
			t.Fatal(err)
		}
		for name, text := range map[string]string{"install": s.Install, "init": s.Init, "init-escrow-clear": s.InitEscrowClear, "unseal": s.Unseal,
			"credential": s.Credential, "revoke-root": s.Revoke, "root-token-still-set": s.RootTokenStillSet, "seal-guard": s.SealGuard} {
			out[variant+"/"+name] = text
		}
	}
	files, err := RenderAppRoleFilesScript(AppRoleBaseDir + "/control-plane")
	if err != nil {
		t.Fatal(err)
	}
	out["approle-files"] = files
	remove, err := RenderAppRoleFilesRemoveScript(AppRoleBaseDir + "/control-plane")
	if err != nil {
		t.Fatal(err)
	}
	out["approle-files-remove"] = remove
	return out
}

// Destroying a consumer's files step removes its credentials (their secret ID is destroyed in Vault with
// it), twice without error, and leaves anything else in the directory alone.
func TestAppRoleFilesRemoval(t *testing.T) {
	h := newHost(t)
	dir := filepath.Join(t.TempDir(), "vault-approle", "payment")
	install, err := RenderAppRoleFilesScript(dir)
	if err != nil {
		t.Fatal(err)
	}
	remove, err := RenderAppRoleFilesRemoveScript(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := h.run(install, appRoleFilesInput("role-1", fakeSecretID1)); err != nil {
		t.Fatalf("install: %v\n%s", err, errOut)
	}
	for i := 0; i < 2; i++ {
		if _, errOut, err := h.run(remove, ""); err != nil {
			t.Fatalf("remove %d: %v\n%s", i, err, errOut)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the credentials directory is still there: %v", err)
	}
	if _, errOut, err := h.run(install, appRoleFilesInput("role-1", fakeSecretID1)); err != nil {
		t.Fatalf("reinstall: %v\n%s", err, errOut)
	}
	write := filepath.Join(dir, "operator-note")
	if err := os.WriteFile(write, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := h.run(remove, ""); err != nil {
		t.Fatalf("remove: %v\n%s", err, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret_id")); !os.IsNotExist(err) {
		t.Error("secret_id survived its removal")
	}
	if _, err := os.Stat(write); err != nil {
		t.Errorf("a file the step did not install was removed: %v", err)
	}
}

func TestScriptsPassShellcheck(t *testing.T) {
	for name, s := range allRendered(t) {
		if !strings.HasPrefix(s, "#!/usr/bin/env bash\n") || !strings.Contains(s, "\nset -euo pipefail\n") {
			t.Errorf("%s lacks the shebang or set -euo pipefail", name)
		}
		testkit.Shellcheck(t, name, s)
	}
}

// The check is real: shellcheck refuses a script with an unquoted expansion.
func TestShellcheckCatchesABrokenScript(t *testing.T) {
	sc := testkit.RequireTool(t, "shellcheck")
	s := strings.Replace(allRendered(t)["default/revoke-root"], `[ -n "$vault_token" ]`, `[ -n $vault_token ]`, 1)
	cmd := exec.Command(sc, "--shell=bash", "--severity=style", "-")
	cmd.Stdin = strings.NewReader(s)
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("shellcheck accepted a broken script:\n%s", out)
	}
}

func TestGoldenScripts(t *testing.T) {
	r := allRendered(t)
	for _, name := range []string{"install", "init", "unseal", "credential", "revoke-root", "seal-guard"} {
		testkit.Golden(t, name+".sh.golden", r["default/"+name])
	}
	testkit.Golden(t, "init-pgp-kms.sh.golden", func() string {
		s, err := renderScripts(hostLayout, initParams{Shares: 2, Threshold: 2, PGPKeys: []string{"a2V5MQ==", "a2V5Mg=="}, AutoUnseal: true})
		if err != nil {
			t.Fatal(err)
		}
		return s.Init
	}())
	testkit.Golden(t, "approle-files.sh.golden", r["approle-files"])
	testkit.Golden(t, "approle-files-remove.sh.golden", r["approle-files-remove"])
}

func TestGoldenTemplates(t *testing.T) {
	file, err := RenderVaultHCL(HCLParams{})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "vault.hcl.golden", file)
	kms, err := RenderVaultHCL(HCLParams{Storage: "raft", KMSKeyID: "arn:aws:kms:eu-central-1:123456789012:key/abcd", Region: "eu-central-1"})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "vault-raft-kms.hcl.golden", kms)
	compose, err := RenderComposeFile(DefaultImage)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "docker-compose.vault.yml.golden", compose)
	policy, err := RenderConsumerPolicy(Consumer{Name: "certbot", Paths: []PathRule{
		{Path: "secret/data/infra/certbot/cloudflare", Capabilities: []string{"read"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "consumer-policy.hcl.golden", policy)
}

func TestVaultHCLRefusesInjection(t *testing.T) {
	for _, bad := range []string{`k" } listener "tcp`, "k\nui = false", "${file(\"/etc/shadow\")}"} {
		if _, err := RenderVaultHCL(HCLParams{KMSKeyID: bad, Region: "eu-central-1"}); err == nil {
			t.Errorf("KMS key ID %q accepted", bad)
		}
	}
}

// A run that fails after placing a new vault.hcl (Vault does not answer) still owes Vault a restart: the
// re-run with the very same files restarts it, although no file differs any more.
func TestInstallRetryCompletesAPendingRestart(t *testing.T) {
	h := newHost(t)
	s := h.scripts(initParams{})
	if _, errOut, err := h.run(s.Install, bundleFixture(t, h.l, "CERT 1\n", "ui = true\n")); err != nil {
		t.Fatalf("first install: %v %s", err, errOut)
	}
	h.touch("down")
	if _, _, err := h.run(s.Install, bundleFixture(t, h.l, "CERT 1\n", "ui = false\n")); err == nil {
		t.Fatal("install succeeded although Vault never answered")
	}
	if err := os.Remove(filepath.Join(h.state, "down")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(h.state, "events")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	out, errOut, err := h.run(s.Install, bundleFixture(t, h.l, "CERT 1\n", "ui = false\n"))
	if err != nil {
		t.Fatalf("retry: %v %s", err, errOut)
	}
	if !strings.Contains(out, `"config_changed":true`) || !strings.Contains(h.read("events"), "restart") {
		t.Errorf("the retry did not restart Vault: stdout %q, events %q", out, h.read("events"))
	}
	// Once Vault answered, nothing is owed any more.
	out, _, err = h.run(s.Install, bundleFixture(t, h.l, "CERT 1\n", "ui = false\n"))
	if err != nil || !strings.Contains(out, `"tls_changed":false,"config_changed":false`) {
		t.Errorf("a third run still owes Vault something: %v %q", err, out)
	}
}

// An escrow that cannot be written never costs the keys: Vault is initialised by then, so the answer is
// printed all the same, with a warning.
func TestInitPrintsItsAnswerWhenTheEscrowFails(t *testing.T) {
	h := newHost(t)
	h.touch("running")
	// A file where the escrow directory should be: install -d fails.
	if err := os.MkdirAll(h.l.VaultDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Dir(h.l.escrowFile()), []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := h.run(h.scripts(initParams{}).Init, escrowKey)
	if err != nil {
		t.Fatalf("init failed: %v\n%s", err, errOut)
	}
	if r, err := parseInit(out); err != nil || r.RootToken != fakeRootToken {
		t.Errorf("init's answer lost: %q %v", out, err)
	}
	if !strings.Contains(errOut, "could not write the init escrow") {
		t.Errorf("no warning: %s", errOut)
	}
}
