package stacks_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/hoodcloud/infra/internal/testkit"
	"github.com/hoodcloud/infra/stacks"
)

// allSecrets is every secret of a run: the config fixtures plus the secrets providers returned (private
// keys, the IAM secret key). Each must never appear outside a secret.
func allSecrets(t *testing.T, sc testkit.StackConfig, r *run) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range sc.Secrets {
		out["config "+k] = v
	}
	for _, g := range r.rec.Registrations() {
		for k, v := range g.Outputs {
			// Only what the provider generated: an input echoed back (a step's stdin) is the program's
			// own value, secret or not by the program's choice, and is swept through the config fixtures.
			if _, echoed := g.Inputs[k]; echoed {
				continue
			}
			if v.IsSecret() && plain(v).IsString() && plain(v).StringValue() != "" {
				out[fmt.Sprintf("%s.%s", g.Name, k)] = plain(v).StringValue()
			}
		}
	}
	// A service's words in a deploy log (the log is secret; its receipt is public).
	out["a deploy log's secret"] = "fixture-deploy-log-secret-4e1"
	for _, must := range []string{"fixture-root-token-hvs-91ab", "fixture-program-secret-id-2c9d",
		testkit.FakeAppRoleSecretID("vault-payment-secret-id")} {
		found := false
		for _, v := range out {
			found = found || strings.Contains(v, must)
		}
		if !found {
			t.Errorf("the sweep does not cover %s", must)
		}
	}
	if len(out) < len(sc.Secrets)+3 {
		t.Fatalf("expected provider secrets in the sweep, found only %d secrets", len(out))
	}
	return out
}

func TestNoSecretInPlaintext(t *testing.T) {
	for _, stack := range []string{"prod", "staging"} {
		sc := stackConfig(t, stack)
		r, err := runConfig(t, sc)
		if err != nil {
			t.Fatal(err)
		}
		secrets := allSecrets(t, sc, r)
		for _, l := range testkit.PlaintextLeaks(r.rec.Registrations(), secrets) {
			t.Errorf("%s: %s", stack, l)
		}
		// Stack outputs: secret exactly where the contract says, and no secret inside a plain one.
		for _, spec := range stacks.OutputContract {
			val, secret := r.output(t, spec.Key)
			if secret != spec.Secret {
				t.Errorf("%s: output %s secret=%v, contract says %v", stack, spec.Key, secret, spec.Secret)
			}
			if secret {
				continue
			}
			for name, s := range testkit.PlainStrings(resource.NewPropertyValue(val)) {
				for sn, sv := range secrets {
					if strings.Contains(s, sv) {
						t.Errorf("%s: output %s%s contains %s", stack, spec.Key, name, sn)
					}
				}
			}
		}
	}
}

// The sweep itself must catch a leak, or the test above proves nothing.
func TestSecretSweepCatchesALeak(t *testing.T) {
	regs := []testkit.Registration{{URN: "urn:x", Inputs: resource.PropertyMap{
		"create": resource.NewProperty("echo fixturehcloudtoken7f3a9c0123456789abcdefghij0123456789abcdefghij"),
		"stdin":  resource.MakeSecret(resource.NewProperty("fixturehcloudtoken7f3a9c0123456789abcdefghij0123456789abcdefghij")),
	}}}
	leaks := testkit.PlaintextLeaks(regs, map[string]string{"t": "fixturehcloudtoken7f3a9c0123456789abcdefghij0123456789abcdefghij"})
	if len(leaks) != 1 || leaks[0].Path != "inputs.create" {
		t.Fatalf("sweep found %v, want exactly the plaintext command", leaks)
	}
}

func TestServerUserDataIsSecret(t *testing.T) {
	r := runStack(t, "prod")
	for _, s := range r.rec.OfType("hcloud:index/server:Server") {
		ud := s.Inputs["userData"]
		if !ud.ContainsSecrets() {
			t.Errorf("%s: user data holds the SSH host private key but is not secret", s.Name)
		}
		if !strings.Contains(plain(ud).StringValue(), "BEGIN OPENSSH PRIVATE KEY") {
			t.Errorf("%s: user data does not install the host key", s.Name)
		}
	}
}
