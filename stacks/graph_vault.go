package stacks

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/components/awsunseal"
	"github.com/hoodcloud/infra/components/vault"
	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/platform"
)

// VaultPort is Vault's API port (TLS).
const VaultPort = 8200

// AppRoleDir is where a consumer's role_id and secret_id files live on its server.
func AppRoleDir(consumer string) string { return "/opt/hoodcloud/secrets/vault-approle/" + consumer }

// Vault consumers: each gets one policy and one AppRole, limited to its own paths (least privilege).
const (
	ConsumerControlPlane = "control-plane"
	ConsumerPayment      = "payment"
	ConsumerCertbot      = "certbot"
)

// vaultAddress is Vault's API as every server and the operator's machine reach it.
func (g *graph) vaultAddress() pulumi.StringOutput {
	return pulumi.Sprintf("https://%s:%d", g.addrs[g.topo.HostOf(platform.Vault).Name].IPv4, VaultPort)
}

// vault is guide Part 1b: deploy, init 5/3, unseal, policies and AppRoles, secrets, AppRole credentials on
// the consuming servers, root token revoked.
func (g *graph) vault() error {
	vh := g.topo.HostOf(platform.Vault)
	host := g.hosts[vh.Name]
	args := &vault.Args{
		ProjectDir:   g.cfg.RootDir,
		Host:         host.Target,
		DependsOn:    host.Ready,
		Address:      g.vaultAddress(),
		CACertPEM:    g.certs.VaultServer.CAPEM,
		CertPEM:      g.certs.VaultServer.CertPEM,
		KeyPEM:       g.certs.VaultServer.KeyPEM,
		KeyShares:    g.cfg.VaultKeyShares,
		KeyThreshold: g.cfg.VaultKeyThreshold,
		PGPKeys:      g.cfg.VaultPGPKeys,
		Consumers:    g.vaultConsumers(),
		Secrets:      g.vaultSecrets(),
		Protect:      g.cfg.Protect,
	}
	if g.cfg.HasUnsealKeys {
		args.UnsealKeys = g.cfg.VaultUnsealKeys.ApplyT(func(s string) ([]string, error) {
			var keys []string
			if err := json.Unmarshal([]byte(s), &keys); err != nil {
				// The value is secret: say what is wrong without quoting it.
				return nil, fmt.Errorf("%s:vaultUnsealKeys: expected a JSON list of keys, found something else", Namespace)
			}
			return keys, nil
		}).(pulumi.StringArrayOutput)
	}
	// A configured root token replaces the revoked bootstrap token: the steps that need root (credential,
	// revoke) get it on stdin, re-run, and revoke it again. Adopting a Vault initialised elsewhere is a
	// separate, explicit choice.
	args.AlreadyInitialized = g.cfg.VaultAlreadyInitialized
	if g.cfg.HasRootToken {
		args.RootToken = g.cfg.VaultRootToken
	}
	if g.cfg.VaultAutoUnseal {
		u, err := awsunseal.New(g.ctx, "vault-unseal", &awsunseal.Args{
			UserName: g.prefix() + "-vault-unseal", Protect: g.cfg.Protect, Tags: g.tags(),
			PermissionsBoundary: g.iam.PermissionsBoundary,
		})
		if err != nil {
			return err
		}
		args.AutoUnseal = &vault.AutoUnseal{KMSKeyID: u.KeyID, Region: g.cfg.AWSRegion,
			AccessKeyID: u.AccessKeyID, SecretAccessKey: u.SecretAccessKey}
	}
	var err error
	g.secrets, err = vault.New(g.ctx, "vault", args)
	return err
}

func readOnly(paths ...string) []vault.PathRule {
	var out []vault.PathRule
	for _, p := range paths {
		out = append(out, vault.PathRule{Path: p, Capabilities: []string{"read"}})
	}
	return out
}

func (g *graph) vaultConsumers() []vault.Consumer {
	cp := g.hosts[g.topo.HostOf(platform.ControlPlane).Name]
	pay := g.hosts[g.topo.HostOf(platform.Payment).Name]
	return []vault.Consumer{
		{Name: ConsumerControlPlane, Paths: readOnly("secret/data/control-plane/*"),
			Host: cp.Target, DependsOn: cp.Ready, Dir: AppRoleDir(ConsumerControlPlane)},
		{Name: ConsumerPayment, Paths: readOnly("secret/data/payment/*"),
			Host: pay.Target, DependsOn: pay.Ready, Dir: AppRoleDir(ConsumerPayment)},
		{Name: ConsumerCertbot, Paths: readOnly("secret/data/infra/certbot/*"),
			Host: cp.Target, DependsOn: cp.Ready, Dir: AppRoleDir(ConsumerCertbot)},
	}
}

// AgentGatewayCASecretPath is the KV path (under secret/) of the agent CA's certificate and key.
const AgentGatewayCASecretPath = "control-plane/agent-gateway-ca"

// AgentGatewayPort is the agent gateway's public mTLS port (Port Reference).
const AgentGatewayPort = 9090

// vaultSecrets replaces `vault-migrate-secrets.sh --manual` and the guide's `vault kv put` commands.
func (g *graph) vaultSecrets() []vault.Secret {
	secrets := []vault.Secret{
		{Path: "infra/certbot/cloudflare", Data: map[string]pulumi.StringInput{"api_token": g.cfg.CloudflareAPIToken}},
		{Path: "payment/stripe", Data: map[string]pulumi.StringInput{
			"secret_key": g.cfg.StripeSecretKey, "webhook_secret": g.cfg.StripeWebhookSecret}},
		{Path: "control-plane/hetzner", Data: map[string]pulumi.StringInput{"token": g.cfg.HetznerToken}},
		{Path: "control-plane/aws", Data: map[string]pulumi.StringInput{
			"access_key_id": g.iam.AccessKeyID, "secret_access_key": g.iam.SecretAccessKey}},
		{Path: "control-plane/clerk", Data: map[string]pulumi.StringInput{"secret_key": g.cfg.ClerkSecretKey}},
		// The agent CA: the control plane (and only it: its AppRole reads control-plane/*) issues agents'
		// client certificates for the agent gateway with it.
		{Path: AgentGatewayCASecretPath, Data: map[string]pulumi.StringInput{
			"ca_cert": g.certs.AgentGatewayCAPEM, "ca_key": g.certs.AgentGatewayCAKeyPEM}},
	}
	return append(secrets, g.extraVaultSecrets...)
}

// secretsDigest is a content hash of the Vault secrets under prefix (secret itself). A stack whose services
// read those secrets carries it in its deploy hashes, so changing a Stripe key restarts the payment
// service, and nothing else.
func (g *graph) secretsDigest(prefix string) pulumi.StringOutput {
	var parts []any
	var names []string
	for _, s := range g.vaultSecrets() {
		if !strings.HasPrefix(s.Path, prefix) {
			continue
		}
		keys := make([]string, 0, len(s.Data))
		for k := range s.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			names = append(names, s.Path+"#"+k)
			parts = append(parts, s.Data[k])
		}
	}
	digest := pulumi.All(parts...).ApplyT(func(vs []any) string {
		files := map[string]string{}
		for i, v := range vs {
			files[names[i]] = v.(string)
		}
		return contenthash.OfFiles(files)
	}).(pulumi.StringOutput)
	return component.Secret(digest)
}
