package nats

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hoodcloud/infra/internal/testkit"
)

func hostFiles(t *testing.T) certbotFiles {
	t.Helper()
	f, err := renderCertbot(hostLayout, testParams)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCertbotFilesGolden(t *testing.T) {
	f := hostFiles(t)
	for name, text := range map[string]string{
		"certbot-renew.sh.golden":       f.Wrapper,
		"certbot-deploy-hook.sh.golden": f.DeployHook,
		"certbot-hoodcloud.conf.golden": f.DropIn,
		"certbot-install.sh.golden":     f.Install,
		"certbot-vault-addr.sh.golden":  f.VaultAddr,
		"certbot-issue.sh.golden":       f.Issue,
	} {
		testkit.Golden(t, name, text)
	}
	custom := testParams
	custom.Server = "https://pebble:14000/dir"
	s, err := renderCertbot(hostLayout, custom)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Issue, "\nserver='https://pebble:14000/dir'\n") || !strings.Contains(f.Issue, "\nserver='"+LetsEncryptDirectory+"'\n") {
		t.Errorf("the ACME server does not reach the issue script")
	}
	if !strings.Contains(s.Issue, `--server "$server"`) || strings.Contains(s.Issue, "--staging") {
		t.Errorf("the issue script must always pass --server and never --staging")
	}
	if s.Wrapper != f.Wrapper || s.Install != f.Install {
		t.Errorf("the ACME server changed the renewal wrapper or the install step; renewals use certbot's recorded server")
	}
	if hostLayout.wrapperPath() != WrapperPath || !strings.Contains(f.DropIn, "ExecStart="+WrapperPath+"\n") {
		t.Errorf("the drop-in does not run %s:\n%s", WrapperPath, f.DropIn)
	}
}

func TestScriptsPassShellcheck(t *testing.T) {
	f := hostFiles(t)
	scripts := map[string]string{"wrapper": f.Wrapper, "deploy hook": f.DeployHook, "install": f.Install,
		"vault-addr": f.VaultAddr, "issue": f.Issue}
	for _, fake := range []string{"curl", "certbot", "docker", "systemctl", "apt-get", "dpkg-query"} {
		b, err := os.ReadFile(filepath.Join("testdata", "fake-"+fake))
		if err != nil {
			t.Fatal(err)
		}
		scripts["fake "+fake] = string(b)
	}
	for name, s := range scripts {
		if !strings.HasPrefix(s, "#!/usr/bin/env bash\n") || !strings.Contains(s, "\nset -euo pipefail\n") {
			t.Errorf("%s: must start with #!/usr/bin/env bash and set -euo pipefail", name)
		}
		testkit.Shellcheck(t, name, s)
	}
}

// TestDropInVerifies runs systemd-analyze verify on a minimal certbot.service with the drop-in beside it
// (the unit directory's certbot.service.d/), the way systemd loads it on the host.
func TestDropInVerifies(t *testing.T) {
	sa := testkit.RequireTool(t, "systemd-analyze")
	dir := t.TempDir()
	l := hostLayout
	l.ScriptsDir = filepath.Join(dir, "scripts")
	l.SystemdDir = dir
	mkdir(t, l.ScriptsDir)
	if err := os.WriteFile(l.wrapperPath(), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := renderCertbot(l, testParams)
	if err != nil {
		t.Fatal(err)
	}
	// Debian's certbot.service, reduced to what verify needs.
	write(t, filepath.Join(dir, "certbot.service"), "[Unit]\nDescription=Certbot\n\n[Service]\nType=oneshot\n"+
		"ExecStart=/usr/bin/certbot -q renew --no-random-sleep-on-renew\nPrivateTmp=true\n")
	mkdir(t, filepath.Dir(l.dropInPath()))
	write(t, l.dropInPath(), f.DropIn)
	out, err := exec.Command(sa, "verify", filepath.Join(dir, "certbot.service")).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// verify reads the drop-in: one pointing at a missing wrapper fails.
	if err := os.Remove(l.wrapperPath()); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sa, "verify", filepath.Join(dir, "certbot.service")).CombinedOutput(); err == nil {
		t.Errorf("verify passed with the wrapper missing, so it did not read the drop-in:\n%s", out)
	}
}

