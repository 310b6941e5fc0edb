package testkit

import (
	"os"
	"os/exec"
	"testing"

	"github.com/hoodcloud/infra/internal/remotestep"
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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

// TriggerHashKey is the hash key of the targets Target makes.
const TriggerHashKey = "fixture-trigger-hash-key"

// Target is a remote-step target for component tests: a connection to host and a fixed secret hash key.
func Target(conn remote.ConnectionInput) remotestep.Target {
	return remotestep.Target{Connection: conn, HashKey: pulumi.ToSecret(pulumi.String(TriggerHashKey)).(pulumi.StringOutput)}
}
