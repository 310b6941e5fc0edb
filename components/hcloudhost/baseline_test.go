package hcloudhost

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoodcloud/infra/internal/testkit"
)

// A fixed, throwaway Ed25519 host key: the golden file must not change between runs.
const (
	fixtureHostPrivate = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBGolden0nlyFixtureKeyMaterialNotARealKeyAAAAAAAAAAAAAAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
	fixtureHostPublic  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEaiXJ7LlZkR6dPk0xHGkqn0yjpXl3i4F7f0PjGbqKXc\n"
)

func renderFixtureCloudInit(t *testing.T) string {
	t.Helper()
	out, err := RenderCloudInit(CloudInitParams{ServerName: "hoodcloud-test-payment",
		HostKeyPrivate: fixtureHostPrivate, HostKeyPublic: fixtureHostPublic})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCloudInitGolden(t *testing.T) {
	testkit.Golden(t, "cloud-init.yaml.golden", renderFixtureCloudInit(t))
}

func TestBaselineScriptGolden(t *testing.T) {
	s, err := RenderBaselineScript()
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "host-baseline.sh.golden", s)
}

// cloud-init's own schema validator accepts the rendered document.
func TestCloudInitPassesCloudInitSchema(t *testing.T) {
	ci := testkit.RequireTool(t, "cloud-init")
	path := filepath.Join(t.TempDir(), "user-data.yaml")
	if err := os.WriteFile(path, []byte(renderFixtureCloudInit(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ci, "schema", "--config-file", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Valid") {
		t.Fatalf("cloud-init schema rejected the user data: %v\n%s", err, out)
	}
}

// The validator really validates: a document with a wrong type is refused.
func TestCloudInitSchemaRejectsABrokenDocument(t *testing.T) {
	ci := testkit.RequireTool(t, "cloud-init")
	path := filepath.Join(t.TempDir(), "user-data.yaml")
	broken := strings.Replace(renderFixtureCloudInit(t), "ssh_pwauth: false", "ssh_pwauth: [nope]", 1)
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(ci, "schema", "--config-file", path).CombinedOutput(); err == nil {
		t.Fatalf("cloud-init schema accepted a broken document:\n%s", out)
	}
}

func TestBaselineScriptPassesShellcheck(t *testing.T) {
	s, err := RenderBaselineScript()
	if err != nil {
		t.Fatal(err)
	}
	testkit.Shellcheck(t, "host-baseline.sh", s)
}

// Both deliveries carry the same baseline: every file's content, every package and directory.
func TestCloudInitAndBaselineCarryTheSameBaseline(t *testing.T) {
	ci := renderFixtureCloudInit(t)
	script, err := RenderBaselineScript()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Files {
		if !strings.Contains(script, f.Content) {
			t.Errorf("baseline script lacks %s", f.Path)
		}
		if !strings.Contains(ci, Indent6(f.Content)) || !strings.Contains(ci, "path: "+f.Path) {
			t.Errorf("cloud-init lacks %s", f.Path)
		}
	}
	for _, p := range Packages {
		if !strings.Contains(ci, "  - "+p+"\n") || !strings.Contains(script, "'"+p+"'") {
			t.Errorf("package %s missing from a delivery", p)
		}
	}
	for _, d := range Dirs {
		if !strings.Contains(ci, d.Path) || !strings.Contains(script, "'"+d.Path+"'") {
			t.Errorf("directory %s missing from a delivery", d.Path)
		}
	}
	if !strings.Contains(ci, `"/opt/hoodcloud/secrets"`) && !strings.Contains(ci, "\"0711\", /opt/hoodcloud/secrets") {
		t.Errorf("secrets directory is not created 0711 by cloud-init")
	}
	for _, must := range []string{"PasswordAuthentication no", "PermitRootLogin prohibit-password", "ssh_pwauth: false"} {
		if !strings.Contains(ci, must) {
			t.Errorf("cloud-init lacks %q", must)
		}
	}
}

func Indent6(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "      " + l
		}
	}
	return strings.Join(lines, "\n")
}

func TestRenderCloudInitRefusesANonEd25519HostKey(t *testing.T) {
	_, err := RenderCloudInit(CloudInitParams{ServerName: "x", HostKeyPrivate: "k", HostKeyPublic: "ssh-rsa AAAA"})
	if err == nil || !strings.Contains(err.Error(), "ssh-ed25519") {
		t.Fatalf("err = %v", err)
	}
}

// The metadata-blocking unit is valid for systemd, and both deliveries enable it.
func TestBlockMetadataUnitVerifies(t *testing.T) {
	sa := testkit.RequireTool(t, "systemd-analyze")
	dir := t.TempDir()
	// The unit requires docker.service; a minimal stand-in lets verify resolve the dependency.
	if err := os.WriteFile(filepath.Join(dir, "docker.service"), []byte("[Service]\nExecStart=/bin/true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(dir, BlockMetadataUnit)
	if err := os.WriteFile(unit, []byte(blockMetadataUnit), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sa, "verify", "--man=no", unit)
	cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+dir+":")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	broken := filepath.Join(dir, "broken.service")
	if err := os.WriteFile(broken, []byte(strings.Replace(blockMetadataUnit, "/usr/sbin/iptables -I", "iptables-missing -I", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(sa, "verify", "--man=no", broken)
	cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+dir+":")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("systemd-analyze accepted a unit with a relative ExecStart:\n%s", out)
	}
	ci := renderFixtureCloudInit(t)
	script, err := RenderBaselineScript()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ci, "enable, --now, "+BlockMetadataUnit) || !strings.Contains(script, "systemctl restart "+BlockMetadataUnit) {
		t.Error("a delivery does not enable the metadata block")
	}
}

// The container runtime never restarts unattended under Vault (a restarted Vault container is sealed):
// unattended-upgrades leave docker.io, containerd and runc alone, and live-restore keeps containers running
// through an operator's upgrade or a daemon reload, which the baseline applies without a restart.
func TestContainerRuntimeSurvivesUpgrades(t *testing.T) {
	var daemon map[string]any
	if err := json.Unmarshal([]byte(dockerDaemon), &daemon); err != nil {
		t.Fatalf("%s: %v", DockerDaemonConfig, err)
	}
	if daemon["live-restore"] != true {
		t.Errorf("%s: live-restore is %v", DockerDaemonConfig, daemon["live-restore"])
	}
	blacklist := unattendedUpgrades[strings.Index(unattendedUpgrades, "Package-Blacklist"):]
	for _, pkg := range []string{"docker.io", "containerd", "runc"} {
		if !strings.Contains(blacklist, `"`+pkg+`";`) {
			t.Errorf("unattended-upgrades may upgrade %s", pkg)
		}
	}
	script, err := RenderBaselineScript()
	if err != nil {
		t.Fatal(err)
	}
	reload := strings.Index(script, "systemctl reload docker.service")
	if reload < 0 || reload < strings.Index(script, DockerDaemonConfig) || strings.Contains(script, "systemctl restart docker") {
		t.Error("the baseline must apply daemon.json by reloading (not restarting) Docker after writing it")
	}
	if strings.Count(script, `"${apt_wait[@]}"`) != 2 || !strings.Contains(script, "DPkg::Lock::Timeout=600") {
		t.Error("apt in the baseline does not wait for the dpkg lock")
	}
}