func TestWrapperRenewsWithTheTokenFromVault(t *testing.T) {
	h := newHost(t).provisioned()
	r := h.run(h.files(testParams).Wrapper, "", nil, "--force-renewal")
	if r.err != nil {
		t.Fatalf("%v\nstdout %s\nstderr %s", r.err, r.stdout, r.stderr)
	}
	if !h.has("credentials-ok") || strings.TrimSpace(h.log("credentials-mode")) != "600" {
		t.Errorf("certbot got credentials %q mode %q", h.log("credentials-path"), h.log("credentials-mode"))
	}
	certbot := h.log("certbot.log")
	if !strings.HasPrefix(certbot, "renew --non-interactive --no-random-sleep-on-renew --dns-cloudflare-credentials "+h.tmp+"/hoodcloud-certbot.") ||
		!strings.HasSuffix(strings.TrimSpace(certbot), "/cloudflare.ini --force-renewal") {
		t.Errorf("certbot argv: %q", certbot)
	}
	curl := h.log("curl.log")
	for _, want := range []string{"--cacert " + h.l.VaultCACert, fakeVaultAddr + "/v1/auth/approle/login",
		fakeVaultAddr + "/v1/secret/data/infra/certbot/cloudflare", "--data-binary @-", "--header @-"} {
		if !strings.Contains(curl, want) {
			t.Errorf("curl argv lacks %q:\n%s", want, curl)
		}
	}
	if !h.has("revoked") {
		t.Errorf("the Vault token was not revoked")
	}
}

func TestWrapperFailures(t *testing.T) {
	cases := []struct {
		name       string
		flags      []string
		setup      func(h *host)
		stderr     []string
		certbotRan bool
		revoked    bool
	}{
		{name: "Vault login refused", flags: []string{"login-fails"},
			stderr: []string{"certbot-renew: Vault AppRole login failed: invalid role or secret ID"}},
		{name: "Vault unreachable", flags: []string{"vault-down"},
			stderr: []string{"Vault AppRole login failed: curl: (7) Failed to connect to vault.example port 8200"}},
		{name: "token fetch refused", flags: []string{"read-fails"}, revoked: true,
			stderr: []string{"certbot-renew: reading secret/infra/certbot/cloudflare from Vault failed: 1 error occurred: * permission denied"}},
		{name: "secret without api_token", flags: []string{"no-field"}, revoked: true,
			stderr: []string{"secret/infra/certbot/cloudflare in Vault has no api_token"}},
		{name: "certbot fails", flags: []string{"certbot-fails"}, certbotRan: true, revoked: true,
			stderr: []string{"Error determining zone_id: 9109 Invalid access token", "certbot-renew: certbot renew failed"}},
		{name: "AppRole files missing", setup: func(h *host) { os.Remove(filepath.Join(h.l.AppRoleDir, "secret_id")) },
			stderr: []string{"/secret_id is missing (the Vault step installs the certbot AppRole)"}},
		{name: "Vault address missing", setup: func(h *host) { os.Remove(h.l.VaultAddrFile) },
			stderr: []string{"no Vault address"}},
		{name: "Vault CA missing", setup: func(h *host) { os.Remove(h.l.VaultCACert) },
			stderr: []string{"Vault's CA certificate"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHost(t).provisioned()
			h.flag(c.flags...)
			if c.setup != nil {
				c.setup(h)
			}
			r := h.run(h.files(testParams).Wrapper, "", nil)
			if r.err == nil {
				t.Fatalf("exited 0:\n%s", r.stderr)
			}
			for _, want := range c.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if ran := h.log("certbot.log") != ""; ran != c.certbotRan {
				t.Errorf("certbot ran: %v, want %v", ran, c.certbotRan)
			}
			if c.certbotRan && !h.has("credentials-ok") {
				t.Errorf("certbot did not get the token file")
			}
			if h.has("revoked") != c.revoked {
				t.Errorf("token revoked: %v, want %v", h.has("revoked"), c.revoked)
			}
		})
	}
}

