package enginetest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/hoodcloud/infra/internal/engine"
	"github.com/hoodcloud/infra/internal/testkit"
	"github.com/hoodcloud/infra/stacks"
)

// `pulumi up` of a fresh stack converges: the next preview shows no change (--expect-no-changes), the next
// up creates, updates and deletes nothing and runs no remote command, and the state holds every secret
// only inside a secret object.
func TestUpConverges(t *testing.T) {
	for _, stack := range []string{"staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			p := newProject(t, stack, engine.StandIn)
			p.up(t)
			first := p.journalLines(t)
			if runs := remoteRuns(first, 0); len(runs) < 10 {
				t.Fatalf("the first up ran %d remote steps (%v), want every step", len(runs), runs)
			}

			res := p.preview(t, optpreview.ExpectNoChanges())
			for op, n := range res.ChangeSummary {
				if op != apitype.OpSame && n != 0 {
					t.Errorf("preview after up plans %d %s", n, op)
				}
			}

			p.up(t)
			if ops := operations(p.journalLines(t), len(first)); len(ops) != 0 {
				t.Errorf("a second up changed resources: %v", ops)
			}
			if runs := remoteRuns(p.journalLines(t), len(first)); len(runs) != 0 {
				t.Errorf("a second up ran remote commands: %v", runs)
			}

			p.sweepState(t)
			p.checkOutputs(t)
			// The Vault provider's CA file is where the plugins look: the project directory.
			if cas, _ := filepath.Glob(filepath.Join(p.dir, ".vault-ca", "*.pem")); len(cas) != 1 {
				t.Errorf("Vault CA files in the project directory: %v", cas)
			}
		})
	}
}

// checkOutputs reads the stack outputs as CI does: every key of the contract is there, secret exactly
// where the contract says (CI cannot read a value that is needlessly secret), and known after up.
func (p *project) checkOutputs(t *testing.T) {
	t.Helper()
	outs, err := p.st.Outputs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != len(stacks.OutputContract) {
		t.Errorf("%d outputs, the contract has %d keys", len(outs), len(stacks.OutputContract))
	}
	for _, spec := range stacks.OutputContract {
		o, ok := outs[spec.Key]
		switch {
		case !ok:
			t.Errorf("output %s missing", spec.Key)
		case o.Secret != spec.Secret:
			t.Errorf("output %s: secret %v, the contract says %v", spec.Key, o.Secret, spec.Secret)
		case o.Value == nil:
			t.Errorf("output %s has no value after up", spec.Key)
		}
	}
	receipts, _ := outs["deployReceipts"].Value.(map[string]any)
	for _, stack := range []string{"controlPlane", "payment"} {
		r, _ := receipts[stack].(map[string]any)
		images, _ := r["images"].(map[string]any)
		if r["deployedAt"] != "2026-12-02T01:40:00Z" || r["migrate"] != "exit 0" || images["api"] == nil || r["bundleHash"] == "" {
			t.Errorf("deploy receipt of %s: %v", stack, r)
		}
	}
}

// secretSignature marks a secret object in an exported deployment (`stack export --show-secrets`).
const secretSignature = "4dabf18193072939515e22adb298388d"

// sweepState exports the state with its secrets shown and fails on any secret value found outside a secret
// object: the fixtures of testdata/secrets.yaml, what Vault's bootstrap printed, the stand-in clouds'
// generated secrets and any private key.
func (p *project) sweepState(t *testing.T) {
	t.Helper()
	dep, err := p.st.Workspace().ExportStack(context.Background(), p.stack)
	if err != nil {
		t.Fatal(err)
	}
	var state any
	if err := json.Unmarshal(dep.Deployment, &state); err != nil {
		t.Fatal(err)
	}
	secrets, err := testkit.LoadSecretFixtures(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	needles := map[string]string{
		"an unseal key":              "fixture-unseal-",
		"the root token":             "fixture-root-token-hvs-91ab",
		"the program's secret_id":    "fixture-program-secret-id-2c9d",
		"an AWS secret access key":   testkit.FakeAWSSecretAccessKey(""),
		"an AppRole secret_id":       testkit.FakeAppRoleSecretID(""),
		"a private key":              "PRIVATE KEY",
		"the trigger hash key input": "hoodcloud trigger hash key",
		"a deploy log's secret":      "fixture-deploy-log-secret-4e1",
	}
	for k, v := range secrets {
		needles[k] = v
	}
	var walk func(path string, v any)
	found := map[string]bool{}
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if x[secretSignature] != nil {
				if _, ok := x["plaintext"]; !ok {
					t.Errorf("%s: secret object without plaintext: was the state exported with --show-secrets?", path)
				}
				return
			}
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		case string:
			for what, needle := range needles {
				if strings.Contains(x, needle) && !found[what+path] {
					found[what+path] = true
					t.Errorf("%s in plaintext at %s", what, path)
				}
			}
		}
	}
	walk("deployment", state)
	if raw := string(dep.Deployment); !strings.Contains(raw, "fixture-unseal-1") {
		// The sweep must see the secrets it looks for: inside secret objects.
		t.Errorf("the exported state holds no unseal key at all: the sweep looked at the wrong thing")
	}
}

