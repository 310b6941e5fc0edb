package vault

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/hoodcloud/infra/internal/render"
)

// Every script, template and policy is an embedded file rendered by a pure function of its parameters:
// the same Args always give byte-identical scripts, so a step re-runs exactly when what it does changes.

var (
	//go:embed scripts/lib.sh.tmpl
	libTemplate string
	//go:embed scripts/json.sh
	jsonReaders string
	//go:embed scripts/install.sh.tmpl
	installTemplate string
	//go:embed scripts/init.sh.tmpl
	initTemplate string
	//go:embed scripts/unseal.sh.tmpl
	unsealTemplate string
	//go:embed scripts/seal-guard.sh.tmpl
	sealGuardTemplate string
	//go:embed scripts/credential.sh.tmpl
	credentialTemplate string
	//go:embed scripts/revoke-root.sh.tmpl
	revokeTemplate string
	//go:embed scripts/init-escrow-clear.sh.tmpl
	initEscrowClearTemplate string
	//go:embed scripts/root-token-still-set.sh
	rootTokenStillSet string
	//go:embed scripts/approle-files.sh.tmpl
	appRoleFilesTemplate string
	//go:embed scripts/approle-files-remove.sh.tmpl
	appRoleFilesRemoveTemplate string
	//go:embed templates/docker-compose.vault.yml.tmpl
	composeTemplate string
	//go:embed templates/vault.hcl.tmpl
	hclTemplate string
	//go:embed templates/consumer-policy.hcl.tmpl
	consumerPolicyTemplate string
	// programPolicy is the policy of the hoodcloud-pulumi AppRole, the provider's credential.
	//go:embed templates/pulumi-policy.hcl
	programPolicy string
)

// Fixed names of the deployment (guide Part 1b).
const (
	// DefaultImage is the Vault image of the embedded compose file, pinned by tag.
	DefaultImage = "hashicorp/vault:1.20.0"
	// Profile and Service are the compose profile and service the guide starts.
	Profile = "vault-prod"
	Service = "vault"
	// ProgramRole names the policy and AppRole role of the Pulumi program's own credential.
	ProgramRole = "hoodcloud-pulumi"
	// LoginPath is where the provider logs in with the program credential.
	LoginPath = "auth/approle/login"
	// ConsumerPrefix prefixes consumers' policy and role names; the program policy reaches only these.
	ConsumerPrefix = "hoodcloud-"
	// AppRoleBaseDir holds each consumer's role_id/secret_id directory on its host.
	AppRoleBaseDir = "/opt/hoodcloud/secrets/vault-approle"
	// containerAddr and containerCACert are how the CLI inside the container reaches Vault.
	containerAddr   = "https://127.0.0.1:8200"
	containerCACert = "/vault/tls/ca.pem"
	// hostAPIPort is the port Vault publishes on its host (Port Reference).
	hostAPIPort = "8200"
	// Token lifetimes of the program credential: one `pulumi up` at most.
	programTokenTTL    = "20m"
	programTokenMaxTTL = "1h"
)

// layout is where the steps put things on the Vault host; tests point it at a temporary directory and
// shorten the wait.
type layout struct {
	SecretsDir   string // TLS files; mounted read-only at /vault/tls
	VaultDir     string // compose file, vault.env, config/vault.hcl
	WaitAttempts int
	WaitSeconds  int
	// APIBase overrides the host's Vault API address (tests run Vault elsewhere); empty on hosts.
	APIBase string
}

// hostLayout is the layout of a real host (guide 2.3: secrets under /opt/hoodcloud/secrets).
var hostLayout = layout{
	SecretsDir:   "/opt/hoodcloud/secrets/vault",
	VaultDir:     "/opt/hoodcloud/vault",
	WaitAttempts: 60,
	WaitSeconds:  2,
}

func (l layout) configDir() string  { return l.VaultDir + "/config" }
func (l layout) escrowFile() string { return l.VaultDir + "/escrow/init.escrow" }

