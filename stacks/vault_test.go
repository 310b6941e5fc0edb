package stacks_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoodcloud/infra/internal/testkit"
)

// Vault runs on the control plane's server in prod unless vaultHost moves it; the firewall's 8200 rule
// and every Vault step follow it.
func TestVaultPlacementFollowsConfig(t *testing.T) {
	cases := map[string]struct {
		set       map[string]any
		vaultHost string
	}{
		"default": {nil, "control-plane"},
		"moved":   {map[string]any{"vaultHost": "payment"}, "payment"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			sc := stackConfig(t, "prod")
			for k, v := range c.set {
				sc = sc.With(k, v)
			}
			r, err := runConfig(t, sc)
			if err != nil {
				t.Fatal(err)
			}
			install, ok := r.rec.Named("command:remote:Command", "vault-install")
			if !ok {
				t.Fatal("no vault install step")
			}
			server, _ := r.rec.Named("hcloud:index/server:Server", c.vaultHost+"-server")
			if !r.rec.DependsOn(install, server.URN) {
				t.Errorf("vault is not installed on %s", c.vaultHost)
			}
			for _, host := range []string{"control-plane", "payment"} {
				_, open := fwRules(t, r, host+"-fw")[8200]
				if open != (host == c.vaultHost) {
					t.Errorf("%s firewall opens 8200: %v, vault is on %s", host, open, c.vaultHost)
				}
			}
		})
	}
}

// Each consumer's policy grants read on its own subtree and nothing else.
func TestVaultConsumerPoliciesAreLeastPrivilege(t *testing.T) {
	r := runStack(t, "prod")
	want := map[string]string{
		"control-plane": `path "secret/data/control-plane/*"`,
		"payment":       `path "secret/data/payment/*"`,
		"certbot":       `path "secret/data/infra/certbot/*"`,
	}
	policies := r.rec.OfType("vault:index/policy:Policy")
	if len(policies) != len(want) {
		t.Fatalf("%d policies, want %d", len(policies), len(want))
	}
	for _, p := range policies {
		name := strings.TrimPrefix(str(p.Inputs, "name"), "hoodcloud-")
		doc := str(p.Inputs, "policy")
		if !strings.Contains(doc, want[name]) || strings.Count(doc, "path \"") != 1 {
			t.Errorf("policy %s:\n%s", name, doc)
		}
		if strings.Contains(doc, "update") || strings.Contains(doc, "create") || strings.Contains(doc, "delete") {
			t.Errorf("policy %s grants writes:\n%s", name, doc)
		}
	}
}

