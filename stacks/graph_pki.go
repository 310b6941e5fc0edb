package stacks

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/components/hostfiles"
	"github.com/hoodcloud/infra/components/pki"
	"github.com/hoodcloud/infra/internal/platform"
)

// addressesOf returns the public IPv4 and IPv6 of the server hosting role: the IP SANs of its certificates.
func (g *graph) addressesOf(role platform.Role) pulumi.StringArray {
	a := g.addrs[g.topo.HostOf(role).Name]
	return pulumi.StringArray{a.IPv4, a.IPv6}
}

// pki is guide Parts 1b (Vault TLS), 2.3 and 3.2: the certificates, and their files on each server. The
// Vault component installs Vault's own TLS files with Vault; every other file reaches its server through a
// files step that re-runs only when one of that server's files changes.
func (g *graph) pki() error {
	var err error
	g.certs, err = pki.New(g.ctx, "pki", &pki.Args{
		Domain:          g.cfg.Domain,
		Protect:         g.cfg.Protect,
		VaultIPs:        g.addressesOf(platform.Vault),
		PaymentIPs:      g.addressesOf(platform.Payment),
		ControlPlaneIPs: g.addressesOf(platform.ControlPlane),
	})
	if err != nil {
		return err
	}
	g.pkiFiles = map[string]*hostfiles.Files{}
	for _, h := range g.topo.Hosts {
		var files []hostfiles.File
		for _, f := range g.certs.FilesForRoles(h.Roles) {
			// Vault's own listener certificate and key are installed with Vault itself; its CA certificate
			// (vault/ca.crt) is what the services and the certbot wrapper mount, so it is shipped here too.
			if h.Hosts(platform.Vault) && strings.HasPrefix(f.Path, pki.SecretsDir+"/vault/") &&
				f.Path != pki.SecretsDir+"/vault/ca.crt" {
				continue
			}
			files = append(files, hostfiles.File{Path: f.Path, Mode: f.Mode, Content: f.Content})
		}
		if len(files) == 0 {
			continue
		}
		g.pkiFiles[h.Name], err = hostfiles.New(g.ctx, h.Name+"-pki-files", &hostfiles.Args{
			Host:      g.hosts[h.Name].Target,
			Files:     files,
			DependsOn: g.hosts[h.Name].Ready,
		})
		if err != nil {
			return err
		}
	}
	return nil
}
