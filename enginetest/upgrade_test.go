package enginetest

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/components/hcloudbase"
	"github.com/hoodcloud/infra/internal/engine"
)

// A stack made before deploy keys had generations keeps its deploy key: generation 1 takes over the old
// resource by alias (the same key, no replacement), so the first up of this version dials with the key
// every server already has. The old program is reproduced as it registered the key: a child
// "hetzner-deploy-key" of the hoodcloud:hetzner:Base component "hetzner".
func TestDeployKeyGenerationOneKeepsTheOldKey(t *testing.T) {
	old := openProject(t, "staging", engine.StandIn, func(ctx *pulumi.Context) error {
		base := &struct{ pulumi.ResourceState }{}
		if err := ctx.RegisterComponentResource(hcloudbase.TypeToken, "hetzner", base); err != nil {
			return err
		}
		_, err := tls.NewPrivateKey(ctx, "hetzner-deploy-key", &tls.PrivateKeyArgs{Algorithm: pulumi.String("ED25519")}, pulumi.Parent(base))
		return err
	})
	old.up(t)

	// The same stack, state and directory, driven by today's component.
	current, err := engine.Open(context.Background(), engine.Options{
		Toolchain: toolchain(t), Plugins: engine.StandIn, ProjectDir: old.dir, Stack: old.stack,
		BackendURL: old.backend, Passphrase: passphrase,
	}, func(ctx *pulumi.Context) error {
		_, err := hcloudbase.New(ctx, "hetzner", &hcloudbase.Args{
			NamePrefix: "hoodcloud-staging", DeployKeyGeneration: 1,
			OperatorKeys: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEaiXJ7LlZkR6dPk0xHGkqn0yjpXl3i4F7f0PjGbqKXc operator"},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ch, events := engine.Watch()
	if _, err := current.Preview(context.Background(), optpreview.EventStreams(ch)); err != nil {
		t.Fatalf("preview of the current program: %v", err)
	}
	events.Wait()
	ops := events.Ops(false)
	if ops["hetzner-deploy-key-g1"] != "same" {
		t.Errorf("generation 1 of the deploy key: %q, want same (the old key, by alias); all: %v", ops["hetzner-deploy-key-g1"], ops)
	}
	if ops["hetzner-deploy-key-g2"] != "create" {
		t.Errorf("generation 2: %q, want create", ops["hetzner-deploy-key-g2"])
	}
}
