package nats

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/hoodcloud/infra/internal/dnsname"

	"github.com/hoodcloud/infra/internal/remotestep"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Args configures the NATS setup. Plain fields decide which resources exist and what the scripts say;
// Inputs carry values that flow from other resources or from secret configuration.
type Args struct {
	// Domain is the platform's DNS domain (hoodcloud:domain); the certificate is for nats.<Domain>.
	Domain string
	// DisableTLS leaves out certbot and the tls block: no remote step is created and Host,
	// CloudflareAPIToken, ACMEEmail and VaultAddress are not needed. Only for tests and local stacks; the
	// guide's deployments always serve TLS.
	DisableTLS bool

	// Host is the control-plane host, where certbot runs.
	Host remotestep.Target
	// CloudflareAPIToken (hoodcloud:cloudflareApiToken, secret) is used once, on the first-issuance step's
	// stdin; renewals read the same token from Vault.
	CloudflareAPIToken pulumi.StringInput
	// ACMEEmail is the Let's Encrypt account e-mail (hoodcloud:acmeEmail).
	ACMEEmail string
	// ACMEServer is the ACME directory URL certbot issues from: hoodcloud:acmeServer, or, when that is empty,
	// LetsEncryptDirectory or LetsEncryptStagingDirectory by hoodcloud:acmeStaging (the caller resolves it).
	// Not a secret: it is in the issue script and in certbot's renewal configuration on the host.
	ACMEServer string
	// VaultAddress is Vault's API as the control-plane host reaches it: https://<host>:8200.
	VaultAddress pulumi.StringInput
	// VaultCACert is the path of Vault's CA certificate on the host; empty means DefaultVaultCACert.
	VaultCACert string
	// CertbotAppRoleDir holds the certbot AppRole's role_id and secret_id; empty means
	// DefaultCertbotAppRoleDir.
	CertbotAppRoleDir string
	// ComposeService is the NATS service of the control plane's compose file, whose container the deploy
	// hook signals; empty means DefaultComposeService.
	ComposeService string
	// DependsOn is what the certbot steps wait for (the host's baseline, Vault's AppRole files, the PKI).
	DependsOn []pulumi.Resource

	// PaymentPublish and PaymentSubscribe restrict the payment service's user to these subjects; empty
	// leaves that direction unrestricted within the CTRL account.
	PaymentPublish, PaymentSubscribe []string
	// IssuedAt is the iat of every JWT (unix seconds); zero means DefaultIssuedAt.
	IssuedAt int64
	// Protect protects the nkey resources: replacing one invalidates every credential issued under it.
	Protect bool
}

