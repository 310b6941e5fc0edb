package enginetest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoodcloud/infra/internal/engine"
	"github.com/hoodcloud/infra/internal/testkit"
	"github.com/hoodcloud/infra/stacks"
)

// scripts/ci-stack-secrets.sh, as the workflows run it, with the real pulumi CLI: every secret from its
// environment variable ends up encrypted in the stack's configuration, no value ever on a command line,
// and an empty variable leaves its key alone.
func TestCIStackSecretsScript(t *testing.T) {
	tc := toolchain(t)
	dir := projectDir(t, "staging")
	shim, argv := t.TempDir(), filepath.Join(t.TempDir(), "argv")
	real := filepath.Join(tc.Dir, "bin", "pulumi")
	if err := os.WriteFile(filepath.Join(shim, "pulumi"), []byte("#!/bin/sh\nprintf '%s\\n' \"$*\" >>"+argv+"\nexec "+real+" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{
		"HCLOUD_TOKEN": "cisecretshcloudtoken000000000000000000000000000000000000000000001", "CLOUDFLARE_API_TOKEN": "ci-secrets-cloudflare-7d1",
		"STRIPE_SECRET_KEY": "ci-secrets-stripe-key-2c8", "STRIPE_WEBHOOK_SECRET": "ci-secrets-webhook-9a0", "CLERK_SECRET_KEY": "ci-secrets-clerk-4b6",
		"POSTGRES_PASSWORD": "ci-secrets-postgres-5e3", "PAYMENT_POSTGRES_PASSWORD": "ci-secrets-payment-pg-8f7", "GRAFANA_ADMIN_PASSWORD": "ci-secrets-grafana-1d2",
	}
	env := cleanEnv(map[string]string{
		"PATH": shim + ":" + os.Getenv("PATH"), "PULUMI_HOME": tc.Home(engine.Real), "PULUMI_SKIP_UPDATE_CHECK": "true",
		"PULUMI_BACKEND_URL": "file://" + t.TempDir(), "PULUMI_CONFIG_PASSPHRASE": passphrase, "REGISTRY_PASSWORD": "",
	})
	for k, v := range values {
		env = append(env, k+"="+v)
	}
	cmd := exec.Command(filepath.Join(repoRoot, "scripts", "ci-stack-secrets.sh"), "staging")
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ci-stack-secrets.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "REGISTRY_PASSWORD is empty; registryPassword left as it is") {
		t.Errorf("an empty variable was not skipped:\n%s", out)
	}
	stackFile, err := os.ReadFile(filepath.Join(dir, "Pulumi.staging.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	calls, err := os.ReadFile(argv)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"hcloud:token": "HCLOUD_TOKEN", "hoodcloud:stripeSecretKey": "STRIPE_SECRET_KEY", "hoodcloud:grafanaAdminPassword": "GRAFANA_ADMIN_PASSWORD"} {
		get := exec.Command(real, "config", "get", "--stack", "staging", key)
		get.Dir, get.Env = dir, env
		got, err := get.Output()
		if err != nil || strings.TrimSpace(string(got)) != values[want] {
			t.Errorf("%s = %q (%v), want the value of %s", key, got, err, want)
		}
	}
	for name, v := range values {
		if strings.Contains(string(calls), v) {
			t.Errorf("%s reached a pulumi command line", name)
		}
		if strings.Contains(string(stackFile), v) {
			t.Errorf("%s is in plaintext in the stack file", name)
		}
	}
	if n := strings.Count(string(stackFile), "secure: v1:"); n != len(values) {
		t.Errorf("%d encrypted values in the stack file, want %d", n, len(values))
	}
}

// scripts/ci-publish-outputs.sh after an up, with the real pulumi CLI: it publishes the outputs contract
// to the one object the readers' role may read, every secret output masked and no secret inside.
func TestCIPublishOutputsScript(t *testing.T) {
	tc := toolchain(t)
	p := newProject(t, "staging", engine.StandIn)
	p.up(t)
	bin, published := t.TempDir(), t.TempDir()
	// The AWS CLI's part: `aws s3 cp FILE s3://BUCKET/KEY` lands in published/BUCKET/KEY.
	fakeAWS := "#!/bin/sh\nset -eu\n[ \"$1 $2\" = \"s3 cp\" ] || exit 2\nshift 2\nwhile [ \"${1#--}\" != \"$1\" ]; do case \"$1\" in --content-type) shift 2 ;; *) shift ;; esac; done\n" +
		"dest=" + published + "/${2#s3://}\nmkdir -p \"$(dirname \"$dest\")\"\ncp \"$1\" \"$dest\"\n"
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fakeAWS), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(repoRoot, "scripts", "ci-publish-outputs.sh"), "staging")
	cmd.Dir = p.dir
	cmd.Env = cleanEnv(map[string]string{
		"PATH": bin + ":" + filepath.Join(tc.Dir, "bin") + ":" + os.Getenv("PATH"), "PULUMI_HOME": tc.Home(engine.StandIn),
		"PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_BACKEND_URL": p.backend, "PULUMI_CONFIG_PASSPHRASE": passphrase,
		"PULUMI_STATE_BUCKET": "hoodcloud-pulumi-state",
	})
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ci-publish-outputs.sh: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(published, "hoodcloud-pulumi-state", "outputs", "hoodcloud", "staging.json"))
	if err != nil {
		t.Fatal(err)
	}
	var outs map[string]any
	if err := json.Unmarshal(b, &outs); err != nil {
		t.Fatal(err)
	}
	for _, spec := range stacks.OutputContract {
		v, ok := outs[spec.Key]
		if !ok {
			t.Errorf("published outputs lack %s", spec.Key)
		}
		if spec.Secret && v != "[secret]" {
			t.Errorf("secret output %s published as %v", spec.Key, v)
		}
	}
	secrets, _ := testkit.LoadSecretFixtures(repoRoot)
	for k, v := range secrets {
		if strings.Contains(string(b), v) {
			t.Errorf("published outputs contain %s", k)
		}
	}
	for _, needle := range []string{"fixture-unseal-", "fixture-root-token", "PRIVATE KEY", testkit.FakeAWSSecretAccessKey("")} {
		if strings.Contains(string(b), needle) {
			t.Errorf("published outputs contain %q", needle)
		}
	}
}
