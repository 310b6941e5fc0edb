package vault

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestValidate(t *testing.T) {
	f := fixtureTLS(t)
	cases := []struct {
		name   string
		mutate func(a *Args)
		want   []string // each must appear; nil: valid
	}{
		{"fixture is valid", func(a *Args) {}, nil},
		{"defaults 5 of 3", func(a *Args) { a.KeyShares, a.KeyThreshold = 0, 0 }, nil},
		{"pgp keys count differs from shares", func(a *Args) { a.PGPKeys = []string{"a2V5MQ==", "a2V5Mg=="} },
			[]string{"hoodcloud:vaultPgpKeys: expected one PGP public key per key share (5), found 2"}},
		{"pgp key not base64", func(a *Args) { a.KeyShares, a.KeyThreshold, a.PGPKeys = 2, 2, []string{"a2V5MQ==", "not base64!"} },
			[]string{"hoodcloud:vaultPgpKeys: expected base64-encoded PGP public keys, key 2 is not base64"}},
		{"threshold above shares", func(a *Args) { a.KeyShares, a.KeyThreshold = 3, 4 },
			[]string{"hoodcloud:vaultKeyThreshold: expected a threshold between 1 and the 3 key shares, found 4"}},
		{"threshold 1 of many", func(a *Args) { a.KeyShares, a.KeyThreshold = 5, 1 }, []string{"hoodcloud:vaultKeyThreshold"}},
		{"threshold negative", func(a *Args) { a.KeyThreshold = -1 }, []string{"hoodcloud:vaultKeyThreshold"}},
		{"too many shares", func(a *Args) { a.KeyShares = 300 }, []string{"hoodcloud:vaultKeyShares: expected 1 to 255 key shares, found 300"}},
		{"malformed CA PEM", func(a *Args) { a.CACertPEM = pulumi.String("not a pem") },
			[]string{"hoodcloud:vaultTls: expected the CA certificate as PEM CERTIFICATE blocks, found no PEM block"}},
		{"key given as cert", func(a *Args) { a.CertPEM = pulumi.String(f.Key) }, []string{`found a "PRIVATE KEY" block`}},
		{"malformed key", func(a *Args) {
			a.KeyPEM = pulumi.String("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
		},
			[]string{"hoodcloud:vaultTls: expected the TLS key as one PEM private key block, found a PRIVATE KEY block that does not parse"}},
		{"missing TLS", func(a *Args) { a.CACertPEM, a.KeyPEM = nil, nil },
			[]string{"hoodcloud:vaultTls: expected the CA certificate, found none", "hoodcloud:vaultTls: expected the TLS key, found none"}},
		{"already initialised without keys or token", func(a *Args) { a.AlreadyInitialized = true },
			[]string{"hoodcloud:vaultUnsealKeys: expected the unseal keys", "hoodcloud:vaultRootToken: expected a root token"}},
		{"already initialised with keys and token", func(a *Args) {
			a.AlreadyInitialized, a.UnsealKeys, a.RootToken = true, pulumi.StringArray{pulumi.String("k")}, pulumi.String("t")
		}, nil},
		{"auto-unseal needs no keys but a complete seal", func(a *Args) {
			a.AlreadyInitialized, a.RootToken = true, pulumi.String("t")
			a.AutoUnseal = &AutoUnseal{Region: "Frankfurt"}
		}, []string{"hoodcloud:vaultAutoUnseal: expected the KMS key ID", `expected an AWS region like eu-central-1, found "Frankfurt"`,
			"hoodcloud:vaultAutoUnseal: expected the access key ID and secret access key"}},
		{"auto-unseal with unseal keys", func(a *Args) {
			a.AutoUnseal = &AutoUnseal{KMSKeyID: pulumi.String("k"), Region: "eu-central-1", AccessKeyID: pulumi.String("a"), SecretAccessKey: pulumi.String("s")}
			a.UnsealKeys = pulumi.StringArray{}
		}, []string{"hoodcloud:vaultUnsealKeys: expected none with auto-unseal"}},
		{"address not https", func(a *Args) { a.Address = pulumi.String("http://203.0.113.10:8200") },
			[]string{`hoodcloud:vaultAddress: expected https://<host>:<port>, found "http://203.0.113.10:8200"`}},
		{"no connection", func(a *Args) { a.Host.Connection = nil }, []string{"hoodcloud:topology: the Vault host: expected a connection to the host"}},
		{"unpinned image", func(a *Args) { a.Image = "hashicorp/vault:latest" }, []string{"hoodcloud:vaultImage"}},
		{"image without tag", func(a *Args) { a.Image = "hashicorp/vault" }, []string{"hoodcloud:vaultImage"}},
		{"storage", func(a *Args) { a.Storage = "consul" }, []string{`hoodcloud:vaultStorage: expected file or raft, found "consul"`}},
		{"compose without vault-prod", func(a *Args) { a.ComposeFile = "services:\n  vault:\n    image: x:1\n" },
			[]string{`hoodcloud:vaultComposeFile: expected service "vault" in profile "vault-prod"`}},
		{"compose without vault", func(a *Args) { a.ComposeFile = "services:\n  db:\n    image: x:1\n" },
			[]string{`hoodcloud:vaultComposeFile: expected a service "vault", found services [db]`}},
		{"consumer problems", func(a *Args) {
			a.Consumers = append(a.Consumers,
				Consumer{Name: "payment", Host: a.Host, Paths: []PathRule{{Path: "secret/data/x", Capabilities: []string{"read"}}}},
				Consumer{Name: "pulumi", Host: a.Host, Paths: []PathRule{{Path: "secret/data/x", Capabilities: []string{"root"}}}},
				Consumer{Name: "Bad_Name", Paths: nil, Dir: "/etc/vault"},
				Consumer{Name: "quote", Host: a.Host, Paths: []PathRule{{Path: `secret/" {}`, Capabilities: nil}}},
			)
		}, []string{
			`hoodcloud:vaultConsumers: expected unique consumer names, found "payment" twice`,
			`expected a consumer name other than "pulumi"`,
			`found "root"`,
			`expected a consumer name of lowercase letters, digits and hyphens, found "Bad_Name"`,
			`the host of consumer "Bad_Name": expected a connection to the host and its trigger hash key, found neither`,
			`AppRole directory under /opt/hoodcloud/secrets/, found "/etc/vault"`,
			`expected at least one path rule for consumer "Bad_Name"`,
			`expected a Vault path of letters`,
			`expected capabilities for path`,
		}},
		{"secret problems", func(a *Args) {
			a.Secrets = append(a.Secrets,
				Secret{Path: "/abs", Data: map[string]pulumi.StringInput{"k": pulumi.String("v")}},
				Secret{Path: "payment-stripe", Data: map[string]pulumi.StringInput{"k": pulumi.String("v")}},
				Secret{Path: "empty"},
				Secret{Path: "nil-value", Data: map[string]pulumi.StringInput{"bad key": nil}},
			)
		}, []string{
			`hoodcloud:vaultSecrets: expected a secret path like infra/certbot/cloudflare, found "/abs"`,
			`expected unique secret paths, found "payment/stripe" and "payment-stripe"`,
			`expected at least one key for secret "empty"`,
			`expected keys of letters, digits and _ . - in secret "nil-value", found "bad key"`,
			`expected a value for key "bad key" of secret "nil-value"`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := fixtureArgs(t, t.TempDir())
			c.mutate(a)
			err := a.Validate()
			if c.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "hoodcloud:") {
					t.Errorf("message does not name its config key: %q", line)
				}
			}
		})
	}
}

