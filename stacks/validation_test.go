package stacks_test

import (
	"strings"
	"testing"
)

// Bad configuration fails before any resource is registered, with one error naming every problem.
func TestBadConfigIsRejectedBeforeAnyResource(t *testing.T) {
	cases := []struct {
		name string
		set  map[string]any
		want []string
	}{
		{"unknown topology", map[string]any{"topology": "three-server"},
			[]string{`hoodcloud:topology: expected one of single-server, two-server, found "three-server"`}},
		{"missing topology", map[string]any{"topology": nil}, []string{"hoodcloud:topology: expected a value", "found nothing"}},
		{"malformed CIDR", map[string]any{"adminCidrs": []string{"198.51.100.0/28", "10.0.0.300/8"}},
			[]string{`hoodcloud:adminCidrs[1]: expected an IPv4 or IPv6 CIDR`, `found "10.0.0.300/8"`}},
		{"world-open SSH", map[string]any{"adminCidrs": []string{"0.0.0.0/0"}},
			[]string{`hoodcloud:adminCidrs[0]: expected a CIDR narrower than the whole internet`}},
		{"host bits set", map[string]any{"adminCidrs": []string{"198.51.100.7/24"}},
			[]string{`hoodcloud:adminCidrs[0]: expected a CIDR with no host bits set (198.51.100.0/24)`}},
		{"empty SSH keys", map[string]any{"sshPublicKeys": []string{}},
			[]string{"hoodcloud:sshPublicKeys: expected at least one operator SSH public key, found none"}},
		{"garbage SSH key", map[string]any{"sshPublicKeys": []string{"ssh-rsa not-a-key"}},
			[]string{`hoodcloud:sshPublicKeys[0]: expected one OpenSSH public key line`}},
		{"invalid domain", map[string]any{"domain": "Hood_Cloud"},
			[]string{`hoodcloud:domain: expected a DNS domain such as hoodcloud.io, found "Hood_Cloud"`}},
		{"bucket with uppercase", map[string]any{"stateBucketName": "HoodCloud-State"},
			[]string{`hoodcloud:stateBucketName: expected an S3 bucket name`, `found "HoodCloud-State"`}},
		{"bucket too short", map[string]any{"chainConfigBucketName": "ab"},
			[]string{`hoodcloud:chainConfigBucketName: expected an S3 bucket name (3 to 63 characters), found "ab"`}},
		{"bucket like an IP", map[string]any{"stateBucketName": "192.168.1.1"},
			[]string{`hoodcloud:stateBucketName: expected an S3 bucket name`}},
		{"same bucket twice", map[string]any{"stateBucketName": "hoodcloud-x", "chainConfigBucketName": "hoodcloud-x"},
			[]string{`hoodcloud:chainConfigBucketName: expected a bucket other than hoodcloud:stateBucketName`}},
		{"unknown location", map[string]any{"location": "mars1"},
			[]string{`hoodcloud:location: expected one of ash, fsn1, hel1, hil, nbg1, sin, found "mars1"`}},
		{"not a boolean", map[string]any{"protect": "yes"}, []string{`hoodcloud:protect: expected true or false, found "yes"`}},
		{"not a number", map[string]any{"noncurrentVersionExpirationDays": "ninety"},
			[]string{`hoodcloud:noncurrentVersionExpirationDays: expected a whole number, found "ninety"`}},
		{"retention out of range", map[string]any{"noncurrentVersionExpirationDays": 0},
			[]string{`hoodcloud:noncurrentVersionExpirationDays: expected a number of days from 1 to 3650, found 0`}},
		{"bad GitHub repository", map[string]any{"githubRepository": "not a repo"},
			[]string{`hoodcloud:githubRepository: expected owner/repository`}},
		{"bad release ref", map[string]any{"githubReleaseRefs": []string{"main"}},
			[]string{`hoodcloud:githubReleaseRefs[0]: expected a ref such as refs/tags/chain-configs-*`}},
		{"bad OIDC provider ARN", map[string]any{"githubOidcProviderArn": "arn:aws:iam::1:oidc-provider/x"},
			[]string{`hoodcloud:githubOidcProviderArn: expected the ARN of the account's GitHub OIDC provider`}},
		{"threshold above shares", map[string]any{"vaultKeyShares": 3, "vaultKeyThreshold": 4},
			[]string{"hoodcloud:vaultKeyThreshold: expected 1 to hoodcloud:vaultKeyShares (3), found 4"}},
		{"one-of-n threshold", map[string]any{"vaultKeyThreshold": 1},
			[]string{"hoodcloud:vaultKeyThreshold: expected at least 2 when there are several shares"}},
		{"PGP keys not one per share", map[string]any{"vaultPgpKeys": []string{"bWFkZSB1cCBrZXkgbWF0ZXJpYWwgdGhhdCBpcyBsb25nIGVub3VnaA=="}},
			[]string{"hoodcloud:vaultPgpKeys: expected one key per share (5), found 1 keys"}},
		{"PGP key not base64", map[string]any{"vaultKeyShares": 2, "vaultKeyThreshold": 2, "vaultPgpKeys": []string{"%%%", "bWFkZSB1cCBrZXkgbWF0ZXJpYWwgdGhhdCBpcyBsb25nIGVub3VnaA=="}},
			[]string{"hoodcloud:vaultPgpKeys[0]: expected a base64-encoded binary PGP public key"}},
		{"unknown Vault host", map[string]any{"vaultHost": "database"},
			[]string{`hoodcloud:vaultHost: expected empty or one of the topology's servers (control-plane, payment), found "database"`}},
		{"missing bundle", map[string]any{"bundleDir": "no/such/bundle"},
			[]string{`hoodcloud:bundleDir: expected an existing directory (relative to the project), found "no/such/bundle"`}},
		{"bad ACME e-mail", map[string]any{"acmeEmail": "ops"}, []string{`hoodcloud:acmeEmail: expected a bare e-mail address`}},
		{"http ACME server", map[string]any{"acmeServer": "http://pebble:14000/dir"},
			[]string{`hoodcloud:acmeServer: expected an https:// ACME directory URL with a host`, `found "http://pebble:14000/dir"`}},
		{"ACME server without host", map[string]any{"acmeServer": "https:///directory"},
			[]string{`hoodcloud:acmeServer: expected an https:// ACME directory URL with a host`, `found "https:///directory"`}},
		{"ACME server and staging both set", map[string]any{"acmeServer": "https://pebble:14000/dir", "acmeStaging": true},
			[]string{`hoodcloud:acmeServer: expected empty when hoodcloud:acmeStaging is true (both choose the ACME CA, which is ambiguous`,
				`found "https://pebble:14000/dir"`}},
		{"registry without user", map[string]any{"registryUsername": ""},
			[]string{"hoodcloud:registryUsername: expected a user name for registry.hoodcloud.io, found nothing"}},
		{"plaintext registry password", map[string]any{"registryPassword": "hunter2-plain"},
			[]string{"hoodcloud:registryPassword: expected an encrypted value", "found a plaintext value"}},
		{"missing required secret", map[string]any{"stripeSecretKey": nil},
			[]string{"hoodcloud:stripeSecretKey: expected a secret", "found nothing"}},
		{"plaintext Hetzner token", map[string]any{"hcloud:token": "plain-token"},
			[]string{"hcloud:token: expected an encrypted value", "found a plaintext value"}},
		{"a second key smuggled in one entry", map[string]any{"sshPublicKeys": []string{
			"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPrCdM9JV0+wXyiZDouF6mMB0TKgNjYzBukXVX5iyTGT ops@hoodcloud\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPrCdM9JV0+wXyiZDouF6mMB0TKgNjYzBukXVX5iyTGT intruder"}},
			[]string{"hoodcloud:sshPublicKeys[0]: expected one OpenSSH public key line"}},
		{"app version with a line break", map[string]any{"appVersion": "v1.42.0\nEVIL=1"},
			[]string{"hoodcloud:appVersion: expected a pinned image tag"}},
		{"app version beyond the tag grammar", map[string]any{"appVersion": "-v1"},
			[]string{"hoodcloud:appVersion: expected a pinned image tag"}},
		{"registry server with a bad port", map[string]any{"registryServer": "registry.hoodcloud.io:99999"},
			[]string{`hoodcloud:registryServer: expected a registry host name, optionally with a port (registry.example or registry.example:5000), found "registry.hoodcloud.io:99999"`}},
		{"registry server with a path", map[string]any{"registryServer": "registry.hoodcloud.io/hoodcloud"},
			[]string{`hoodcloud:registryServer: expected a registry host name, optionally with a port`}},
		{"image registry with upper-case path", map[string]any{"imageRegistry": "registry.hoodcloud.io/HoodCloud"},
			[]string{"hoodcloud:imageRegistry: expected a registry and namespace"}},
		{"image registry with a line break", map[string]any{"imageRegistry": "registry.hoodcloud.io/hoodcloud\nX=1"},
			[]string{"hoodcloud:imageRegistry: expected a registry and namespace"}},
		{"ACME e-mail with a name", map[string]any{"acmeEmail": "Ops <ops@hoodcloud.io>"},
			[]string{"hoodcloud:acmeEmail: expected a bare e-mail address"}},
		{"bad infrastructure repository", map[string]any{"infraRepository": "infra"},
			[]string{`hoodcloud:infraRepository: expected owner/repository of this infrastructure repository`}},
		{"CI roles without a state bucket", map[string]any{"pulumiStateBucket": ""},
			[]string{`hoodcloud:pulumiStateBucket: expected the Pulumi state backend's S3 bucket name`, `because hoodcloud:infraRepository is set`}},
		{"state backend in a stack bucket", map[string]any{"pulumiStateBucket": "hoodcloud-prod-terraform-state"},
			[]string{`hoodcloud:pulumiStateBucket: expected a bucket of its own`}},
		{"Hetzner token of the wrong length", map[string]any{"hcloud:token": "fixture-hcloud-token-7f3a9c"},
			[]string{"hcloud:token: expected a Hetzner Cloud API token of exactly 64 letters and digits, found 27 characters including characters other than letters and digits"}},
		{"adopted Vault without its keys", map[string]any{"vaultAlreadyInitialized": true},
			[]string{"hoodcloud:vaultRootToken: expected a root token of the adopted Vault", "hoodcloud:vaultUnsealKeys: expected the unseal keys of the adopted Vault"}},
		{"several problems at once", map[string]any{"topology": "x", "domain": "", "adminCidrs": []string{}},
			[]string{"hoodcloud:topology:", "hoodcloud:domain:", "hoodcloud:adminCidrs:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := stackConfig(t, "prod")
			for k, v := range c.set {
				sc = sc.With(k, v)
			}
			r, err := runConfig(t, sc)
			if err == nil {
				t.Fatal("bad configuration accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			if n := len(r.rec.Registrations()); n != 0 {
				t.Errorf("%d resources registered before validation failed", n)
			}
			for k, v := range c.set {
				if s, ok := v.(string); ok && sc.Secrets[k] != "" && strings.Contains(err.Error(), s) {
					t.Errorf("the error shows the secret %s", k)
				}
			}
		})
	}
}

// A self-hosted registry on its own port (and by address) is what `docker login` takes: accepted, and the
// login step logs in to exactly that server.
func TestRegistryServerWithAPort(t *testing.T) {
	for _, server := range []string{"registry.hoodcloud.io:5000", "10.0.0.11:5000"} {
		r, err := runConfig(t, stackConfig(t, "staging").With("registryServer", server).With("imageRegistry", server+"/hoodcloud"))
		if err != nil {
			t.Fatalf("%s: %v", server, err)
		}
		login, ok := r.rec.Named("command:remote:Command", "control-plane-app-login")
		if !ok {
			t.Fatal("no control-plane-app-login step")
		}
		if script := plain(login.Inputs["create"]).StringValue(); !strings.Contains(script, "\nserver='"+server+"'\n") {
			t.Errorf("the login step does not log in to %s", server)
		}
	}
}
