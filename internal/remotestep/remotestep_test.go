package remotestep

import (
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/testkit"
)

func run(t *testing.T, s Step) testkit.Registration {
	t.Helper()
	rec := testkit.NewRecorder("hoodcloud", "test")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := Run(ctx, "step", remote.ConnectionArgs{Host: pulumi.String("203.0.113.1")}, s)
		return err
	}, pulumi.WithMocks("hoodcloud", "test", rec))
	if err != nil {
		t.Fatal(err)
	}
	return rec.OfType("command:remote:Command")[0]
}

const script = "#!/usr/bin/env bash\nset -euo pipefail\necho hi\n"

// A step with stdin logs nothing, keeps its stdin and outputs secret and never hands the previous
// output to the next run.
func TestSensitiveStep(t *testing.T) {
	c := run(t, Step{Script: script, Stdin: pulumi.String("fixture-secret-9a")})
	if !c.Inputs["stdin"].IsSecret() {
		t.Error("stdin not secret")
	}
	if c.Inputs["logging"].StringValue() != "none" || c.Inputs["addPreviousOutputInEnv"].BoolValue() {
		t.Errorf("logging %v, addPreviousOutputInEnv %v", c.Inputs["logging"], c.Inputs["addPreviousOutputInEnv"])
	}
	want := map[string]bool{"stdout": true, "stderr": true, "stdin": true}
	for _, k := range c.AdditionalSecretOutputs {
		delete(want, k)
	}
	if len(want) != 0 {
		t.Errorf("outputs not marked secret: %v", want)
	}
	if leaks := testkit.PlaintextLeaks([]testkit.Registration{c}, map[string]string{"s": "fixture-secret-9a"}); len(leaks) != 0 {
		t.Error(leaks)
	}
}

// A plain step logs as usual; its first trigger is the script's content hash, then the extra hashes.
func TestTriggersAreContentHashes(t *testing.T) {
	c := run(t, Step{Script: script, Hashes: []pulumi.StringInput{pulumi.String("extra-1")}})
	if _, ok := c.Inputs["logging"]; ok {
		t.Error("a plain step should keep pulumi-command's default logging")
	}
	tr := c.Inputs["triggers"].ArrayValue()
	if len(tr) != 2 || tr[0].StringValue() != contenthash.Of(script, "") || tr[1].StringValue() != "extra-1" {
		t.Errorf("triggers %v", tr)
	}
	if c.Inputs["create"].StringValue() != script {
		t.Error("the script is not the command")
	}
}
