package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/components/nats"
	"github.com/hoodcloud/infra/components/pki"
	"github.com/hoodcloud/infra/components/vault"
	"github.com/hoodcloud/infra/internal/platform"
)

// nats is guide 2.5b: operator-mode JWTs and the Let's Encrypt certificate of nats.<domain> with its
// Vault-backed renewal. It comes before Vault because Vault stores its signing seed; certbot needs Vault
// only when the renewal timer fires, by which time the certbot AppRole files are on the server.
func (g *graph) nats() error {
	cp := g.hosts[g.topo.HostOf(platform.ControlPlane).Name]
	var err error
	g.messaging, err = nats.New(g.ctx, "nats", &nats.Args{
		Domain:             g.cfg.Domain,
		Host:               cp.Target,
		CloudflareAPIToken: g.cfg.CloudflareAPIToken,
		ACMEEmail:          g.cfg.ACMEEmail,
		ACMEServer:         g.cfg.ACMEDirectory(),
		VaultAddress:       g.vaultAddress(),
		VaultCACert:        pki.SecretsDir + "/vault/ca.crt",
		CertbotAppRoleDir:  AppRoleDir(ConsumerCertbot),
		DependsOn:          cp.Ready,
		Protect:            g.cfg.Protect,
	})
	if err != nil {
		return err
	}
	g.extraVaultSecrets = append(g.extraVaultSecrets, vault.Secret{
		Path: "control-plane/nats",
		Data: map[string]pulumi.StringInput{"nats_ctrl_signing_seed": g.messaging.CtrlSigningSeed},
	})
	return nil
}
