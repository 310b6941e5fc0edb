package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/components/awsiam"
	"github.com/hoodcloud/infra/components/awsstorage"
	"github.com/hoodcloud/infra/components/compose"
	"github.com/hoodcloud/infra/components/hcloudaddress"
	"github.com/hoodcloud/infra/components/hcloudbase"
	"github.com/hoodcloud/infra/components/hcloudhost"
	"github.com/hoodcloud/infra/components/hostfiles"
	"github.com/hoodcloud/infra/components/nats"
	"github.com/hoodcloud/infra/components/pki"
	"github.com/hoodcloud/infra/components/vault"
	"github.com/hoodcloud/infra/components/verify"
)

// graph holds the components of one stack while the layers are wired, each layer reading what the
// layers before it built.
type graph struct {
	ctx  *pulumi.Context
	cfg  *Config
	topo Topology
	// bundles are the application bundles, checked before anything was registered.
	bundles map[string]*compose.Prepared

	storage *awsstorage.Storage
	iam     *awsiam.IAM
	base    *hcloudbase.Base
	addrs   map[string]*hcloudaddress.Address
	hosts   map[string]*hcloudhost.Host

	certs    *pki.PKI
	pkiFiles map[string]*hostfiles.Files

	// extraVaultSecrets are secrets other layers (NATS) put in Vault; they are created before Vault.
	messaging         *nats.NATS
	extraVaultSecrets []vault.Secret
	secrets           *vault.Vault

	controlPlane, payment *compose.Stack
	mtls                  *verify.MTLS
}

// prefix is the Hetzner/AWS-side name prefix of the stack's resources.
func (g *graph) prefix() string { return "hoodcloud-" + g.cfg.Stack }

func (g *graph) tags() map[string]string {
	return map[string]string{"Project": "hoodcloud", "Stack": g.cfg.Stack, "ManagedBy": "pulumi"}
}

func (g *graph) labels() map[string]string {
	return map[string]string{"project": "hoodcloud", "stack": g.cfg.Stack, "managed-by": "pulumi"}
}

// aws is guide Part 1: buckets, lock table, IAM user and the optional GitHub release role.
func (g *graph) aws() error {
	var err error
	g.storage, err = awsstorage.New(g.ctx, "storage", &awsstorage.Args{
		StateBucket:           g.cfg.StateBucket,
		ChainConfigBucket:     g.cfg.ChainConfigBucket,
		LockTable:             g.cfg.LockTable,
		NoncurrentVersionDays: g.cfg.NoncurrentVersionDays,
		Protect:               g.cfg.Protect,
		Tags:                  g.tags(),
	})
	if err != nil {
		return err
	}
	var gh *awsiam.GitHubOIDC
	if g.cfg.GitHubRepository != "" {
		gh = &awsiam.GitHubOIDC{
			Repository: g.cfg.GitHubRepository,
			Refs:       g.cfg.GitHubReleaseRefs,
			RoleName:   g.prefix() + "-chain-config-release",
		}
	}
	var ci *awsiam.CIRoles
	if g.cfg.InfraRepository != "" {
		ci = &awsiam.CIRoles{
			Repository:         g.cfg.InfraRepository,
			Environment:        g.cfg.Stack,
			OutputReaders:      g.cfg.StackOutputReaders,
			NamePrefix:         g.prefix(),
			StateBackendBucket: g.cfg.PulumiStateBucket,
			StackTag:           g.tags()["Stack"],
			Project:            g.ctx.Project(),
			StateBucketName:    g.cfg.StateBucket, ChainConfigBucketName: g.cfg.ChainConfigBucket, LockTableName: g.cfg.LockTable,
		}
	}
	g.iam, err = awsiam.New(g.ctx, "iam", &awsiam.Args{
		UserName:             g.prefix() + "-control-plane",
		StateBucketARN:       g.storage.StateBucket.ARN,
		ChainConfigBucketARN: g.storage.ChainConfigBucket.ARN,
		LockTableARN:         g.storage.LockTableARN,
		GitHub:               gh,
		CI:                   ci,
		OIDCProviderARN:      g.cfg.GitHubOIDCProviderARN,
		Tags:                 g.tags(),
	})
	return err
}

// hetzner is guide Parts 2.1 and 3.1: keys, addresses, then servers, whose firewalls name each other's
// addresses (which is why addresses come first and apart from servers).
func (g *graph) hetzner() error {
	var err error
	g.base, err = hcloudbase.New(g.ctx, "hetzner", &hcloudbase.Args{
		NamePrefix:          g.prefix(),
		OperatorKeys:        g.cfg.SSHPublicKeys,
		DeployKeyGeneration: g.cfg.DeployKeyGeneration,
		Spread:              len(g.topo.Hosts) > 1,
		Labels:              g.labels(),
	})
	if err != nil {
		return err
	}
	g.addrs = map[string]*hcloudaddress.Address{}
	for _, h := range g.topo.Hosts {
		g.addrs[h.Name], err = hcloudaddress.New(g.ctx, h.Name+"-address", &hcloudaddress.Args{
			ResourceName: g.prefix() + "-" + h.Name,
			Location:     g.cfg.Location,
			Protect:      g.cfg.Protect,
			Labels:       g.labels(),
		})
		if err != nil {
			return err
		}
	}
	g.hosts = map[string]*hcloudhost.Host{}
	for _, h := range g.topo.Hosts {
		addr := g.addrs[h.Name]
		g.hosts[h.Name], err = hcloudhost.New(g.ctx, h.Name, &hcloudhost.Args{
			ServerName:       g.prefix() + "-" + h.Name,
			ServerType:       g.cfg.ServerType,
			Image:            g.cfg.Image,
			Location:         g.cfg.Location,
			Backups:          g.cfg.Backups,
			Protect:          g.cfg.Protect,
			Labels:           g.labels(),
			IPv4ID:           addr.IPv4ID,
			IPv6ID:           addr.IPv6ID,
			IPv4:             addr.IPv4,
			SSHKeyIDs:        g.base.SSHKeyIDs,
			DeployPrivateKey: g.base.DeployPrivateKey,
			AuthorizedKeys:   g.base.AuthorizedKeys,
			PlacementGroupID: g.base.PlacementGroupID,
			Firewall:         firewallRules(g.topo, h, g.addrs, g.cfg.AdminCIDRs),
		})
		if err != nil {
			return err
		}
	}
	return nil
}
