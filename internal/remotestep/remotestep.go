// Package remotestep runs one embedded script on a host over SSH, with the policies every remote step of
// HoodCloud shares: the script text is the command (so editing it re-runs it), Triggers carry a content
// hash of everything the step ships, secrets travel only on stdin, and a step that touches secrets logs
// nothing and keeps its stdout/stderr secret.
package remotestep

import (
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
	// Hashes are extra content hashes (of files the step depends on but does not carry in Script).
	Hashes []pulumi.StringInput
	// Delete is an optional script run when the step is destroyed.
	Delete string
}

// Run registers the step as a remote.Command named name.
func Run(ctx *pulumi.Context, name string, conn remote.ConnectionInput, s Step, opts ...pulumi.ResourceOption) (*remote.Command, error) {
	create := pulumi.String(s.Script).ToStringOutput()
	if s.Script == "" {
		create = s.ScriptOutput
	}
	triggers := pulumi.Array{create.ApplyT(func(script string) string { return contenthash.Of(script, s.Delete) })}
	for _, h := range s.Hashes {
		triggers = append(triggers, h)
	}
	args := &remote.CommandArgs{
		Connection: conn,
		Create:     create,
		Triggers:   triggers,
	}
	if s.Delete != "" {
		args.Delete = pulumi.String(s.Delete)
	}
	if s.Stdin != nil {
		args.Stdin = component.Secret(s.Stdin)
	}
	if s.Sensitive || s.Stdin != nil {
		args.Logging = remote.LoggingNone
		// pulumi-command would otherwise hand the previous run's (secret) stdout to the next run's
		// environment.
		args.AddPreviousOutputInEnv = pulumi.Bool(false)
		opts = append(opts, pulumi.AdditionalSecretOutputs([]string{"stdout", "stderr", "stdin"}))
	}
	return remote.NewCommand(ctx, name, args, opts...)
}
