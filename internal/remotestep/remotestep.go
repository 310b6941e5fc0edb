// Package remotestep runs one embedded script on a host over SSH, with the policies every remote step of
// HoodCloud shares: the script text is the command (so editing it re-runs it), Triggers carry a content
// hash of everything the step ships, secrets travel only on stdin, and a step that touches secrets logs
// nothing and keeps its stdout/stderr secret.
//
// Triggers are never secret. pulumi-command refuses a secret that is still unknown at preview inside
// `triggers` ("malformed secret: missing value"), and a content hash of secret files is unknown at the
// first preview. So the hashes of what a step ships are combined into one HMAC-SHA256 keyed with the
// target's HashKey, a secret of high entropy the stack holds: the trigger changes exactly when a hash
// does, yet reveals nothing about a low-entropy secret (a password) among the files.
//
// Everything a step ships is in its triggers — the script, the delete script, the extra hashes and stdin —
// and pulumi-command replaces a command whose triggers change, which runs its script. What is left to
// change without replacing it is how the host is reached (its connection: a rotated deploy key). Such an
// update runs the step's Unchanged script instead of its script: by default one that only proves the host
// accepts the new connection, so a deploy-key rotation re-runs nothing.
package remotestep

import (
	_ "embed"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/contenthash"
)

// Step is one remote script run.
type Step struct {
	// Script is the rendered script; it must start with a shebang and `set -euo pipefail`. It is executed
	// by the remote user's login shell (bash on the hosts cloud-init prepares).
	Script string
	// ScriptOutput replaces Script for a script known only as an output (it embeds an address).
	ScriptOutput pulumi.StringOutput
	// Stdin carries secrets (keys, tokens) to the script; nil for none.
	Stdin pulumi.StringInput
	// Sensitive makes the step log nothing and keeps stdout/stderr secret. Set it whenever Stdin is set or
	// the script prints anything derived from a secret.
	Sensitive bool
	// SecretOutput keeps stdout/stderr secret in the state while the step still logs as usual: for a step
	// whose output is the operator's progress but may quote what the services log (the compose deploy
	// prints migrate's output and failing containers' logs).
	SecretOutput bool
	// Hashes are extra content hashes (of files the step depends on but does not carry in Script).
	Hashes []pulumi.StringInput
	// Unchanged is run instead of the script when only the connection changed (see the package doc). Its
	// stdout replaces the step's stdout, so a step whose stdout the program reads sets one that prints the
	// same facts again (the deploy prints its last receipt); nil: Reached, which prints nothing.
	Unchanged pulumi.StringInput
	// Delete is an optional script run when the step is destroyed. A step with one is replaced delete
	// first: its delete removes what its create installed, so running it after the replacement's create
	// (Pulumi's default order) would remove what was just installed.
	Delete string
}

// Reached is the default Unchanged script: it proves the host accepts the connection and does nothing.
//
//go:embed scripts/reached.sh
var Reached string

// Target is a host that steps run on.
type Target struct {
	// Connection reaches the host (user, deploy key, pinned host key, dial retries).
	Connection remote.ConnectionInput
	// HashKey keys the step's content hashes (see the package doc): secret, high entropy, stable for the
	// life of the host.
	HashKey pulumi.StringInput
}

// Problems lists what is missing from the target, for the Validate of a component that runs steps;
// key names the configuration the target comes from.
func (t Target) Problems(key string) []error {
	if t.Connection == nil && t.HashKey == nil {
		return []error{fmt.Errorf("%s: expected a connection to the host and its trigger hash key, found neither", key)}
	}
	var errs []error
	if t.Connection == nil {
		errs = append(errs, fmt.Errorf("%s: expected a connection to the host, found none", key))
	}
	if t.HashKey == nil {
		errs = append(errs, fmt.Errorf("%s: expected the host's trigger hash key, found none", key))
	}
	return errs
}

// Run registers the step as a remote.Command named name.
func Run(ctx *pulumi.Context, name string, on Target, s Step, opts ...pulumi.ResourceOption) (*remote.Command, error) {
	if errs := on.Problems("hoodcloud:" + name); len(errs) != 0 {
		return nil, errors.Join(errs...)
	}
	create := pulumi.String(s.Script).ToStringOutput()
	if s.Script == "" {
		create = s.ScriptOutput
	}
	triggers := pulumi.Array{create.ApplyT(func(script string) string { return contenthash.Of(script, s.Delete) })}
	hashes := s.Hashes
	if s.Stdin != nil {
		// stdin is content the step ships: a change to it must replace the step like any other.
		hashes = append(append([]pulumi.StringInput(nil), hashes...), pulumi.ToSecret(s.Stdin.ToStringOutput().ApplyT(func(in string) string {
			return contenthash.Of("stdin", in)
		})).(pulumi.StringOutput))
	}
	if len(hashes) > 0 {
		triggers = append(triggers, keyedHashes(on.HashKey, hashes))
	}
	unchanged := s.Unchanged
	if unchanged == nil {
		unchanged = pulumi.String(Reached)
	}
	args := &remote.CommandArgs{
		Connection: on.Connection,
		Create:     create,
		Update:     unchanged,
		Triggers:   triggers,
		// No script reads the previous run's output, and sshd refuses the variables it would be sent in
		// (one warning per run).
		AddPreviousOutputInEnv: pulumi.Bool(false),
	}
	if s.Delete != "" {
		args.Delete = pulumi.String(s.Delete)
		opts = append(opts, pulumi.DeleteBeforeReplace(true))
	}
	if s.Stdin != nil {
		args.Stdin = component.Secret(s.Stdin)
	}
	if s.Sensitive || s.Stdin != nil {
		args.Logging = remote.LoggingNone
		opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"stdout", "stderr", "stdin"}))
	} else if s.SecretOutput {
		opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"stdout", "stderr"}))
	}
	return remote.NewCommand(ctx, name, args, opts...)
}

// keyedHashes combines the hashes into one public trigger: HMAC-SHA256 under key of the hashes in order.
func keyedHashes(key pulumi.StringInput, hashes []pulumi.StringInput) pulumi.StringOutput {
	parts := make([]any, 0, len(hashes)+1)
	parts = append(parts, key)
	for _, h := range hashes {
		parts = append(parts, h)
	}
	keyed := pulumi.All(parts...).ApplyT(func(x []any) string {
		hs := make([]string, len(hashes))
		for i := range hashes {
			hs[i] = x[i+1].(string)
		}
		return contenthash.Keyed(x[0].(string), hs...)
	}).(pulumi.StringOutput)
	return pulumi.Unsecret(keyed).(pulumi.StringOutput)
}

// Frozen is the option of a step that must not run again by itself once it ran (Vault's init, whose
// stdout alone holds the unseal keys; the root-only steps, whose root token is revoked): every input it is
// registered with keeps the value it ran with, the connection and the Unchanged script included, so no
// change of the program — an edited script, a rotated deploy key, a new input of a later pulumi-command —
// updates it, and its stdout stays what its one run printed. Only a replacement runs it again; it then
// runs with the inputs it was frozen with, so it dials with the deploy key of its first run (see the
// README's deploy-key rotation for what that means for `--replace`).
func Frozen() pulumi.ResourceOption {
	return pulumi.IgnoreChanges([]string{"create", "update", "delete", "triggers", "connection", "stdin", "environment", "logging", "addPreviousOutputInEnv"})
}
