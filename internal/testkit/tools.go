package testkit

import (
	"os"
	"os/exec"
	"testing"
)

// RequireTool returns the path of an external validator (shellcheck, cloud-init, docker, …). Where it is
// missing the test is skipped on a developer's machine but fails in CI (CI=true), where `.ci/run` installs
// every tool: a validator that silently did not run must never pass CI.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI but not on PATH (.ci/run installs it): %v", name, err)
	}
	t.Skipf("%s not on PATH; `make deps` installs it", name)
	return ""
}
