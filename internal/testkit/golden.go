package testkit

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// update is the one -update flag of every package's golden files: `go test ./components/x -update`.
var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// Golden compares got with testdata/<name>, rewriting the file instead under -update.
func Golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the package's tests with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from its golden file; if the change is intended, rerun with -update\n--- got ---\n%s", name, got)
	}
}

// Shellcheck runs the real shellcheck on a bash script, at style severity, and fails the test with its
// findings.
func Shellcheck(t testing.TB, name, script string) {
	t.Helper()
	sc := RequireTool(t, "shellcheck")
	cmd := exec.Command(sc, "--shell=bash", "--severity=style", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck %s:\n%s", name, out)
	}
}