// TestWrapperCleansUpWhenTerminated: systemd stops a hung renewal with SIGTERM; the credentials file goes.
func TestWrapperCleansUpWhenTerminated(t *testing.T) {
	h := newHost(t).provisioned()
	h.flag("certbot-hangs")
	cmd, out, errb := h.command(h.files(testParams).Wrapper, "", nil)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !h.has("certbot-started") {
		if time.Now().After(deadline) {
			t.Fatal("certbot never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !h.has("credentials-ok") {
		t.Fatal("the credentials file was not written before certbot ran")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 143 {
		t.Errorf("exit %v, want 143", err)
	}
	h.checkInvariants(out.String(), errb.String())
	if !h.has("revoked") {
		t.Errorf("the Vault token was not revoked")
	}
}

func (h *host) installHook(f certbotFiles) {
	h.t.Helper()
	mkdir(h.t, filepath.Dir(h.l.deployHookPath()))
	if err := os.WriteFile(h.l.deployHookPath(), []byte(f.DeployHook), 0o755); err != nil {
		h.t.Fatal(err)
	}
}

func (h *host) lineage(name string) string {
	dir := filepath.Join(h.l.LetsEncryptDir, "live", name)
	mkdir(h.t, dir)
	write(h.t, filepath.Join(dir, "fullchain.pem"), "chain of "+name+"\n")
	write(h.t, filepath.Join(dir, "privkey.pem"), "key of "+name+"\n")
	return dir
}

func TestDeployHookCopiesAndSignalsNATS(t *testing.T) {
	h := newHost(t)
	h.flag("nats-running")
	lineage := h.lineage(testHostname)
	r := h.run(h.files(testParams).DeployHook, "", []string{"RENEWED_LINEAGE=" + lineage, "RENEWED_DOMAINS=" + testHostname})
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.stderr)
	}
	for _, name := range []string{"fullchain.pem", "privkey.pem"} {
		p := filepath.Join(h.l.TLSDir, name)
		b, err := os.ReadFile(p)
		want, _ := os.ReadFile(filepath.Join(lineage, name))
		if err != nil || string(b) != string(want) {
			t.Errorf("%s: %q %v", name, b, err)
		}
		if st, _ := os.Stat(p); st == nil || st.Mode().Perm() != 0o644 {
			t.Errorf("%s mode %v, want 0644 (guide 2.3)", name, st.Mode().Perm())
		}
	}
	if st, _ := os.Stat(h.l.TLSDir); st.Mode().Perm() != 0o711 {
		t.Errorf("TLS directory mode %v, want 0711", st.Mode().Perm())
	}
	if got := h.log("docker.log"); !strings.Contains(got, "ps --quiet --filter label=com.docker.compose.service=nats") {
		t.Errorf("docker argv: %q", got)
	}
	if got := strings.TrimSpace(h.log("signals")); got != "kill -s HUP 0123456789ab" {
		t.Errorf("signals: %q", got)
	}
	if entries, _ := os.ReadDir(h.l.TLSDir); len(entries) != 2 {
		t.Errorf("TLS directory holds %d entries, want 2", len(entries))
	}
}

func TestDeployHookCases(t *testing.T) {
	t.Run("other certificate", func(t *testing.T) {
		h := newHost(t)
		h.flag("nats-running")
		r := h.run(h.files(testParams).DeployHook, "", []string{"RENEWED_LINEAGE=" + h.lineage("api.example.com")})
		if r.err != nil || h.log("docker.log") != "" {
			t.Errorf("%v; docker %q", r.err, h.log("docker.log"))
		}
		if _, err := os.Stat(h.l.TLSDir); !os.IsNotExist(err) {
			t.Errorf("copied another certificate")
		}
	})
	t.Run("NATS not running", func(t *testing.T) {
		h := newHost(t)
		r := h.run(h.files(testParams).DeployHook, "", []string{"RENEWED_LINEAGE=" + h.lineage(testHostname)})
		if r.err != nil || h.log("signals") != "" || !strings.Contains(r.stdout, "no running nats container") {
			t.Errorf("%v; signals %q; stdout %q", r.err, h.log("signals"), r.stdout)
		}
		if _, err := os.Stat(filepath.Join(h.l.TLSDir, "privkey.pem")); err != nil {
			t.Errorf("key not copied: %v", err)
		}
	})
	t.Run("signal fails", func(t *testing.T) {
		h := newHost(t)
		h.flag("nats-running", "kill-fails")
		r := h.run(h.files(testParams).DeployHook, "", []string{"RENEWED_LINEAGE=" + h.lineage(testHostname)})
		if r.err == nil || !strings.Contains(r.stderr, "cannot kill container") || !strings.Contains(r.stderr, "could not send SIGHUP") {
			t.Errorf("%v\n%s", r.err, r.stderr)
		}
	})
	t.Run("no lineage", func(t *testing.T) {
		h := newHost(t)
		r := h.run(h.files(testParams).DeployHook, "", nil)
		if r.err == nil || !strings.Contains(r.stderr, "RENEWED_LINEAGE is not set") {
			t.Errorf("%v\n%s", r.err, r.stderr)
		}
	})
	t.Run("key missing", func(t *testing.T) {
		h := newHost(t)
		lineage := h.lineage(testHostname)
		os.Remove(filepath.Join(lineage, "privkey.pem"))
		r := h.run(h.files(testParams).DeployHook, "", []string{"RENEWED_LINEAGE=" + lineage})
		if r.err == nil || !strings.Contains(r.stderr, "privkey.pem is missing") {
			t.Errorf("%v\n%s", r.err, r.stderr)
		}
		entries, _ := os.ReadDir(h.l.TLSDir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("temporary file left: %s", e.Name())
			}
		}
	})
}