// A change re-runs exactly the remote steps that depend on it, under the real engine.
func TestChangesReRunOnlyTheirDependents(t *testing.T) {
	p := newProject(t, "prod", engine.StandIn)
	p.up(t)
	step := func(name string, change func(), want []string) {
		t.Run(name, func(t *testing.T) {
			before := len(p.journalLines(t))
			change()
			p.up(t)
			if d := cmp.Diff(want, remoteRuns(p.journalLines(t), before)); d != "" {
				t.Errorf("re-run steps (-want +got):\n%s", d)
			}
		})
	}
	step("stripe webhook secret", func() {
		p.setSecret(t, "stripeWebhookSecret", "fixture-stripe-webhook-secret-ROTATED")
	}, []string{"payment-app-deploy", "payment-app-upload"})
	step("app version", func() {
		p.setConfig(t, "appVersion", "v1.43.0")
	}, []string{"control-plane-app-deploy", "control-plane-app-upload", "payment-app-deploy", "payment-app-upload", "payment-mtls-check"})

	// A renewal is the tls provider replacing the certificate (in its last early_renewal_hours); the real
	// tls plugin issues the new one here.
	t.Run("payment server certificate renewal", func(t *testing.T) {
		cert := p.urn(t, "tls:index/locallySignedCert:LocallySignedCert", "payment-server")
		before := len(p.journalLines(t))
		p.up(t, optup.Replace([]string{cert}))
		want := []string{"payment-app-deploy", "payment-app-upload", "payment-mtls-check", "payment-pki-files-install"}
		if d := cmp.Diff(want, remoteRuns(p.journalLines(t), before)); d != "" {
			t.Errorf("re-run steps (-want +got):\n%s", d)
		}
	})
}

// urn finds the resource of typ named part, or else the one whose name contains part, in the state.
func (p *project) urn(t *testing.T, typ, part string) string {
	t.Helper()
	dep, err := p.st.Workspace().ExportStack(context.Background(), p.stack)
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Resources []struct {
			URN  string `json:"urn"`
			Type string `json:"type"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(dep.Deployment, &state); err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, r := range state.Resources {
		name := r.URN[strings.LastIndex(r.URN, "::")+2:]
		if r.Type == typ && name == part {
			return r.URN // an exact name wins
		}
		if r.Type == typ && strings.Contains(name, part) {
			found = append(found, r.URN)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d resources of %s named like %q: %v", len(found), typ, part, found)
	}
	return found[0]
}

// `pulumi destroy` of staging removes everything the stack made, and the consumers' AppRole files go
// with their roles (their delete scripts run); Vault's data is not the program's to delete.
func TestDestroyRemovesTheStack(t *testing.T) {
	p := newProject(t, "staging", engine.StandIn)
	p.up(t)
	before := len(p.journalLines(t))
	if _, err := p.st.Destroy(context.Background()); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	lines := p.journalLines(t)
	var deletes, removals int
	for _, op := range operations(lines, before) {
		if strings.HasPrefix(op, "delete ") {
			deletes++
		}
	}
	for _, l := range lines[before:] {
		if strings.HasPrefix(l, "run-delete command:remote:Command vault-") && strings.HasSuffix(l, "-approle-files") {
			removals++
		}
	}
	creates := 0
	for _, op := range operations(lines[:before], 0) {
		if strings.HasPrefix(op, "create ") {
			creates++
		}
	}
	if deletes != creates {
		t.Errorf("destroy deleted %d resources, up created %d", deletes, creates)
	}
	if removals != 3 {
		t.Errorf("%d AppRole file removals ran, want one per consumer (3)", removals)
	}
	outs, err := p.st.Outputs(context.Background())
	if err != nil || len(outs) != 0 {
		t.Errorf("outputs after destroy: %v %v", outs, err)
	}
}