// apiBase is where the steps that need the root token reach Vault's HTTP API from the host: its
// published port on loopback, unless the layout says otherwise (tests).
func (l layout) apiBase() string {
	if l.APIBase != "" {
		return l.APIBase
	}
	return "https://127.0.0.1:" + hostAPIPort
}
func (l layout) composePath() string { return l.VaultDir + "/docker-compose.vault.yml" }

// bundleFile is one file the install step ships: its name on stdin, where it goes and how a change to it
// is applied (tls: SIGHUP; config: restart; compose: `up -d` recreates).
type bundleFile struct {
	Name, Path, Mode, Kind string
}

// files lists the install step's files in their fixed stdin order. The key is 0644 like every key file
// of the guide (2.3): Vault runs as a non-root user, and the 0711 directory keeps it unlistable.
func (l layout) files() []bundleFile {
	return []bundleFile{
		{Name: "ca.pem", Path: l.SecretsDir + "/ca.pem", Mode: "0644", Kind: "tls"},
		{Name: "cert.pem", Path: l.SecretsDir + "/cert.pem", Mode: "0644", Kind: "tls"},
		{Name: "key.pem", Path: l.SecretsDir + "/key.pem", Mode: "0644", Kind: "tls"},
		{Name: "vault.hcl", Path: l.configDir() + "/vault.hcl", Mode: "0644", Kind: "config"},
		{Name: "vault.env", Path: l.VaultDir + "/vault.env", Mode: "0600", Kind: "compose"},
		{Name: "docker-compose.vault.yml", Path: l.composePath(), Mode: "0644", Kind: "compose"},
	}
}

// RenderComposeFile renders the embedded docker-compose.vault.yml for image.
func RenderComposeFile(image string) (string, error) {
	return renderComposeFile(hostLayout, image)
}

func renderComposeFile(l layout, image string) (string, error) {
	return render.Template("docker-compose.vault.yml", composeTemplate, struct {
		Image, ConfigDir, TLSDir string
	}{image, l.configDir(), l.SecretsDir})
}

// HCLParams are the variable parts of vault.hcl.
type HCLParams struct {
	Storage  string // "file" or "raft"
	KMSKeyID string // non-empty: the awskms seal stanza
	Region   string
}

// RenderVaultHCL renders vault.hcl. Values are written as JSON strings (valid HCL); HCL's template
// sequences are refused so that no value can inject configuration.
func RenderVaultHCL(p HCLParams) (string, error) {
	for _, v := range []string{p.KMSKeyID, p.Region} {
		if strings.Contains(v, "${") || strings.Contains(v, "%{") || strings.ContainsAny(v, "\n\"") {
			return "", fmt.Errorf("hoodcloud:vaultAutoUnseal: expected a KMS key ID and region without quotes, newlines or HCL templates, found %q", v)
		}
	}
	if p.Storage == "" {
		p.Storage = "file"
	}
	return render.Template("vault.hcl", hclTemplate, p)
}

// RenderConsumerPolicy renders the ACL policy of one consumer: exactly its path rules.
func RenderConsumerPolicy(c Consumer) (string, error) {
	return render.Template("consumer-policy.hcl", consumerPolicyTemplate, struct {
		Name  string
		Paths []PathRule
	}{ConsumerPrefix + c.Name, c.Paths})
}

// scriptSet holds the rendered scripts of the Vault host's steps.
type scriptSet struct {
	Install, Init, InitEscrowClear, Unseal, Credential, Revoke string
	// SealGuard runs on the machine that runs pulumi, not on the Vault host (sealguard.go).
	SealGuard string
	// RootTokenStillSet is the root-only steps' update command while a root token is configured.
	RootTokenStillSet string
}

// initParams decide the init command line.
type initParams struct {
	Shares, Threshold int
	PGPKeys           []string
	AutoUnseal        bool
}

func renderLib(l layout) (string, error) {
	return render.Template("lib.sh", libTemplate, struct {
		ComposeFile, Profile, Service, VaultAddr, CACert, HostCACert, APIBase, JSON string
	}{l.composePath(), Profile, Service, containerAddr, containerCACert, l.SecretsDir + "/ca.pem", l.apiBase(), strings.TrimSuffix(jsonReaders, "\n")})
}

