package testkit

import (
	"os"
	"path/filepath"
	"testing"
)

// ProjectDir lays out a temporary project directory for one stack of the repository at root, as the
// engine tiers (enginetest, rehearsal) run the program: copies of Pulumi.yaml and the committed stack file
// (the engine may write to them) and a link to the repository's testdata.
func ProjectDir(t testing.TB, root, stack string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi." + stack + ".yaml"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "testdata"), filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	return dir
}
