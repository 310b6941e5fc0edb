package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// An incomplete toolchain is named part by part, with the command that makes it.
func TestFindToolchainNamesWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "home-real"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := FindToolchain(dir)
	if err == nil {
		t.Fatal("an incomplete toolchain was accepted")
	}
	for _, want := range []string{"scripts/engine-toolchain.sh", filepath.Join(dir, "bin", "pulumi"), filepath.Join(dir, "home-standin")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), filepath.Join(dir, "home-real")+",") {
		t.Errorf("error names a part that exists: %v", err)
	}
}

// An inline program resolves project paths against the working directory, so Open refuses to run it
// from anywhere but the project directory.
func TestOpenRunsOnlyInTheProjectDirectory(t *testing.T) {
	project, elsewhere := t.TempDir(), t.TempDir()
	t.Chdir(elsewhere)
	_, err := Open(context.Background(), Options{ProjectDir: project}, func(*pulumi.Context) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "run from the project directory "+project) {
		t.Errorf("err %v", err)
	}
}

// The aws stand-in marker is what cmd/preview reads.
func TestStandInAWSMarker(t *testing.T) {
	tc := Toolchain{Dir: t.TempDir()}
	if tc.StandInAWS() {
		t.Error("no marker, yet a stand-in")
	}
	if err := os.MkdirAll(tc.Home(Real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tc.Home(Real), "STANDIN-AWS"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if !tc.StandInAWS() {
		t.Error("marker not seen")
	}
}
