package nats

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/hoodcloud/infra/internal/render"
)

// Every certbot file is an embedded template rendered by a pure function of plain parameters: equal Args
// give byte-identical scripts, so each remote step re-runs exactly when what it installs changes.
var (
	//go:embed scripts/certbot-install.sh.tmpl
	installTemplate string
	//go:embed scripts/certbot-vault-addr.sh.tmpl
	vaultAddrTemplate string
	//go:embed scripts/certbot-issue.sh.tmpl
	issueTemplate string
	//go:embed scripts/certbot-renew.sh.tmpl
	wrapperTemplate string
	//go:embed scripts/certbot-deploy-hook.sh.tmpl
	deployHookTemplate string
	//go:embed units/certbot-hoodcloud.conf.tmpl
	dropInTemplate string
)

// Fixed names of the renewal setup (guide: NATS TLS Certificate Renewal; Vault Operations for the secret).
const (
	// WrapperPath is the renewal wrapper certbot.service runs.
	WrapperPath = "/opt/hoodcloud/scripts/certbot-renew.sh"
	// DefaultCertbotAppRoleDir holds the certbot AppRole's role_id and secret_id (the Vault layer's
	// consumer "certbot").
	DefaultCertbotAppRoleDir = "/opt/hoodcloud/secrets/vault-approle/certbot"
	// DefaultVaultCACert is the Vault CA on the control-plane host (the PKI's vault/ca.crt).
	DefaultVaultCACert = "/opt/hoodcloud/secrets/vault/ca.crt"
	// VaultAddrFile holds Vault's address for the wrapper (written by the vault-addr step).
	VaultAddrFile = "/opt/hoodcloud/config/certbot/vault_addr"
	// CloudflareSecretPath and CloudflareSecretField are where Vault keeps the DNS-01 token (KV v2 under
	// secret/): `vault kv put secret/infra/certbot/cloudflare api_token=…`.
	CloudflareSecretPath  = "infra/certbot/cloudflare"
	CloudflareSecretField = "api_token"
	// DefaultComposeService is the compose service whose container the deploy hook signals.
	DefaultComposeService = "nats"
)

// Let's Encrypt's ACME directories: hoodcloud:acmeServer, when empty, is one of them by hoodcloud:acmeStaging.
const (
	LetsEncryptDirectory        = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStagingDirectory = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// certbotPackages are installed from the distribution (guide 2.5b): certbot ships certbot.timer and
// certbot.service; curl and python3 are the wrapper's Vault client and JSON reader.
var certbotPackages = []string{"certbot", "python3-certbot-dns-cloudflare", "curl", "python3"}

// layout is where the certbot files go on the host; tests point it at a temporary directory.
type layout struct {
	ScriptsDir     string // the wrapper
	LetsEncryptDir string // certbot's config dir: live/, renewal/, renewal-hooks/
	SystemdDir     string // drop-ins
	TLSDir         string // where the deploy hook copies the certificate
	VaultAddrFile  string
	AppRoleDir     string
	VaultCACert    string
}

// hostLayout is the layout of a real control-plane host.
var hostLayout = layout{
	ScriptsDir:     "/opt/hoodcloud/scripts",
	LetsEncryptDir: "/etc/letsencrypt",
	SystemdDir:     "/etc/systemd/system",
	TLSDir:         TLSDir,
	VaultAddrFile:  VaultAddrFile,
	AppRoleDir:     DefaultCertbotAppRoleDir,
	VaultCACert:    DefaultVaultCACert,
}

func (l layout) wrapperPath() string { return l.ScriptsDir + "/certbot-renew.sh" }
func (l layout) deployHookPath() string {
	return l.LetsEncryptDir + "/renewal-hooks/deploy/hoodcloud-nats.sh"
}
func (l layout) dropInPath() string {
	return l.SystemdDir + "/certbot.service.d/hoodcloud-vault.conf"
}

// certbotParams are the plain settings of the certbot files.
type certbotParams struct {
	Hostname       string // nats.<domain>
	Email          string
	Server         string // the ACME directory URL (--server)
	ComposeService string
}

// certbotFiles are the rendered files: three installed on the host, three run as remote steps.
type certbotFiles struct {
	Wrapper, DeployHook, DropIn string
	Install, VaultAddr, Issue   string
}

// heredocEnd terminates the heredocs that carry files inside the install script.
const heredocEnd = "HOODCLOUD_CERTBOT_EOF"

// renderCertbot renders every certbot file for a layout.
func renderCertbot(l layout, p certbotParams) (certbotFiles, error) {
	var f certbotFiles
	paths := struct {
		WrapperPath, DeployHookPath, DropInPath string
	}{l.wrapperPath(), l.deployHookPath(), l.dropInPath()}
	var err error
	if f.Wrapper, err = render.Template("certbot-renew.sh", wrapperTemplate, struct {
		WrapperPath, DeployHookPath, DropInPath                         string
		AppRoleDir, VaultAddrFile, VaultCACert, SecretPath, SecretField string
	}{paths.WrapperPath, paths.DeployHookPath, paths.DropInPath, l.AppRoleDir, l.VaultAddrFile, l.VaultCACert,
		CloudflareSecretPath, CloudflareSecretField}); err != nil {
		return f, err
	}
	if f.DeployHook, err = render.Template("certbot-deploy-hook.sh", deployHookTemplate, struct {
		Hostname, TLSDir, ComposeService string
	}{p.Hostname, l.TLSDir, p.ComposeService}); err != nil {
		return f, err
	}
	if f.DropIn, err = render.Template("certbot-hoodcloud.conf", dropInTemplate, paths); err != nil {
		return f, err
	}
	for name, text := range map[string]string{"wrapper": f.Wrapper, "deploy hook": f.DeployHook, "drop-in": f.DropIn} {
		if strings.Contains(text, heredocEnd) || !strings.HasSuffix(text, "\n") {
			return f, fmt.Errorf("render certbot %s: must end with a newline and not contain %s", name, heredocEnd)
		}
	}
	if f.Install, err = render.Template("certbot-install.sh", installTemplate, struct {
		Packages                                []string
		WrapperPath, DeployHookPath, DropInPath string
		Wrapper, DeployHook, DropIn             string
	}{certbotPackages, paths.WrapperPath, paths.DeployHookPath, paths.DropInPath, f.Wrapper, f.DeployHook, f.DropIn}); err != nil {
		return f, err
	}
	if f.VaultAddr, err = render.Template("certbot-vault-addr.sh", vaultAddrTemplate, struct{ VaultAddrFile string }{l.VaultAddrFile}); err != nil {
		return f, err
	}
	f.Issue, err = render.Template("certbot-issue.sh", issueTemplate, struct {
		Hostname, Email, Server, LetsEncryptDir, DeployHookPath string
	}{p.Hostname, p.Email, p.Server, l.LetsEncryptDir, paths.DeployHookPath})
	return f, err
}
