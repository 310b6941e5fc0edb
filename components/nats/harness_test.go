package nats

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoodcloud/infra/internal/testkit"
)

// Fixture secrets the fakes know (testdata/fake-curl, fake-certbot): none may reach stdout, stderr or any
// command line, and the credentials file holding the token must be gone after every run.
const (
	fakeRoleID          = "fake-role-id-7c1d"
	fakeSecretID        = "fake-secret-id-93be"
	fakeVaultToken      = "hvs.FAKECLIENTTOKEN4d2e"
	fakeCloudflareToken = "fakeCloudflareToken_5f0a"
	fakeVaultAddr       = "https://vault.example:8200"
)

var scriptSecrets = map[string]string{"role id": fakeRoleID, "secret id": fakeSecretID,
	"vault token": fakeVaultToken, "cloudflare token": fakeCloudflareToken}

var testParams = certbotParams{Hostname: testHostname, Email: "ops@example.com", Server: LetsEncryptDirectory,
	ComposeService: "nats"}

// host is a fake control-plane host: a layout under a temporary root, fake tools first on PATH, a state
// directory where the fakes record what they were asked, and a TMPDIR that must be empty after each run.
type host struct {
	t              *testing.T
	root, bin, tmp string
	state          string
	l              layout
}

func newHost(t *testing.T) *host {
	t.Helper()
	testkit.RequireTool(t, "bash")
	testkit.RequireTool(t, "python3")
	root := t.TempDir()
	h := &host{t: t, root: root, bin: filepath.Join(root, "bin"), tmp: filepath.Join(root, "tmp"),
		state: filepath.Join(root, "state")}
	h.l = layout{
		ScriptsDir:     filepath.Join(root, "opt/hoodcloud/scripts"),
		LetsEncryptDir: filepath.Join(root, "etc/letsencrypt"),
		SystemdDir:     filepath.Join(root, "etc/systemd/system"),
		TLSDir:         filepath.Join(root, "opt/hoodcloud/secrets/nats"),
		VaultAddrFile:  filepath.Join(root, "opt/hoodcloud/config/certbot/vault_addr"),
		AppRoleDir:     filepath.Join(root, "opt/hoodcloud/secrets/vault-approle/certbot"),
		VaultCACert:    filepath.Join(root, "opt/hoodcloud/secrets/vault/ca.crt"),
	}
	for _, d := range []string{h.bin, h.tmp, h.state} {
		mkdir(t, d)
	}
	for _, tool := range []string{"curl", "certbot", "docker", "systemctl", "apt-get", "dpkg-query"} {
		b, err := os.ReadFile(filepath.Join("testdata", "fake-"+tool))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(h.bin, tool), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func mkdir(t *testing.T, d string) {
	t.Helper()
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
}

// provisioned adds what the other layers put on the host: the certbot AppRole files (Vault layer), Vault's
// CA (PKI) and Vault's address (the vault-addr step).
func (h *host) provisioned() *host {
	mkdir(h.t, h.l.AppRoleDir)
	write(h.t, filepath.Join(h.l.AppRoleDir, "role_id"), fakeRoleID+"\n")
	write(h.t, filepath.Join(h.l.AppRoleDir, "secret_id"), fakeSecretID+"\n")
	mkdir(h.t, filepath.Dir(h.l.VaultCACert))
	write(h.t, h.l.VaultCACert, "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n")
	mkdir(h.t, filepath.Dir(h.l.VaultAddrFile))
	write(h.t, h.l.VaultAddrFile, fakeVaultAddr+"\n")
	return h
}

func (h *host) files(p certbotParams) certbotFiles {
	h.t.Helper()
	f, err := renderCertbot(h.l, p)
	if err != nil {
		h.t.Fatal(err)
	}
	return f
}

// flag creates a state file that switches a fake's behaviour.
func (h *host) flag(names ...string) {
	for _, n := range names {
		write(h.t, filepath.Join(h.state, n), "")
	}
}

func (h *host) has(name string) bool {
	_, err := os.Stat(filepath.Join(h.state, name))
	return err == nil
}

func (h *host) log(name string) string {
	b, _ := os.ReadFile(filepath.Join(h.state, name))
	return string(b)
}

type result struct {
	stdout, stderr string
	err            error
}

// command prepares bash running script with extra environment and arguments.
func (h *host) command(script, stdin string, env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command("bash", append([]string{"-c", script, "script"}, args...)...)
	cmd.Env = append([]string{"PATH=" + h.bin + ":" + os.Getenv("PATH"), "FAKE_STATE=" + h.state,
		"FAKE_LE_DIR=" + h.l.LetsEncryptDir, "TMPDIR=" + h.tmp, "HOME=" + h.root}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return cmd, &out, &errb
}

// run runs script and checks the invariants of every run: no secret in any output or argv, and nothing
// left in TMPDIR.
func (h *host) run(script, stdin string, env []string, args ...string) result {
	h.t.Helper()
	cmd, out, errb := h.command(script, stdin, env, args...)
	err := cmd.Run()
	h.checkInvariants(out.String(), errb.String())
	return result{out.String(), errb.String(), err}
}

func (h *host) checkInvariants(stdout, stderr string) {
	h.t.Helper()
	for name, v := range scriptSecrets {
		for where, text := range map[string]string{"stdout": stdout, "stderr": stderr,
			"curl argv": h.log("curl.log"), "certbot argv": h.log("certbot.log"), "docker argv": h.log("docker.log")} {
			if strings.Contains(text, v) {
				h.t.Errorf("%s contains the %s:\n%s", where, name, text)
			}
		}
	}
	entries, err := os.ReadDir(h.tmp)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range entries {
		h.t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
	if p := strings.TrimSpace(h.log("credentials-path")); p != "" {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			h.t.Errorf("credentials file %s still exists (%v)", p, err)
		}
	}
}