// renderScripts renders every Vault-host script for one set of arguments.
func renderScripts(l layout, ip initParams) (scriptSet, error) {
	var s scriptSet
	s.RootTokenStillSet = rootTokenStillSet
	lib, err := renderLib(l)
	if err != nil {
		return s, err
	}
	lib = strings.TrimSuffix(lib, "\n")
	if s.Install, err = render.Template("install.sh", installTemplate, struct {
		Lib, SecretsDir, VaultDir, ConfigDir string
		Files                                []bundleFile
		WaitAttempts, WaitSeconds            int
	}{lib, l.SecretsDir, l.VaultDir, l.configDir(), l.files(), l.WaitAttempts, l.WaitSeconds}); err != nil {
		return s, err
	}
	kind, pgpFlag := "key", "pgp-keys"
	if ip.AutoUnseal {
		// With a seal that unseals by itself, Vault issues recovery keys instead of unseal keys.
		kind, pgpFlag = "recovery", "recovery-pgp-keys"
	}
	if s.Init, err = render.Template("init.sh", initTemplate, struct {
		Lib, ShareKind, PGPFlag, EscrowFile string
		Shares, Threshold                   int
		PGPKeys                             []string
	}{lib, kind, pgpFlag, l.escrowFile(), ip.Shares, ip.Threshold, ip.PGPKeys}); err != nil {
		return s, err
	}
	if s.InitEscrowClear, err = render.Template("init-escrow-clear.sh", initEscrowClearTemplate,
		struct{ EscrowFile string }{l.escrowFile()}); err != nil {
		return s, err
	}
	hint := "set hoodcloud:vaultUnsealKeys"
	if len(ip.PGPKeys) > 0 {
		hint = "the init output's keys are PGP-encrypted; decrypt them and set hoodcloud:vaultUnsealKeys"
	}
	if s.Unseal, err = render.Template("unseal.sh", unsealTemplate, struct{ Lib, NoKeysHint string }{lib, hint}); err != nil {
		return s, err
	}
	if s.SealGuard, err = render.Template("seal-guard.sh", sealGuardTemplate,
		struct{ NoKeysHint, JSON string }{hint, strings.TrimSuffix(jsonReaders, "\n")}); err != nil {
		return s, err
	}
	policyJSON, err := json.Marshal(map[string]string{"policy": programPolicy})
	if err != nil {
		return s, err
	}
	roleJSON, err := json.Marshal(map[string]any{"token_policies": []string{ProgramRole}, "token_ttl": programTokenTTL,
		"token_max_ttl": programTokenMaxTTL, "secret_id_ttl": 0, "secret_id_num_uses": 0})
	if err != nil {
		return s, err
	}
	if s.Credential, err = render.Template("credential.sh", credentialTemplate, struct {
		Lib, Role, PolicyJSON, RoleJSON, RootTokenKey string
	}{lib, ProgramRole, string(policyJSON), string(roleJSON), "hoodcloud:vaultRootToken"}); err != nil {
		return s, err
	}
	s.Revoke, err = render.Template("revoke-root.sh", revokeTemplate, struct{ Lib string }{lib})
	return s, err
}

// RenderAppRoleFilesRemoveScript renders the step's delete script: it removes what the step installed.
func RenderAppRoleFilesRemoveScript(dir string) (string, error) {
	return render.Template("approle-files-remove.sh", appRoleFilesRemoveTemplate, struct{ Dir string }{dir})
}

// RenderAppRoleFilesScript renders the step that installs a consumer's role_id and secret_id in dir.
func RenderAppRoleFilesScript(dir string) (string, error) {
	return render.Template("approle-files.sh", appRoleFilesTemplate, struct {
		Dir, RoleIDPath, SecretIDPath string
		Dirs                          []string
	}{dir, dir + "/role_id", dir + "/secret_id", []string{path.Dir(dir), dir}})
}
