// Package stacks is the HoodCloud Infra program: typed configuration, the server topology of each stack,
// the wiring of the components into one graph, and the stack-outputs contract that operators' CI reads.
package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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

// HostsProgram is the Hetzner layer of the same configuration alone: keys, addresses, servers, firewalls,
// each server's authorized_keys and host baseline. It is the rehearsal's first phase (package rehearsal):
// the hosts the rest of the graph runs on, proven on real SSH before anything is deployed onto them. Its
// outputs are each server's address and SSH host key, by host name.
func HostsProgram(ctx *pulumi.Context) error {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return err
	}
	g := &graph{ctx: ctx, cfg: cfg, topo: NewTopology(cfg.Topology, cfg.VaultHost)}
	if err := g.hetzner(); err != nil {
		return err
	}
	for _, h := range g.topo.Hosts {
		ctx.Export(h.Name+"-ipv4", g.hosts[h.Name].IPv4)
		ctx.Export(h.Name+"-host-public-key", g.hosts[h.Name].HostPublicKey)
	}
	return nil
}
