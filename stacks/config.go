package stacks

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/components/nats"
)

// Namespace is the project's config namespace: every key below is `hoodcloud:<key>`.
const Namespace = "hoodcloud"

// Config is the typed configuration of one stack. Each field is one key declared in Pulumi.yaml, which
// holds the defaults (the Pulumi CLI applies them); this type holds no defaults of its own, so there is
// one source of truth.
type Config struct {
	Stack string
	// RootDir is the project directory (where Pulumi.yaml is); relative paths are resolved against it.
	RootDir string

	Topology      TopologyKind
	Domain        string
	AdminCIDRs    []string
	SSHPublicKeys []string
	// DeployKeyGeneration numbers the deploy key remote steps dial with; + 1 rotates it.
	DeployKeyGeneration int

	ServerType string
	Location   string
	Image      string
	Backups    bool
	Protect    bool

	StateBucket           string
	ChainConfigBucket     string
	LockTable             string
	NoncurrentVersionDays int
	GitHubRepository      string
	GitHubReleaseRefs     []string
	GitHubOIDCProviderARN string
	// InfraRepository is this repository (owner/name) whose workflows deploy the stack; empty: no CI roles.
	InfraRepository string
	// PulumiStateBucket is the Pulumi state backend's bucket, which the CI roles may use.
	PulumiStateBucket string
	// StackOutputReaders are repositories whose workflows may read the outputs through the preview role.
	StackOutputReaders []string

	// Vault (PKI and Vault bootstrap).
	VaultHost         string
	VaultKeyShares    int
	VaultKeyThreshold int
	VaultPGPKeys      []string
	VaultAutoUnseal   bool
	// VaultUnsealKeys is set only for a Vault initialised outside this stack (JSON list, secret).
	VaultUnsealKeys pulumi.StringOutput
	HasUnsealKeys   bool
	// VaultRootToken (secret) replaces the revoked bootstrap token: for an adopted Vault, or to re-run the
	// steps that need root (vault operator generate-root).
	VaultRootToken pulumi.StringOutput
	HasRootToken   bool
	// VaultAlreadyInitialized adopts a Vault initialised outside this stack.
	VaultAlreadyInitialized bool
	// AWSRegion is the AWS provider's region (aws:region); Vault's KMS seal and the services use it.
	AWSRegion string

	// Application secrets, populated into Vault.
	CloudflareAPIToken  pulumi.StringOutput
	StripeSecretKey     pulumi.StringOutput
	StripeWebhookSecret pulumi.StringOutput
	ClerkSecretKey      pulumi.StringOutput
	HetznerToken        pulumi.StringOutput
	// Database and dashboard passwords, installed as files the compose secrets read.
	PostgresPassword        pulumi.StringOutput
	PaymentPostgresPassword pulumi.StringOutput
	GrafanaAdminPassword    pulumi.StringOutput

	// Deploys (compose deploys, NATS, verification).
	BundleDir        string
	ACMEEmail        string
	ACMEStaging      bool
	ACMEServer       string // as configured; empty: ACMEDirectory derives it from ACMEStaging
	RegistryServer   string
	RegistryUsername string
	RegistryPassword pulumi.StringOutput
	HasRegistryLogin bool
	// AppVersion is the tag of HoodCloud's own images; ImageRegistry their registry/namespace.
	AppVersion    string
	ImageRegistry string
}

// ACMEDirectory is the ACME directory URL certbot issues the NATS certificate from: hoodcloud:acmeServer,
// or Let's Encrypt's staging or production directory by hoodcloud:acmeStaging (Validate refuses both set).
func (c *Config) ACMEDirectory() string {
	switch {
	case c.ACMEServer != "":
		return c.ACMEServer
	case c.ACMEStaging:
		return nats.LetsEncryptStagingDirectory
	}
	return nats.LetsEncryptDirectory
}