var (
	emailRe        = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$`)
	serviceRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)
	hostPathRe     = regexp.MustCompile(`^/[A-Za-z0-9._/-]+$`)
	tokenRe        = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	subjectTokenRe = regexp.MustCompile(`^[^\s.*>]+$|^\*$|^>$`)
)

// Validate reports every problem at once; each names the configuration key it comes from.
func (a *Args) Validate() error {
	var errs []error
	bad := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }

	if dnsname.Problem(a.Domain) != "" || len(a.Domain) > 240 {
		bad("hoodcloud:domain: expected a lower-case DNS domain such as hoodcloud.io (nats.<domain> gets the certificate), found %q", a.Domain)
	}
	if !a.DisableTLS {
		errs = append(errs, a.Host.Problems("hoodcloud:topology: the control-plane host (certbot runs there)")...)
		if a.CloudflareAPIToken == nil {
			bad("hoodcloud:cloudflareApiToken: expected the Cloudflare API token for the DNS-01 challenge, found none")
		} else if s, ok := a.CloudflareAPIToken.(pulumi.String); ok && !tokenRe.MatchString(string(s)) {
			// The value is never echoed: it is a secret even when malformed.
			bad("hoodcloud:cloudflareApiToken: expected a Cloudflare API token (letters, digits, _ and -), found an empty or malformed value")
		}
		if !emailRe.MatchString(a.ACMEEmail) {
			bad("hoodcloud:acmeEmail: expected the Let's Encrypt account e-mail address, found %q", a.ACMEEmail)
		}
		if !ValidACMEServer(a.ACMEServer) {
			bad("hoodcloud:acmeServer: expected %s, found %q", ACMEServerExpected, a.ACMEServer)
		}
		if a.VaultAddress == nil {
			bad("hoodcloud:vaultAddress: expected Vault's API address as the control plane reaches it (https://<host>:8200), found none")
		} else if s, ok := a.VaultAddress.(pulumi.String); ok && !validVaultAddress(string(s)) {
			bad("hoodcloud:vaultAddress: expected https://<host>:<port> without a path, found %q", string(s))
		}
		for _, p := range []struct{ key, value string }{
			{"hoodcloud:vaultCaCert", a.VaultCACert}, {"hoodcloud:certbotAppRoleDir", a.CertbotAppRoleDir},
		} {
			if p.value != "" && (!hostPathRe.MatchString(p.value) || path.Clean(p.value) != p.value) {
				bad("%s: expected a clean absolute path on the control-plane host, found %q", p.key, p.value)
			}
		}
		if a.ComposeService != "" && !serviceRe.MatchString(a.ComposeService) {
			bad("hoodcloud:natsComposeService: expected a compose service name such as nats, found %q", a.ComposeService)
		}
	}
	for _, s := range []struct {
		key      string
		subjects []string
	}{{"hoodcloud:natsPaymentPublish", a.PaymentPublish}, {"hoodcloud:natsPaymentSubscribe", a.PaymentSubscribe}} {
		for _, subj := range s.subjects {
			if !validSubject(subj) {
				bad("%s: expected NATS subjects such as payments.events.> (no spaces or empty tokens, > only last), found %q", s.key, subj)
			}
		}
	}
	if a.IssuedAt < 0 {
		bad("hoodcloud:natsJwtIssuedAt: expected unix seconds (0 for the default), found %d", a.IssuedAt)
	}
	return errors.Join(errs...)
}

func validVaultAddress(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.Path == "" &&
		u.RawQuery == "" && u.User == nil && !strings.ContainsAny(s, " \t\n")
}

// ACMEServerExpected says what ValidACMEServer accepts, for the messages of every layer that checks it.
const ACMEServerExpected = "an https:// ACME directory URL with a host, such as " + LetsEncryptDirectory +
	" (no user info, fragment, spaces, quotes, commas or backslashes)"

// ValidACMEServer reports whether s is an ACME directory URL certbot may be given with --server. Beyond
// https and a host, the value must round-trip unchanged through certbot's renewal configuration (configobj
// quotes values with quotes, commas or #), because the issue script compares it with the `server = …` line
// certbot wrote there.
func ValidACMEServer(s string) bool {
	u, err := url.Parse(s)
	return err == nil && strings.HasPrefix(s, "https://") && u.Hostname() != "" && u.User == nil &&
		!strings.ContainsAny(s, " \t\r\n\"',#\\")
}

func validSubject(s string) bool {
	tokens := strings.Split(s, ".")
	for i, t := range tokens {
		if !subjectTokenRe.MatchString(t) || (t == ">" && i != len(tokens)-1) {
			return false
		}
	}
	return s != ""
}

func (a *Args) issuedAt() int64 {
	if a.IssuedAt == 0 {
		return DefaultIssuedAt
	}
	return a.IssuedAt
}

func (a *Args) layout() layout {
	l := hostLayout
	if a.VaultCACert != "" {
		l.VaultCACert = a.VaultCACert
	}
	if a.CertbotAppRoleDir != "" {
		l.AppRoleDir = a.CertbotAppRoleDir
	}
	return l
}

func (a *Args) composeService() string {
	if a.ComposeService == "" {
		return DefaultComposeService
	}
	return a.ComposeService
}

// Hostname is the NATS server's DNS name, the certificate's subject: nats.<domain>.
func Hostname(domain string) string { return "nats." + domain }
