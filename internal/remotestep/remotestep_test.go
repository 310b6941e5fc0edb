package remotestep_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/remotestep"
	"github.com/hoodcloud/infra/internal/testkit"
)

func run(t *testing.T, s remotestep.Step) testkit.Registration {
	t.Helper()
	rec := testkit.NewRecorder("hoodcloud", "test")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := remotestep.Run(ctx, "step", remotestep.Target{Connection: remote.ConnectionArgs{Host: pulumi.String("203.0.113.1")},
			HashKey: pulumi.ToSecret(pulumi.String(hashKey)).(pulumi.StringOutput)}, s)
		return err
	}, pulumi.WithMocks("hoodcloud", "test", rec))
	if err != nil {
		t.Fatal(err)
	}
	return rec.OfType("command:remote:Command")[0]
}

const hashKey = "fixture-trigger-hash-key"

const script = "#!/usr/bin/env bash\nset -euo pipefail\necho hi\n"

// A step with stdin logs nothing, keeps its stdin and outputs secret and never hands the previous
// output to the next run.
func TestSensitiveStep(t *testing.T) {
	c := run(t, remotestep.Step{Script: script, Stdin: pulumi.String("fixture-secret-9a")})
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

// A plain step logs as usual; its first trigger is the script's content hash, then one HMAC of the extra
// hashes under the target's key — public even though a hash of secret files is secret.
func TestTriggersAreContentHashes(t *testing.T) {
	secretHash := pulumi.ToSecret(pulumi.String("extra-1")).(pulumi.StringOutput)
	c := run(t, remotestep.Step{Script: script, Hashes: []pulumi.StringInput{secretHash, pulumi.String("extra-2")}})
	if _, ok := c.Inputs["logging"]; ok {
		t.Error("a plain step should keep pulumi-command's default logging")
	}
	if c.Inputs["triggers"].ContainsSecrets() {
		t.Error("triggers contain a secret: pulumi-command refuses one that is unknown at preview")
	}
	tr := c.Inputs["triggers"].ArrayValue()
	if len(tr) != 2 || tr[0].StringValue() != contenthash.Of(script, "") || tr[1].StringValue() != contenthash.Keyed(hashKey, "extra-1", "extra-2") {
		t.Errorf("triggers %v", tr)
	}
	if tr[1].StringValue() == contenthash.Of("extra-1", "extra-2") {
		t.Error("the trigger is an unkeyed hash of the secret hashes")
	}
	if c.Inputs["create"].StringValue() != script {
		t.Error("the script is not the command")
	}
}

// A target without a connection or hash key is refused before the step is registered.
func TestTargetIsComplete(t *testing.T) {
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := remotestep.Run(ctx, "step", remotestep.Target{}, remotestep.Step{Script: script})
		return err
	}, pulumi.WithMocks("hoodcloud", "test", testkit.NewRecorder("hoodcloud", "test")))
	for _, want := range []string{"hoodcloud:step: expected a connection to the host and its trigger hash key, found neither"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

// A step with secret output still logs (the operator's progress) but keeps stdout and stderr secret.
func TestSecretOutputStepLogsButKeepsOutputSecret(t *testing.T) {
	c := run(t, remotestep.Step{Script: script, SecretOutput: true})
	if _, ok := c.Inputs["logging"]; ok {
		t.Error("a step with secret output should keep pulumi-command's default logging")
	}
	want := map[string]bool{"stdout": true, "stderr": true}
	for _, k := range c.AdditionalSecretOutputs {
		delete(want, k)
	}
	if len(want) != 0 {
		t.Errorf("outputs not marked secret: %v", want)
	}
}

// A step with a delete script is replaced delete-first: otherwise the old step's delete would run after
// the new step's create and remove what it had just installed.
func TestStepWithDeleteIsReplacedDeleteFirst(t *testing.T) {
	c := run(t, remotestep.Step{Script: script, Delete: "#!/usr/bin/env bash\nset -euo pipefail\nrm -f /x\n"})
	if !c.DeleteBeforeReplace || c.Inputs["delete"].StringValue() == "" {
		t.Errorf("deleteBeforeReplace %v, delete %v", c.DeleteBeforeReplace, c.Inputs["delete"])
	}
	if plain := run(t, remotestep.Step{Script: script}); plain.DeleteBeforeReplace {
		t.Error("a step without a delete script is replaced delete-first")
	}
}

// Everything a step ships is in its triggers (which replace it): stdin too, keyed like the other hashes.
// A change of anything else, the connection, is an update, which runs the Unchanged script: by default
// Reached, which does nothing on the host.
func TestStdinIsInTheTriggersAndAnUpdateRunsUnchanged(t *testing.T) {
	a := run(t, remotestep.Step{Script: script, Stdin: pulumi.String("fixture-secret-1")})
	b := run(t, remotestep.Step{Script: script, Stdin: pulumi.String("fixture-secret-2")})
	ta, tb := a.Inputs["triggers"].ArrayValue(), b.Inputs["triggers"].ArrayValue()
	if len(ta) != 2 || ta[1].StringValue() != contenthash.Keyed(hashKey, contenthash.Of("stdin", "fixture-secret-1")) {
		t.Errorf("triggers %v", ta)
	}
	if ta[1].StringValue() == tb[1].StringValue() {
		t.Error("a new stdin does not change the triggers")
	}
	if a.Inputs["triggers"].ContainsSecrets() {
		t.Error("the stdin trigger is secret: pulumi-command refuses one that is unknown at preview")
	}
	if got := a.Inputs["update"].StringValue(); got != remotestep.Reached {
		t.Errorf("update runs %q, want the Reached script", got)
	}
	testkit.Shellcheck(t, "reached.sh", remotestep.Reached)
	own := run(t, remotestep.Step{Script: script, Unchanged: pulumi.String(script)})
	if own.Inputs["update"].StringValue() != script {
		t.Error("a step's own Unchanged script is not its update")
	}
	if a.Inputs["addPreviousOutputInEnv"].BoolValue() || own.Inputs["addPreviousOutputInEnv"].BoolValue() {
		t.Error("a step hands its previous output to the next run")
	}
}

// A frozen step keeps every input it ran with, the ones pulumi-command might add later included: none
// of them may update it and so replace its stdout.
func TestFrozenIgnoresEveryInputThatCouldUpdate(t *testing.T) {
	rec := testkit.NewRecorder("hoodcloud", "test")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := remotestep.Run(ctx, "step", remotestep.Target{Connection: remote.ConnectionArgs{Host: pulumi.String("203.0.113.1")},
			HashKey: pulumi.String(hashKey)}, remotestep.Step{Script: script, Stdin: pulumi.String("s")}, remotestep.Frozen())
		return err
	}, pulumi.WithMocks("hoodcloud", "test", rec))
	if err != nil {
		t.Fatal(err)
	}
	c := rec.OfType("command:remote:Command")[0]
	ignored := map[string]bool{}
	for _, k := range c.IgnoreChanges {
		ignored[k] = true
	}
	// Every input pulumi-command's remote Command has, not only those registered today: an input set
	// later for the first time would be an update too.
	for _, k := range []string{"connection", "create", "update", "delete", "triggers", "stdin", "environment", "logging", "addPreviousOutputInEnv"} {
		if !ignored[k] {
			t.Errorf("a frozen step updates when %s changes", k)
		}
	}
	for k := range c.Inputs {
		if !ignored[string(k)] {
			t.Errorf("a frozen step updates when %s changes", k)
		}
	}
}
