package hcloudhost

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoodcloud/infra/internal/testkit"
)

// fixtureKeys are real public keys (ssh-keygen must read them), made once per test.
func fixtureKeys(t *testing.T, n int) []string {
	t.Helper()
	keygen := testkit.RequireTool(t, "ssh-keygen")
	dir := t.TempDir()
	var keys []string
	for i := range n {
		p := filepath.Join(dir, "k"+string(rune('a'+i)))
		if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", p).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		b, err := os.ReadFile(p + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, strings.TrimSpace(string(b))+" key-"+string(rune('a'+i)))
	}
	return keys
}

const goldenKeyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEaiXJ7LlZkR6dPk0xHGkqn0yjpXl3i4F7f0PjGbqKXc operator"
const goldenKeyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIbPz1m7X3kq8s2lH9Qn5yPZr0m3xC2aV8dJk1Lw7uQe hoodcloud-test-deploy-g1"

func TestAuthorizedKeysScriptGoldenAndShellcheck(t *testing.T) {
	s, err := RenderAuthorizedKeys(AuthorizedKeysParams{ServerName: "hoodcloud-test-payment", File: AuthorizedKeysFile,
		Keys: []string{goldenKeyA, goldenKeyB}})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "authorized-keys.sh.golden", s)
	testkit.Shellcheck(t, "authorized-keys.sh", s)
}

// The script installs exactly the keys given, replacing what was there (a removed operator key is gone),
// and a key ssh-keygen cannot read leaves the old file in place: a broken file would lock everyone out.
func TestAuthorizedKeysScriptInstallsExactlyTheKeys(t *testing.T) {
	keys := fixtureKeys(t, 3)
	file := filepath.Join(t.TempDir(), ".ssh", "authorized_keys")
	run := func(keys ...string) (string, error) {
		s, err := RenderAuthorizedKeys(AuthorizedKeysParams{ServerName: "test", File: file, Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("bash", "-c", s).CombinedOutput()
		return string(out), err
	}
	if out, err := run(keys...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := readLines(t, file); strings.Join(got, "\n") != strings.Join(keys, "\n") {
		t.Errorf("installed %q, want %q", got, keys)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("authorized_keys mode: %v %v", info.Mode(), err)
	}
	if out, err := run(keys[1], keys[2]); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := readLines(t, file); len(got) != 2 || got[0] != keys[1] {
		t.Errorf("after removing a key: %q", got)
	}
	out, err := run(keys[0], "ssh-ed25519 AAAAnotakey broken")
	if err == nil || !strings.Contains(out, "ssh-keygen read 1 of 2 keys") {
		t.Errorf("a broken key was accepted: %v\n%s", err, out)
	}
	if got := readLines(t, file); len(got) != 2 || got[0] != keys[1] {
		t.Errorf("a refused key list changed the file: %q", got)
	}
	if leftovers, _ := filepath.Glob(file + ".*"); len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestRenderAuthorizedKeysRefusesBrokenLines(t *testing.T) {
	for name, keys := range map[string][]string{
		"none":       nil,
		"empty":      {goldenKeyA, " "},
		"line break": {goldenKeyA + "\n" + goldenKeyB},
	} {
		if _, err := RenderAuthorizedKeys(AuthorizedKeysParams{ServerName: "s", File: AuthorizedKeysFile, Keys: keys}); err == nil ||
			!strings.Contains(err.Error(), "hoodcloud:sshPublicKeys") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func readLines(t *testing.T, p string) []string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}
