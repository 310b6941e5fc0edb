package hostfiles

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hoodcloud/infra/internal/testkit"
)

func TestScriptGolden(t *testing.T) {
	s, err := RenderScript(Root, "0711")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "install-files.sh.golden", s)
}

func TestScriptPassesShellcheck(t *testing.T) {
	s, err := RenderScript(Root, "0711")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Shellcheck(t, "install-files.sh", s)
}

// runScript runs the install script for a temporary root with stdin.
func runScript(t *testing.T, root, stdin string) (string, error) {
	t.Helper()
	bash := testkit.RequireTool(t, "bash")
	s, err := RenderScript(root, "0711")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, "-c", s)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestScriptInstallsFilesWithModesAndIsIdempotent(t *testing.T) {
	root := t.TempDir()
	files := map[string][2]string{
		root + "/secrets/payment/server.key":    {"0644", "-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----\n"},
		root + "/secrets/payment/server.crt":    {"0644", "cert with spaces and\nnewlines\n"},
		root + "/secrets/vault-approle/role_id": {"0600", "role-123"},
	}
	out, err := runScript(t, root, Encode(files))
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(out, "installed 3 files") {
		t.Errorf("output %q", out)
	}
	for p, f := range files {
		b, err := os.ReadFile(p)
		if err != nil || string(b) != f[1] {
			t.Errorf("%s: %q, %v", p, b, err)
		}
		st, _ := os.Stat(p)
		if got := st.Mode().Perm(); got.String() != os.FileMode(parseMode(f[0])).String() {
			t.Errorf("%s mode %v, want %s", p, got, f[0])
		}
	}
	st, _ := os.Stat(root + "/secrets/payment")
	if st.Mode().Perm() != 0o711 {
		t.Errorf("directory mode %v, want 0711", st.Mode().Perm())
	}
	// A second run with the same content leaves the files alone.
	key := root + "/secrets/payment/server.key"
	old := time.Unix(1_000_000, 0)
	if err := os.Chtimes(key, old, old); err != nil {
		t.Fatal(err)
	}
	if out, err := runScript(t, root, Encode(files)); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if st, _ := os.Stat(key); !st.ModTime().Equal(old) {
		t.Errorf("unchanged file was rewritten")
	}
	entries, _ := os.ReadDir(root + "/secrets/payment")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".install.") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func parseMode(s string) uint32 {
	var m uint32
	for _, c := range s {
		m = m*8 + uint32(c-'0')
	}
	return m
}

func TestScriptRefusesPathsOutsideRootAndBadInput(t *testing.T) {
	root := t.TempDir()
	cases := map[string]string{
		"outside root": "/etc/passwd 0644 eA==\n",
		"dot-dot":      root + "/secrets/../../x 0644 eA==\n",
		"bad mode":     root + "/secrets/x 644 eA==\n",
		"not base64":   root + "/secrets/x 0644 !!!\n",
	}
	for name, stdin := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := runScript(t, root, stdin)
			if err == nil {
				t.Fatalf("accepted: %s", out)
			}
			if !strings.Contains(out, "install-files:") {
				t.Errorf("no reason given: %q", out)
			}
			if strings.Contains(out, "eA==") {
				t.Errorf("content echoed in error: %q", out)
			}
		})
	}
}