// New refuses invalid args before registering anything, naming the component.
func TestNewValidatesFirst(t *testing.T) {
	r, err := runVault(t, func(a *Args) { a.KeyThreshold = 9 })
	if err == nil || !strings.Contains(err.Error(), TypeToken) || !strings.Contains(err.Error(), "hoodcloud:vaultKeyThreshold") {
		t.Fatalf("err = %v", err)
	}
	if len(r.rec.OfType(cmdType)) != 2 { // only the test's two baseline stand-ins
		t.Errorf("resources registered despite invalid args")
	}
}

// A malformed key that arrives as an output (from the PKI) fails the run with the config key, not the key.
func TestMalformedKeyOutputFailsTheRun(t *testing.T) {
	bad := "-----BEGIN PRIVATE KEY-----\nU0VDUkVULUtFWS1CWVRFUw==\n-----END PRIVATE KEY-----\n"
	_, err := runVault(t, func(a *Args) { a.KeyPEM = secretString(bad) })
	if err == nil || !strings.Contains(err.Error(), "hoodcloud:vaultTls") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "U0VDUkVULUtFWS1CWVRFUw") {
		t.Errorf("error quotes the key")
	}
}

// The embedded compose file is what the guide runs: compose-go loads it with profile vault-prod and finds
// the pinned image, the published port, IPC_LOCK, and read-only config and TLS mounts.
func TestComposeFileLoads(t *testing.T) {
	text, err := RenderComposeFile(DefaultImage)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkComposeFile(text); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vault.env"), []byte("# none\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "docker-compose.vault.yml"), Content: []byte(text)}},
		Environment: types.Mapping{},
	}, loader.WithProfiles([]string{Profile}))
	if err != nil {
		t.Fatalf("compose-go: %v", err)
	}
	svc, ok := p.Services[Service]
	if !ok {
		t.Fatalf("no service %s with profile %s", Service, Profile)
	}
	if svc.Image != DefaultImage || len(svc.CapAdd) != 1 || svc.CapAdd[0] != "IPC_LOCK" {
		t.Errorf("image %q cap_add %v", svc.Image, svc.CapAdd)
	}
	if len(svc.Ports) != 1 || svc.Ports[0].HostIP != "0.0.0.0" || svc.Ports[0].Published != "8200" || svc.Ports[0].Target != 8200 {
		t.Errorf("ports %+v", svc.Ports)
	}
	mounts := map[string]types.ServiceVolumeConfig{}
	for _, v := range svc.Volumes {
		mounts[v.Target] = v
	}
	for target, source := range map[string]string{"/vault/config": "/opt/hoodcloud/vault/config", "/vault/tls": "/opt/hoodcloud/secrets/vault"} {
		if m := mounts[target]; m.Source != source || !m.ReadOnly {
			t.Errorf("mount %s = %+v, want %s read-only", target, m, source)
		}
	}
	if m := mounts["/vault/file"]; m.Type != types.VolumeTypeVolume || m.Source != "vault-data" {
		t.Errorf("storage mount = %+v, want the named volume", m)
	}
	// Without the profile the service is not started, as in the guide.
	p2, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "docker-compose.vault.yml"), Content: []byte(text)}},
		Environment: types.Mapping{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p2.Services[Service]; ok {
		t.Errorf("service %s active without profile %s", Service, Profile)
	}
}

