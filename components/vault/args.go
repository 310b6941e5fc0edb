package vault

import (
	"strings"

	"github.com/hoodcloud/infra/internal/remotestep"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Defaults of the key split (guide Part 1b: -key-shares=5 -key-threshold=3) and of the provider's CA
// file directory.
const (
	DefaultKeyShares    = 5
	DefaultKeyThreshold = 3
	DefaultCACertDir    = ".vault-ca"
)

// Args configures the Vault bootstrap. Plain Go fields decide which resources exist; Inputs flow.
type Args struct {
	// Host is the Vault host (reached over SSH, host key pinned).
	Host remotestep.Target
	// DependsOn is what the install step waits for: the host's baseline (Docker installed).
	DependsOn []pulumi.Resource
	// Address is Vault's API as the operator's machine (and the provider) reaches it: https://<ip>:8200.
	Address pulumi.StringInput
	// TLS material of Vault's listener. KeyPEM is a secret.
	CACertPEM, CertPEM, KeyPEM pulumi.StringInput

	// Image is the Vault image of the embedded compose file; empty means DefaultImage.
	Image string
	// ComposeFile replaces the embedded docker-compose.vault.yml; it must define service `vault` in
	// profile `vault-prod` and mount the files the way the embedded one does.
	ComposeFile string
	// Storage is Vault's storage backend: "file" (default) or "raft".
	Storage string

	// KeyShares and KeyThreshold split the unseal (or, with AutoUnseal, recovery) key; 0 means 5 and 3.
	KeyShares, KeyThreshold int
	// PGPKeys are base64 public keys that encrypt the key shares, one per share; empty: plain keys.
	PGPKeys []string
	// AlreadyInitialized declares a Vault initialised outside this program (or whose init output is not
	// in this stack): the unseal keys and a root token must then come from configuration.
	AlreadyInitialized bool
	// UnsealKeys (secret) override the keys of the init output; required when AlreadyInitialized or when
	// PGPKeys encrypt the init output's keys, unless AutoUnseal.
	UnsealKeys pulumi.StringArrayInput
	// RootToken (secret) overrides the init output's root token, for a Vault initialised elsewhere or
	// after the first root token was revoked.
	RootToken pulumi.StringInput
	// AutoUnseal, when set, lets AWS KMS unseal Vault: no unseal step is created.
	AutoUnseal *AutoUnseal

	// Consumers get a policy, an AppRole role and its role_id/secret_id files on their host.
	Consumers []Consumer
	// Secrets are written to the KV v2 mount secret/.
	Secrets []Secret

	// CACertDir is where the provider's CA file is written, relative to the project directory (the
	// provider plugin's working directory) unless absolute; empty means DefaultCACertDir.
	CACertDir string
	// ProjectDir is the project directory the relative CACertDir is resolved against when the file is
	// written: the stack's root (Pulumi.yaml's directory), which is the plugins' working directory under
	// the CLI and under the Automation-API drivers alike (internal/engine runs them there). Empty means
	// the working directory.
	ProjectDir string
	// Protect protects the init step (it holds the only copy of the unseal keys) and the KV mount.
	Protect bool
}

// AutoUnseal configures the awskms seal.
type AutoUnseal struct {
	KMSKeyID        pulumi.StringInput
	Region          string
	AccessKeyID     pulumi.StringInput
	SecretAccessKey pulumi.StringInput // secret
}

// Consumer is one service that reads secrets (control-plane, payment, certbot).
type Consumer struct {
	// Name names the policy and AppRole role hoodcloud-<name>.
	Name string
	// Paths are everything the consumer may do: its policy holds exactly these rules.
	Paths []PathRule
	// Host receives the AppRole files.
	Host remotestep.Target
	// DependsOn is what the file step waits for (the consumer host's baseline).
	DependsOn []pulumi.Resource
	// Dir holds role_id and secret_id; empty means /opt/hoodcloud/secrets/vault-approle/<name>.
	Dir string
}

// PathRule is one `path "…" { capabilities = […] }` stanza.
type PathRule struct {
	Path         string
	Capabilities []string
}

// Secret is one KV v2 secret under secret/ (Path like "infra/certbot/cloudflare").
type Secret struct {
	Path string
	Data map[string]pulumi.StringInput // values are secrets
}

func (a *Args) shares() int {
	if a.KeyShares == 0 {
		return DefaultKeyShares
	}
	return a.KeyShares
}

func (a *Args) threshold() int {
	if a.KeyThreshold == 0 {
		return DefaultKeyThreshold
	}
	return a.KeyThreshold
}

func (a *Args) image() string {
	if a.Image == "" {
		return DefaultImage
	}
	return a.Image
}

func (a *Args) storage() string {
	if a.Storage == "" {
		return "file"
	}
	return a.Storage
}

func (a *Args) caCertDir() string {
	if a.CACertDir == "" {
		return DefaultCACertDir
	}
	return a.CACertDir
}

// dir is the consumer's AppRole file directory.
func (c Consumer) dir() string {
	if c.Dir == "" {
		return AppRoleBaseDir + "/" + c.Name
	}
	return c.Dir
}

// slug turns a secret path into a resource-name part: infra/certbot/cloudflare → infra-certbot-cloudflare.
func slug(p string) string { return strings.ReplaceAll(p, "/", "-") }
