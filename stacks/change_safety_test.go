package stacks_test

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/testkit"
)

// copyBundle copies the fixture bundle to a temporary directory a test may edit.
func copyBundle(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join(repoRoot, "testdata", "bundle")
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// stepInputs is every remote step's inputs (what decides whether pulumi-command re-runs it).
func stepInputs(t *testing.T, r *run) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range r.rec.OfType("command:remote:Command") {
		out[c.Name] = resource.NewProperty(c.Inputs).String()
	}
	return out
}

// changedSteps runs the stack twice and lists the remote steps whose inputs differ.
func changedSteps(t *testing.T, before, after *run) []string {
	t.Helper()
	a, b := stepInputs(t, before), stepInputs(t, after)
	var changed []string
	for name, in := range b {
		if a[name] != in {
			changed = append(changed, name)
		}
	}
	sort.Strings(changed)
	return changed
}

func mustRun(t *testing.T, sc testkit.StackConfig, prepare func(*testkit.Recorder)) *run {
	t.Helper()
	r, err := runConfigWith(t, sc, prepare)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A no-op `pulumi up` runs no remote command: nothing's inputs change.
func TestNoChangeReRunsNothing(t *testing.T) {
	sc := stackConfig(t, "prod")
	if changed := changedSteps(t, mustRun(t, sc, nil), mustRun(t, sc, nil)); len(changed) != 0 {
		t.Errorf("steps re-run with nothing changed: %v", changed)
	}
}

// Editing the payment compose file redeploys the payment stack (and re-verifies mTLS) only.
func TestComposeChangeRedeploysOnlyItsStack(t *testing.T) {
	dir := copyBundle(t)
	sc := stackConfig(t, "prod").With("bundleDir", dir)
	before := mustRun(t, sc, nil)
	editFile(t, filepath.Join(dir, "docker-compose.payment.yml"), "interval: 10s", "interval: 15s")
	after := mustRun(t, sc, nil)
	want := []string{"payment-app-deploy", "payment-app-upload", "payment-mtls-check"}
	if d := cmp.Diff(want, changedSteps(t, before, after)); d != "" {
		t.Errorf("re-run steps (-want +got):\n%s", d)
	}
}

// A rotated payment server certificate reaches the payment server, restarts the payment stack and
// re-verifies mTLS; the control plane does not move.
func TestCertificateRotationRedeploysOnlyItsConsumers(t *testing.T) {
	sc := stackConfig(t, "prod")
	rotate := func(rec *testkit.Recorder) {
		const typ = "tls:index/locallySignedCert:LocallySignedCert"
		issue := rec.Resources[typ]
		rec.Resources[typ] = func(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
			if strings.Contains(a.Name, "payment-server") {
				// The provider's renewal: same request, a new certificate (here: one hour longer).
				a.Inputs = a.Inputs.Copy()
				a.Inputs["validityPeriodHours"] = resource.NewProperty(a.Inputs["validityPeriodHours"].NumberValue() + 1)
			}
			return issue(a)
		}
	}
	before, after := mustRun(t, sc, nil), mustRun(t, sc, rotate)
	// The upload carries the generated override whose labels force the recreation of the services that
	// mount the rotated files.
	want := []string{"payment-app-deploy", "payment-app-upload", "payment-mtls-check", "payment-pki-files-install"}
	if d := cmp.Diff(want, changedSteps(t, before, after)); d != "" {
		t.Errorf("re-run steps (-want +got):\n%s", d)
	}
}

// A changed Stripe secret updates its Vault entry and restarts the payment stack, nothing else.
func TestVaultSecretChangeRestartsOnlyItsReaders(t *testing.T) {
	sc := stackConfig(t, "prod")
	before := mustRun(t, sc, nil)
	sc2 := sc.With("stripeWebhookSecret", "fixture-stripe-webhook-secret-ROTATED")
	sc2.Secrets["hoodcloud:stripeWebhookSecret"] = "fixture-stripe-webhook-secret-ROTATED"
	after := mustRun(t, sc2, nil)
	if d := cmp.Diff([]string{"payment-app-deploy", "payment-app-upload"}, changedSteps(t, before, after)); d != "" {
		t.Errorf("re-run steps (-want +got):\n%s", d)
	}
	var kvChanged []string
	for _, s := range after.rec.OfType("vault:kv/secretV2:SecretV2") {
		old, _ := before.rec.Named(s.Type, s.Name)
		if resource.NewProperty(old.Inputs).String() != resource.NewProperty(s.Inputs).String() {
			kvChanged = append(kvChanged, s.Name)
		}
	}
	if d := cmp.Diff([]string{"vault-secret-payment-stripe"}, kvChanged); d != "" {
		t.Errorf("changed Vault entries (-want +got):\n%s", d)
	}
}

// A bundle that publishes an internal port on all interfaces is refused before any resource exists,
// naming the service, the port and the rule.
func TestBundlePublishingAnInternalPortIsRefused(t *testing.T) {
	dir := copyBundle(t)
	editFile(t, filepath.Join(dir, "docker-compose.yml"), `"127.0.0.1:5432:5432"`, `"5432:5432"`)
	r, err := runConfig(t, stackConfig(t, "prod").With("bundleDir", dir))
	if err == nil {
		t.Fatal("bundle accepted")
	}
	for _, want := range []string{"postgres", "5432", "127.0.0.1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q: %v", want, err)
		}
	}
	if n := len(r.rec.Registrations()); n != 0 {
		t.Errorf("%d resources registered", n)
	}
}