// The guide's secrets land at their paths, their values secret.
func TestVaultSecretsArePopulated(t *testing.T) {
	r := runStack(t, "prod")
	got := map[string][]string{}
	for _, s := range r.rec.OfType("vault:kv/secretV2:SecretV2") {
		if !s.Inputs["dataJson"].ContainsSecrets() {
			t.Errorf("%s: data is not secret", s.Name)
		}
		var data map[string]string
		if err := json.Unmarshal([]byte(str(s.Inputs, "dataJson")), &data); err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		for k := range data {
			got[str(s.Inputs, "name")] = append(got[str(s.Inputs, "name")], k)
		}
	}
	for _, v := range got {
		sort.Strings(v)
	}
	want := map[string][]string{
		"infra/certbot/cloudflare":       {"api_token"},
		"payment/stripe":                 {"secret_key", "webhook_secret"},
		"control-plane/hetzner":          {"token"},
		"control-plane/agent-gateway-ca": {"ca_cert", "ca_key"},
		"control-plane/aws":              {"access_key_id", "secret_access_key"},
		"control-plane/clerk":            {"secret_key"},
		"control-plane/nats":             {"nats_ctrl_signing_seed"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("vault secrets (-want +got):\n%s", d)
	}
	var cf map[string]string
	s, _ := r.rec.Named("vault:kv/secretV2:SecretV2", "vault-secret-infra-certbot-cloudflare")
	_ = json.Unmarshal([]byte(str(s.Inputs, "dataJson")), &cf)
	if cf["api_token"] != "fixture-cloudflare-token-51be02" {
		t.Errorf("cloudflare token in Vault = %q", cf["api_token"])
	}
}

// The provider that manages Vault after bootstrap logs in with the program's AppRole, never the root token.
func TestVaultProviderNeverUsesTheRootToken(t *testing.T) {
	r := runStack(t, "prod")
	ps := r.rec.OfType("pulumi:providers:vault")
	if len(ps) != 1 {
		t.Fatalf("%d vault providers", len(ps))
	}
	p := ps[0]
	if _, ok := p.Inputs["token"]; ok {
		t.Error("the vault provider is configured with a token")
	}
	if got := str(p.Inputs, "authLogin", "path"); got != "auth/approle/login" {
		t.Errorf("provider login path %q", got)
	}
	if got := str(p.Inputs, "address"); !strings.HasPrefix(got, "https://203.0.113.") || !strings.HasSuffix(got, ":8200") {
		t.Errorf("provider address %q", got)
	}
	revoke, ok := r.rec.Named("command:remote:Command", "vault-revoke-root")
	if !ok {
		t.Fatal("no revoke-root step")
	}
	credential, _ := r.rec.Named("command:remote:Command", "vault-credential")
	if !r.rec.DependsOn(revoke, credential.URN) {
		t.Error("root is revoked before the program's own credential exists")
	}
}

// With vaultAutoUnseal a KMS key and a user allowed only Vault's seal operations on it are created, the
// unseal step disappears, and the user's secret key stays secret.
func TestVaultAutoUnseal(t *testing.T) {
	r, err := runConfig(t, stackConfig(t, "prod").With("vaultAutoUnseal", true))
	if err != nil {
		t.Fatal(err)
	}
	key, ok := r.rec.Named("aws:kms/key:Key", "vault-unseal-key")
	if !ok {
		t.Fatal("no KMS key")
	}
	if !key.Protect || !key.Inputs["enableKeyRotation"].BoolValue() {
		t.Errorf("KMS key protect=%v rotation=%v", key.Protect, key.Inputs["enableKeyRotation"])
	}
	p, _ := r.rec.Named("aws:iam/userPolicy:UserPolicy", "vault-unseal-policy")
	doc := parsePolicy(t, str(p.Inputs, "policy"))
	if len(doc.Statement) != 1 ||
		!cmp.Equal(doc.Statement[0].Action, []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt"}) ||
		!cmp.Equal(doc.Statement[0].Resource, []string{str(key.Outputs, "arn")}) {
		t.Errorf("unseal policy %+v", doc.Statement)
	}
	if _, ok := r.rec.Named("command:remote:Command", "vault-unseal"); ok {
		t.Error("an unseal step exists although KMS unseals Vault")
	}
	secrets := map[string]string{"unseal secret key": testkit.FakeAWSSecretAccessKey("vault-unseal-access-key")}
	for _, l := range testkit.PlaintextLeaks(r.rec.Registrations(), secrets) {
		t.Error(l)
	}
	install, _ := r.rec.Named("command:remote:Command", "vault-install")
	if !install.Inputs["stdin"].IsSecret() {
		t.Error("vault install stdin (with the seal credentials) is not secret")
	}
}

// A fresh root token (vault operator generate-root) re-runs exactly the steps that need root, which revoke
// it again; init, unseal and the deploys do not move.
func TestFreshRootTokenReRunsOnlyTheRootSteps(t *testing.T) {
	sc := stackConfig(t, "prod")
	before := mustRun(t, sc, nil)
	sc2 := sc.With("vaultRootToken", "fixture-generated-root-token-44e1")
	sc2.Secrets["hoodcloud:vaultRootToken"] = "fixture-generated-root-token-44e1"
	after := mustRun(t, sc2, nil)
	if d := cmp.Diff([]string{"vault-credential", "vault-revoke-root"}, changedSteps(t, before, after)); d != "" {
		t.Errorf("re-run steps (-want +got):\n%s", d)
	}
	for _, name := range []string{"vault-credential", "vault-revoke-root"} {
		step := after.rec.MustNamed(t, "command:remote:Command", name)
		if !step.Inputs["stdin"].IsSecret() || !strings.Contains(str(step.Inputs, "stdin"), "fixture-generated-root-token-44e1") {
			t.Errorf("%s does not receive the configured root token on a secret stdin", name)
		}
	}
	for _, l := range testkit.PlaintextLeaks(after.rec.Registrations(), map[string]string{"root": "fixture-generated-root-token-44e1"}) {
		t.Error(l)
	}
}
