package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Namespace is the project's config namespace: every key below is `hoodcloud:<key>`.
const Namespace = "hoodcloud"

// Config is the typed configuration of one stack. Each field is one key declared in Pulumi.yaml, which
// holds the defaults (the Pulumi CLI applies them); this type holds no defaults of its own, so there is
// one source of truth.
type Config struct {
	Stack string

	Topology      TopologyKind
	Domain        string
	AdminCIDRs    []string
	SSHPublicKeys []string

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
}

// LoadConfig reads and validates the stack's configuration. Every problem is reported at once, before
// any resource is registered.
func LoadConfig(ctx *pulumi.Context) (*Config, error) {
	return loadConfig(ctx.Stack(), newReader(config.New(ctx, Namespace)))
}

func loadConfig(stack string, r *reader) (*Config, error) {
	c := &Config{Stack: stack}
	c.Topology = TopologyKind(r.str("topology"))
	c.Domain = r.str("domain")
	c.AdminCIDRs = r.strs("adminCidrs")
	c.SSHPublicKeys = r.strs("sshPublicKeys")
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
	if err := r.err(); err != nil {
		return nil, fmt.Errorf("stack %q configuration: %w", stack, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("stack %q configuration: %w", stack, err)
	}
	return c, nil
}
