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
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	bundles, err := prepareBundles(cfg)
	if err != nil {
		return nil, fmt.Errorf("stack %q application bundle: %w", ctx.Stack(), err)
	}
	g := &graph{ctx: ctx, cfg: cfg, topo: NewTopology(cfg.Topology, cfg.VaultHost), bundles: bundles}
	for _, layer := range []func() error{g.aws, g.hetzner, g.pki, g.nats, g.vault, g.deploys} {
		if err := layer(); err != nil {
			return nil, err
		}
	}
	return g.outputs(), nil
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
)

// PhaseProgram is the program up to phase, from the same configuration. Its outputs are each server's
// address and SSH host key, by host name (<host>-ipv4, <host>-host-public-key), and from PhaseVault on
// Vault's address, CA certificate, whether the root token is revoked, the consumers' role IDs and init's
// answer (secret: the key holders' unseal keys, as in the full program's outputs).
func PhaseProgram(phase Phase) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		cfg, err := LoadConfig(ctx)
		if err != nil {
			return err
		}
		g := &graph{ctx: ctx, cfg: cfg, topo: NewTopology(cfg.Topology, cfg.VaultHost)}
		layers := map[Phase][]func() error{
			PhaseHosts: {g.hetzner},
			PhaseVault: {g.aws, g.hetzner, g.pki, g.vault},
		}[phase]
		if layers == nil {
			return fmt.Errorf("stack %q: no phase %q of the program", ctx.Stack(), phase)
		}
		for _, layer := range layers {
			if err := layer(); err != nil {
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
		if g.secrets != nil {
			ctx.Export("vaultAddress", g.secrets.Address)
			ctx.Export("vaultCaCert", g.secrets.CACertPEM)
			ctx.Export("vaultRootTokenRevoked", g.secrets.RootTokenRevoked)
			ctx.Export("vaultConsumerRoleIds", g.secrets.ConsumerRoleIDs)
			ctx.Export("vaultInitJson", g.secrets.InitOutput)
		}
		return nil
	}
}
