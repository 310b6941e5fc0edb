package nats

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *Args)
		want   []string // substrings, one per expected error; nil means valid
	}{
		{"valid", func(*Args) {}, nil},
		{"valid without TLS", func(a *Args) { *a = Args{Domain: "hoodcloud.io", DisableTLS: true} }, nil},
		{"valid with options", func(a *Args) {
			a.VaultCACert, a.CertbotAppRoleDir, a.ComposeService = "/etc/ca.crt", "/opt/approle", "nats-server"
			a.PaymentPublish, a.PaymentSubscribe = []string{"payments.>"}, []string{"_INBOX.*", "a.*.b"}
		}, nil},
		{"empty domain", func(a *Args) { a.Domain = "" }, []string{`hoodcloud:domain: expected a lower-case DNS domain such as hoodcloud.io (nats.<domain> gets the certificate), found ""`}},
		{"domain with scheme", func(a *Args) { a.Domain = "https://hoodcloud.io" }, []string{`hoodcloud:domain: expected a lower-case DNS domain`}},
		{"upper-case domain", func(a *Args) { a.Domain = "HoodCloud.io" }, []string{`found "HoodCloud.io"`}},
		{"single label", func(a *Args) { a.Domain = "localhost" }, []string{`hoodcloud:domain`}},
		{"missing Cloudflare token with TLS", func(a *Args) { a.CloudflareAPIToken = nil },
			[]string{"hoodcloud:cloudflareApiToken: expected the Cloudflare API token for the DNS-01 challenge, found none"}},
		{"malformed literal token is not echoed", func(a *Args) { a.CloudflareAPIToken = pulumi.String("secret token!") },
			[]string{"hoodcloud:cloudflareApiToken: expected a Cloudflare API token (letters, digits, _ and -), found an empty or malformed value"}},
		{"missing connection", func(a *Args) { a.Host.Connection = nil }, []string{"hoodcloud:topology: the control-plane host (certbot runs there): expected a connection to the host"}},
		{"bad e-mail", func(a *Args) { a.ACMEEmail = "ops" }, []string{`hoodcloud:acmeEmail: expected the Let's Encrypt account e-mail address, found "ops"`}},
		{"custom ACME server", func(a *Args) { a.ACMEServer = "https://pebble:14000/dir" }, nil},
		{"ACME staging directory", func(a *Args) { a.ACMEServer = LetsEncryptStagingDirectory }, nil},
		{"no ACME server", func(a *Args) { a.ACMEServer = "" },
			[]string{`hoodcloud:acmeServer: expected an https:// ACME directory URL with a host, such as https://acme-v02.api.letsencrypt.org/directory (no user info, fragment, spaces, quotes, commas or backslashes), found ""`}},
		{"http ACME server", func(a *Args) { a.ACMEServer = "http://pebble:14000/dir" },
			[]string{`hoodcloud:acmeServer: expected an https:// ACME directory URL with a host, such as https://acme-v02.api.letsencrypt.org/directory (no user info, fragment, spaces, quotes, commas or backslashes), found "http://pebble:14000/dir"`}},
		{"ACME server without host", func(a *Args) { a.ACMEServer = "https:///directory" }, []string{`found "https:///directory"`}},
		{"ACME server with port only", func(a *Args) { a.ACMEServer = "https://:14000/dir" }, []string{`hoodcloud:acmeServer`}},
		{"ACME server not a URL", func(a *Args) { a.ACMEServer = "acme-v02.api.letsencrypt.org/directory" }, []string{`hoodcloud:acmeServer`}},
		{"ACME server with user info", func(a *Args) { a.ACMEServer = "https://user:pw@ca.example/dir" }, []string{`hoodcloud:acmeServer`}},
		{"ACME server with a line break", func(a *Args) { a.ACMEServer = "https://ca.example/dir\nrm -rf /" }, []string{`hoodcloud:acmeServer`}},
		{"ACME server configobj would quote", func(a *Args) { a.ACMEServer = "https://ca.example/a,b" }, []string{`hoodcloud:acmeServer`}},
		{"missing Vault address", func(a *Args) { a.VaultAddress = nil }, []string{"hoodcloud:vaultAddress: expected Vault's API address"}},
		{"http Vault address", func(a *Args) { a.VaultAddress = pulumi.String("http://10.0.0.2:8200") },
			[]string{`hoodcloud:vaultAddress: expected https://<host>:<port> without a path, found "http://10.0.0.2:8200"`}},
		{"Vault address with path", func(a *Args) { a.VaultAddress = pulumi.String("https://vault:8200/v1") }, []string{"hoodcloud:vaultAddress"}},
		{"relative CA path", func(a *Args) { a.VaultCACert = "ca.crt" }, []string{`hoodcloud:vaultCaCert: expected a clean absolute path on the control-plane host, found "ca.crt"`}},
		{"AppRole dir with spaces", func(a *Args) { a.CertbotAppRoleDir = "/opt/a b" }, []string{`hoodcloud:certbotAppRoleDir`}},
		{"unclean AppRole dir", func(a *Args) { a.CertbotAppRoleDir = "/opt/../etc" }, []string{`hoodcloud:certbotAppRoleDir`}},
		{"bad compose service", func(a *Args) { a.ComposeService = "NATS;rm" }, []string{`hoodcloud:natsComposeService: expected a compose service name such as nats, found "NATS;rm"`}},
		{"bad subjects", func(a *Args) { a.PaymentPublish = []string{"a..b", "a.>.b"}; a.PaymentSubscribe = []string{"a b"} },
			[]string{`hoodcloud:natsPaymentPublish: expected NATS subjects such as payments.events.> (no spaces or empty tokens, > only last), found "a..b"`,
				`hoodcloud:natsPaymentPublish: expected NATS subjects`, `hoodcloud:natsPaymentSubscribe`}},
		{"negative iat", func(a *Args) { a.IssuedAt = -1 }, []string{"hoodcloud:natsJwtIssuedAt: expected unix seconds (0 for the default), found -1"}},
		{"everything at once", func(a *Args) { *a = Args{} }, []string{"hoodcloud:domain", "hoodcloud:topology",
			"hoodcloud:cloudflareApiToken", "hoodcloud:acmeEmail", "hoodcloud:acmeServer", "hoodcloud:vaultAddress"}},
		{"TLS settings ignored without TLS", func(a *Args) {
			*a = Args{Domain: "hoodcloud.io", DisableTLS: true, ACMEEmail: "bad", ACMEServer: "http://x", ComposeService: "BAD"}
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := fixtureArgs()
			c.mutate(a)
			err := a.Validate()
			if c.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(c.want) {
				t.Errorf("%d errors, want %d:\n%v", len(lines), len(c.want), err)
			}
			for i, w := range c.want {
				if i < len(lines) && !strings.Contains(lines[i], w) {
					t.Errorf("error %d %q lacks %q", i, lines[i], w)
				}
			}
			if strings.Contains(err.Error(), "secret token!") {
				t.Errorf("the token was echoed: %v", err)
			}
		})
	}
}