func TestIssueObtainsTheCertificateAndRunsTheHook(t *testing.T) {
	h := newHost(t)
	h.flag("nats-running")
	f := h.files(testParams)
	h.installHook(f)
	r := h.run(f.Issue, fakeCloudflareToken+"\n", nil)
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.stderr)
	}
	certbot := strings.TrimSpace(h.log("certbot.log"))
	for _, want := range []string{"certonly --non-interactive --agree-tos --no-eff-email --email ops@example.com",
		"--dns-cloudflare --dns-cloudflare-credentials " + h.tmp + "/hoodcloud-certbot.",
		"--cert-name nats.example.com --domain nats.example.com --keep-until-expiring"} {
		if !strings.Contains(certbot, want) {
			t.Errorf("certbot argv lacks %q:\n%s", want, certbot)
		}
	}
	if !strings.HasSuffix(certbot, "--keep-until-expiring --server "+LetsEncryptDirectory) {
		t.Errorf("first issuance: certbot argv does not end with the server and nothing else: %s", certbot)
	}
	if !h.has("credentials-ok") || strings.TrimSpace(h.log("credentials-mode")) != "600" {
		t.Errorf("credentials: ok=%v mode %q", h.has("credentials-ok"), h.log("credentials-mode"))
	}
	if b, err := os.ReadFile(filepath.Join(h.l.TLSDir, "fullchain.pem")); err != nil || string(b) != "fake chain for nats.example.com\n" {
		t.Errorf("deploy hook did not install the certificate: %q %v", b, err)
	}
	if h.log("signals") == "" {
		t.Errorf("NATS was not signalled")
	}
	// Re-running keeps the certificate (certbot decides; the flags say so) and switches CA when asked:
	// certbot's renewal configuration from the previous run names the server each time.
	staging := testParams
	staging.Server = LetsEncryptStagingDirectory
	const keep, replace = "--keep-until-expiring --server ", " --force-renewal --break-my-certs"
	for _, step := range []struct {
		what string
		p    certbotParams
		want string
	}{
		{"re-run", testParams, keep + LetsEncryptDirectory},
		{"switch to staging", staging, keep + LetsEncryptStagingDirectory + replace},
		{"re-run on staging", staging, keep + LetsEncryptStagingDirectory},
		{"switch back to production", testParams, keep + LetsEncryptDirectory + replace},
	} {
		r = h.run(h.files(step.p).Issue, fakeCloudflareToken+"\n", nil)
		if last := lastLine(h.log("certbot.log")); r.err != nil || !strings.HasSuffix(last, step.want) || strings.Contains(last, "--staging") {
			t.Errorf("%s: %v\ncertbot %q\nwant suffix %q", step.what, r.err, last, step.want)
		}
	}
}

