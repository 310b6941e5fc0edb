// Package stacks is the HoodCloud Infra program: typed configuration, the server topology of each stack,
// the wiring of the components into one graph, and the stack-outputs contract that operators' CI reads.
package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/platform"
)

// Program is the whole program; main.go runs it with pulumi.Run.
func Program(ctx *pulumi.Context) error {
	out, err := Deploy(ctx)
	if err != nil {
		return err
	}
	return out.Export(ctx)
}

// Deploy validates the configuration, builds the graph and returns the outputs contract. Nothing is
// registered when the configuration is invalid.
func Deploy(ctx *pulumi.Context) (*Outputs, error) {
	g, err := newGraph(ctx, true)
	if err != nil {
		return nil, err
	}
	if err := g.build(g.aws, g.hetzner, g.pki, g.nats, g.vault, g.deploys); err != nil {
		return nil, err
	}
	return g.outputs(), nil
}

// newGraph loads and checks the configuration (and, for the deploys, the application bundles).
func newGraph(ctx *pulumi.Context, withBundles bool) (*graph, error) {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	g := &graph{ctx: ctx, cfg: cfg, topo: NewTopology(cfg.Topology, cfg.VaultHost)}
	if withBundles {
		if g.bundles, err = prepareBundles(cfg); err != nil {
			return nil, fmt.Errorf("stack %q application bundle: %w", ctx.Stack(), err)
		}
	}
	return g, nil
}

// build runs the layers in order, each reading what the layers before it built.
func (g *graph) build(layers ...func() error) error {
	for _, layer := range layers {
		if err := layer(); err != nil {
			return err
		}
	}
	return nil
}

// Phase names a prefix of the program's layers that the rehearsal (package rehearsal) brings up on its own,
// each proven on real servers before the next is added.
type Phase string

const (
	// PhaseHosts is the Hetzner layer: keys, addresses, servers, firewalls, each server's authorized_keys
	// and host baseline.
	PhaseHosts Phase = "hosts"
	// PhaseVault adds AWS (the control plane's key is a Vault secret), the PKI (and its files on the
	// servers) and the Vault bootstrap; NATS (and its secrets in Vault) and the deploys are left out.
	PhaseVault Phase = "vault"
	// PhasePlatform is the whole program (Deploy) with its outputs contract.
	PhasePlatform Phase = "platform"
)

// PhaseProgram is the program up to phase, from the same configuration. Besides the full program's outputs
// (PhasePlatform) its outputs are each server's address and SSH host key, by host name (<host>-ipv4,
// <host>-host-public-key), which server runs what (roleHosts), and from PhaseVault on Vault's address, CA
// certificate, whether the root token is revoked, the consumers' role IDs and init's answer (secret: the
// key holders' unseal keys, as in the full program's outputs).
func PhaseProgram(phase Phase) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		g, err := newGraph(ctx, phase == PhasePlatform)
		if err != nil {
			return err
		}
		layers := map[Phase][]func() error{
			PhaseHosts:    {g.hetzner},
			PhaseVault:    {g.aws, g.hetzner, g.pki, g.vault},
			PhasePlatform: {g.aws, g.hetzner, g.pki, g.nats, g.vault, g.deploys},
		}[phase]
		if layers == nil {
			return fmt.Errorf("stack %q: no phase %q of the program", ctx.Stack(), phase)
		}
		if err := g.build(layers...); err != nil {
			return err
		}
		if phase == PhasePlatform {
			if err := g.outputs().Export(ctx); err != nil {
				return err
			}
		}
		for _, h := range g.topo.Hosts {
			ctx.Export(h.Name+"-ipv4", g.hosts[h.Name].IPv4)
			ctx.Export(h.Name+"-host-public-key", g.hosts[h.Name].HostPublicKey)
		}
		// Which server runs what: the consumers' AppRole files and Vault itself.
		ctx.Export("roleHosts", pulumi.StringMap{
			ConsumerControlPlane:   pulumi.String(g.topo.HostOf(platform.ControlPlane).Name),
			ConsumerCertbot:        pulumi.String(g.topo.HostOf(platform.ControlPlane).Name),
			ConsumerPayment:        pulumi.String(g.topo.HostOf(platform.Payment).Name),
			string(platform.Vault): pulumi.String(g.topo.HostOf(platform.Vault).Name),
		})
		if g.secrets != nil && phase != PhasePlatform {
			ctx.Export("vaultAddress", g.secrets.Address)
			ctx.Export("vaultCaCert", g.secrets.CACertPEM)
			ctx.Export("vaultRootTokenRevoked", g.secrets.RootTokenRevoked)
			ctx.Export("vaultInitJson", g.secrets.InitOutput)
		}
		if g.secrets != nil {
			ctx.Export("vaultConsumerRoleIds", g.secrets.ConsumerRoleIDs)
		}
		return nil
	}
}