// LoadConfig reads and validates the stack's configuration. Every problem is reported at once, before
// any resource is registered.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	root := ctx.RootDirectory()
	if root == "" {
		// An Automation-API inline program gets no root directory; its driver runs in the project
		// directory (internal/engine), which is also the plugins' working directory.
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("stack %q: project directory: %w", ctx.Stack(), err)
		}
		root = wd
	}
	return loadConfig(ctx.Stack(), root, newReader(ctx))
}

func loadConfig(stack, root string, r *reader) (*Config, error) {
	c := &Config{Stack: stack, RootDir: root}
	c.Topology = TopologyKind(r.str("topology"))
	c.Domain = r.str("domain")
	c.AdminCIDRs = r.strs("adminCidrs")
	c.SSHPublicKeys = r.strs("sshPublicKeys")
	c.DeployKeyGeneration = r.integer("deployKeyGeneration")
	c.ServerType = r.str("serverType")
	c.Location = r.str("location")
	c.Image = r.str("image")
	c.Backups = r.boolean("serverBackups")
	c.Protect = r.boolean("protect")
	c.StateBucket = r.optStr("stateBucketName", "hoodcloud-"+c.Stack+"-terraform-state")
	c.ChainConfigBucket = r.optStr("chainConfigBucketName", "hoodcloud-"+c.Stack+"-chain-configs")
	c.LockTable = r.optStr("lockTableName", "hoodcloud-"+c.Stack+"-terraform-locks")
	c.NoncurrentVersionDays = r.integer("noncurrentVersionExpirationDays")
	c.GitHubRepository = r.optStr("githubRepository", "")
	c.GitHubReleaseRefs = r.strs("githubReleaseRefs")
	c.GitHubOIDCProviderARN = r.optStr("githubOidcProviderArn", "")
	c.InfraRepository = r.optStr("infraRepository", "")
	c.PulumiStateBucket = r.optStr("pulumiStateBucket", "")
	c.StackOutputReaders = r.strs("stackOutputReaders")
	c.VaultHost = r.optStr("vaultHost", "")
	c.VaultKeyShares = r.integer("vaultKeyShares")
	c.VaultKeyThreshold = r.integer("vaultKeyThreshold")
	c.VaultPGPKeys = r.strs("vaultPgpKeys")
	c.VaultAutoUnseal = r.boolean("vaultAutoUnseal")
	c.VaultUnsealKeys, c.HasUnsealKeys = r.optionalSecret("vaultUnsealKeys")
	c.VaultRootToken, c.HasRootToken = r.optionalSecret("vaultRootToken")
	c.VaultAlreadyInitialized = r.boolean("vaultAlreadyInitialized")
	c.AWSRegion = r.providerString("aws", "region")
	c.CloudflareAPIToken = r.requiredSecret("cloudflareApiToken")
	c.StripeSecretKey = r.requiredSecret("stripeSecretKey")
	c.StripeWebhookSecret = r.requiredSecret("stripeWebhookSecret")
	c.ClerkSecretKey = r.requiredSecret("clerkSecretKey")
	c.HetznerToken = r.providerSecret("hcloud", "token", hetznerTokenShape)
	c.PostgresPassword = r.requiredSecret("postgresPassword")
	c.PaymentPostgresPassword = r.requiredSecret("paymentPostgresPassword")
	c.GrafanaAdminPassword = r.requiredSecret("grafanaAdminPassword")
	c.BundleDir = r.str("bundleDir")
	c.ACMEEmail = r.str("acmeEmail")
	c.ACMEStaging = r.boolean("acmeStaging")
	c.ACMEServer = r.optStr("acmeServer", "")
	c.RegistryServer = r.optStr("registryServer", "")
	c.RegistryUsername = r.optStr("registryUsername", "")
	c.RegistryPassword, c.HasRegistryLogin = r.optionalSecret("registryPassword")
	c.AppVersion = r.str("appVersion")
	c.ImageRegistry = r.str("imageRegistry")
	if err := r.err(); err != nil {
		return nil, fmt.Errorf("stack %q configuration: %w", stack, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("stack %q configuration: %w", stack, err)
	}
	return c, nil
}