// Each deploy waits for everything its services read: certificates, Vault credentials, NATS, its files;
// the mTLS check waits for the payment deploy.
func TestDeployOrdering(t *testing.T) {
	r := runStack(t, "prod")
	step := func(name string) testkit.Registration {
		g, ok := r.rec.Named("command:remote:Command", name)
		if !ok {
			t.Fatalf("no step %s", name)
		}
		return g
	}
	order := map[string][]string{
		"control-plane-app-deploy": {"control-plane-pki-files-install", "control-plane-app-files-install",
			"vault-control-plane-approle-files", "nats-certbot-issue", "control-plane-app-upload"},
		"payment-app-deploy": {"payment-pki-files-install", "payment-app-files-install", "vault-payment-approle-files",
			"payment-app-upload", "control-plane-app-deploy"}, // NATS runs in the control plane's stack
		"payment-mtls-check": {"payment-app-deploy", "control-plane-pki-files-install"},
	}
	for later, befores := range order {
		for _, before := range befores {
			if !r.rec.DependsOn(step(later), step(before).URN) {
				t.Errorf("%s does not wait for %s", later, before)
			}
		}
	}
	// Services start only after their secrets are in Vault; a rotated secret is written before the restart.
	for _, deploy := range []string{"control-plane-app-deploy", "payment-app-deploy"} {
		for _, kv := range r.rec.OfType("vault:kv/secretV2:SecretV2") {
			if !r.rec.DependsOn(step(deploy), kv.URN) {
				t.Errorf("%s does not wait for Vault secret %s", deploy, kv.Name)
			}
		}
	}
	// Independent work stays independent: the control plane's deploy does not wait for the payment's.
	if r.rec.DependsOn(step("control-plane-app-deploy"), step("payment-app-deploy").URN) {
		t.Error("control-plane deploy is serialised behind the payment deploy")
	}
	// The payment stack maps nats.<domain> to the control plane's address (NATS_HOST_IP in its .env): the
	// address flows into the payment upload, so no DNS record is needed for the first deploy.
	if env := uploadedFile(t, step("payment-app-upload"), ".env"); !strings.Contains(env, "NATS_HOST_IP="+testkit.FakeIPv4("control-plane-address-ipv4")+"\n") {
		t.Errorf("the payment .env does not map nats.<domain> to the control plane:\n%s", env)
	}
	// Only the deploy reads Vault, NATS and the mounted files: the project, upload and login steps wait for
	// the host alone, so a first up's longest chain of remote steps is what the order requires.
	for _, early := range []string{"control-plane-app-project", "control-plane-app-upload", "control-plane-app-login",
		"payment-app-project", "payment-app-upload", "payment-app-login"} {
		for _, vaultStep := range []string{"vault-install", "vault-init", "vault-unseal", "vault-credential", "nats-certbot-issue",
			"control-plane-pki-files-install", "payment-pki-files-install"} {
			if r.rec.DependsOn(step(early), step(vaultStep).URN) {
				t.Errorf("%s waits for %s, which only the deploy needs", early, vaultStep)
			}
		}
	}
}

// uploadedFile is one file of an upload step's stdin (base64 of a tar).
func uploadedFile(t *testing.T, upload testkit.Registration, name string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(plain(upload.Inputs["stdin"]).StringValue())
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: no %s in the upload: %v", upload.Name, name, err)
		}
		if h.Name == name {
			content, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(content)
		}
	}
}