func TestStdinBuilders(t *testing.T) {
	initJSON := mockInitJSON()
	if got, err := unsealInput(initJSON, nil, false); err != nil || got != strings.Join(mockUnsealKeys, "\n")+"\n" {
		t.Errorf("unseal from init = %q, %v", got, err)
	}
	if got, _ := unsealInput(initJSON, nil, true); got != "" {
		t.Errorf("PGP-encrypted init keys were used: %q", got)
	}
	if got, _ := unsealInput(initJSON, []string{"c1", "c2"}, false); got != "c1\nc2\n" {
		t.Errorf("configured keys do not win: %q", got)
	}
	if got, _ := unsealInput(`{"already_initialized":true}`, nil, false); got != "" {
		t.Errorf("already-initialised marker gave keys %q", got)
	}
	if _, err := unsealInput("garbage "+mockRootToken, nil, false); err == nil || strings.Contains(err.Error(), mockRootToken) {
		t.Errorf("bad init output: %v", err)
	}
	if _, err := unsealInput("", []string{"has space"}, false); err == nil || strings.Contains(err.Error(), "has space") {
		t.Errorf("key with whitespace: %v", err)
	}
	if got, _ := rootTokenInput(initJSON, ""); got != mockRootToken+"\n" {
		t.Errorf("root token from init = %q", got)
	}
	if got, _ := rootTokenInput(initJSON, "hvs.other"); got != "hvs.other\n" {
		t.Errorf("configured root token does not win: %q", got)
	}
	if _, err := parseCredential(`{"role_id":"r"}`); err == nil {
		t.Errorf("a credential without secret_id was accepted")
	}
	if parseRevoked(`{"revoked":false}`) || !parseRevoked(`{"revoked":true,"already_revoked":true}`) {
		t.Errorf("parseRevoked")
	}
	env, err := envFile(&resolvedAutoUnseal{Region: "eu-central-1", AccessKeyID: "AKIA", SecretAccessKey: "s3cr3t"})
	if err != nil || env != "AWS_REGION=eu-central-1\nAWS_ACCESS_KEY_ID=AKIA\nAWS_SECRET_ACCESS_KEY=s3cr3t\n" {
		t.Errorf("env = %q, %v", env, err)
	}
	if _, err := envFile(&resolvedAutoUnseal{Region: "eu-central-1", AccessKeyID: "AKIA", SecretAccessKey: "a\nEVIL=1"}); err == nil || strings.Contains(err.Error(), "EVIL") {
		t.Errorf("env injection: %v", err)
	}
}

// The sweep does find a secret placed in plaintext, so a clean sweep means something.
func TestSecretSweepCatchesALeak(t *testing.T) {
	r := mustRun(t, func(a *Args) { a.Consumers[0].Dir = "/opt/hoodcloud/secrets/" + cloudflareToken })
	if len(leaks(t, r)) == 0 {
		t.Fatal("a Cloudflare token in a plaintext script was not found")
	}
}

// Secret values given as plain strings still end up secret: the component marks them itself.
func TestPlainSecretValuesAreMadeSecret(t *testing.T) {
	r := mustRun(t, func(a *Args) {
		a.KeyPEM = pulumi.String(fixtureTLS(t).Key)
		a.Secrets[0].Data["api_token"] = pulumi.String(cloudflareToken)
	})
	for _, l := range leaks(t, r) {
		t.Error(l)
	}
}