// The issue script reads the server certbot recorded for the lineage as text (never sourcing it) and
// replaces the certificate exactly when that server is not the configured one.
func TestIssueReplacesTheCertificateOnlyWhenTheCAChanges(t *testing.T) {
	const pebble = "https://pebble:14000/dir"
	conf := func(serverLine string) string {
		return "# renew_before_expiry = 30 days\nversion = 2.9.0\narchive_dir = /etc/letsencrypt/archive/nats.example.com\n" +
			"\n# Options used in the renewal process\n[renewalparams]\naccount = 0123456789abcdef\n" +
			"authenticator = dns-cloudflare\n" + serverLine
	}
	for _, c := range []struct {
		name, server, renewalConf string // renewalConf "": no earlier certificate
		replace                   bool
	}{
		{"first issuance", LetsEncryptDirectory, "", false},
		{"same server", LetsEncryptDirectory, conf("server = " + LetsEncryptDirectory + "\n"), false},
		{"same custom server", pebble, conf("server = " + pebble + "\n"), false},
		{"same server, spacing and no final newline", pebble, conf("  server=" + pebble + "   "), false},
		{"other server", pebble, conf("server = " + LetsEncryptDirectory + "\n"), true},
		{"staging to production", LetsEncryptDirectory, conf("server = " + LetsEncryptStagingDirectory + "\n"), true},
		{"server that only differs by a path", LetsEncryptDirectory, conf("server = " + LetsEncryptDirectory + "/v2\n"), true},
		{"a comment naming another server", LetsEncryptDirectory, "# server = " + pebble + "\n" + conf("server = "+LetsEncryptDirectory+"\n"), false},
		{"no server recorded is certbot's default", LetsEncryptDirectory, conf(""), false},
		{"no server recorded, custom server", pebble, conf(""), true},
		{"recorded server with a command substitution", LetsEncryptDirectory,
			conf("server = https://x/$(touch${IFS}$FAKE_STATE/pwned)`touch${IFS}$FAKE_STATE/pwned`\n"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHost(t)
			p := testParams
			p.Server = c.server
			f := h.files(p)
			h.installHook(f)
			if c.renewalConf != "" {
				mkdir(t, filepath.Join(h.l.LetsEncryptDir, "renewal"))
				write(t, filepath.Join(h.l.LetsEncryptDir, "renewal", testHostname+".conf"), c.renewalConf)
			}
			r := h.run(f.Issue, fakeCloudflareToken+"\n", nil)
			if r.err != nil {
				t.Fatalf("%v\n%s", r.err, r.stderr)
			}
			argv := strings.Fields(strings.TrimSpace(h.log("certbot.log")))
			if !slices.Contains(argv, "--server") || argv[slices.Index(argv, "--server")+1] != c.server {
				t.Errorf("certbot was not given --server %s: %q", c.server, argv)
			}
			for _, flag := range []string{"--force-renewal", "--break-my-certs"} {
				if slices.Contains(argv, flag) != c.replace {
					t.Errorf("%s passed: %v, want %v (certbot %q)", flag, !c.replace, c.replace, argv)
				}
			}
			if h.has("pwned") {
				t.Errorf("the renewal configuration was executed")
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestIssueFailures(t *testing.T) {
	for name, c := range map[string]struct {
		stdin, flag, want string
	}{
		"no token":        {"", "", "no Cloudflare API token on stdin"},
		"malformed token": {"two words\n", "", "the Cloudflare API token on stdin is malformed"},
		"certbot fails":   {fakeCloudflareToken + "\n", "certbot-fails", "Invalid access token"},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHost(t)
			f := h.files(testParams)
			h.installHook(f)
			if c.flag != "" {
				h.flag(c.flag)
			}
			r := h.run(f.Issue, c.stdin, nil)
			if r.err == nil || !strings.Contains(r.stderr, c.want) {
				t.Errorf("%v\n%s", r.err, r.stderr)
			}
			if strings.Contains(r.stderr, "two words") {
				t.Errorf("the malformed token was echoed")
			}
			if _, err := os.Stat(h.l.TLSDir); !os.IsNotExist(err) {
				t.Errorf("deploy hook ran after a failure")
			}
		})
	}
}

func TestVaultAddrStep(t *testing.T) {
	h := newHost(t)
	f := h.files(testParams)
	if r := h.run(f.VaultAddr, fakeVaultAddr+"\n", nil); r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.stderr)
	}
	if b, _ := os.ReadFile(h.l.VaultAddrFile); string(b) != fakeVaultAddr+"\n" {
		t.Errorf("vault_addr %q", b)
	}
	for _, bad := range []string{"", "http://vault:8200", "https://vault:8200/v1", "https://a b"} {
		r := h.run(f.VaultAddr, bad+"\n", nil)
		if r.err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if b, _ := os.ReadFile(h.l.VaultAddrFile); string(b) != fakeVaultAddr+"\n" {
		t.Errorf("a refused address overwrote the file: %q", b)
	}
}

func TestInstallPutsFilesAndEnablesTheTimer(t *testing.T) {
	h := newHost(t)
	f := h.files(testParams)
	if r := h.run(f.Install, "", nil); r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.stderr)
	}
	apt := h.log("apt-get.log")
	if !strings.Contains(apt, "update") || !strings.Contains(apt, "install -y -qq --no-install-recommends certbot python3-certbot-dns-cloudflare curl python3") {
		t.Errorf("apt-get: %q", apt)
	}
	for path, want := range map[string]struct {
		content string
		mode    os.FileMode
	}{
		h.l.wrapperPath():    {f.Wrapper, 0o755},
		h.l.deployHookPath(): {f.DeployHook, 0o755},
		h.l.dropInPath():     {f.DropIn, 0o644},
	} {
		b, err := os.ReadFile(path)
		if err != nil || string(b) != want.content {
			t.Errorf("%s differs from the rendered file (%v)", path, err)
		}
		if st, _ := os.Stat(path); st == nil || st.Mode().Perm() != want.mode {
			t.Errorf("%s mode %v, want %v", path, st.Mode().Perm(), want.mode)
		}
	}
	if got := h.log("systemctl.log"); got != "daemon-reload\nenable --now certbot.timer\n" {
		t.Errorf("systemctl: %q", got)
	}
	// Second run: nothing to install, nothing changed, no reload.
	old := time.Unix(1_000_000, 0)
	if err := os.Chtimes(h.l.wrapperPath(), old, old); err != nil {
		t.Fatal(err)
	}
	if r := h.run(f.Install, "", nil); r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.stderr)
	}
	if strings.Count(h.log("apt-get.log"), "\ninstall ") != 1 {
		t.Errorf("packages installed twice: %q", h.log("apt-get.log"))
	}
	if got := h.log("systemctl.log"); got != "daemon-reload\nenable --now certbot.timer\nenable --now certbot.timer\n" {
		t.Errorf("systemctl on the second run: %q", got)
	}
	if st, _ := os.Stat(h.l.wrapperPath()); !st.ModTime().Equal(old) {
		t.Errorf("unchanged wrapper was rewritten")
	}
}
