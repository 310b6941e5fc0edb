package rehearsal

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"github.com/hoodcloud/infra/components/nats"
	"github.com/hoodcloud/infra/stacks"
)

// The whole platform from empty servers, for real: the program's first up brings up Vault, certbot's
// DNS-01 certificate (pebble and the Cloudflare stand-in), NATS in operator mode, both compose stacks
// with cmd/migrate before the applications and the health matrix, and the mTLS check; a second up changes
// nothing; a release whose migration fails fails up with the migration's output and leaves the running
// applications alone, and the fixed release converges; a Stripe secret change restarts the payment stack
// alone; destroy of staging removes every server (prod's are protected).
func TestPlatformRehearsal(t *testing.T) {
	ru := start(t, stacks.PhasePlatform)
	ru.firstUp(t, "platform: first up", "nats-certbot-issue", "control-plane-app-deploy", "payment-app-deploy", "payment-mtls-check", "vault-revoke-root")
	ru.checkOutputs(t, FirstRelease)
	cp := ru.host(t, ru.hostOf(t, stacks.ConsumerControlPlane))
	pay := ru.host(t, ru.hostOf(t, stacks.ConsumerPayment))

	// cmd/migrate ran after the data services and before the applications, on both stacks.
	for _, step := range []string{"control-plane-app-deploy", "payment-app-deploy"} {
		log := ru.commandStdout(t, step)
		data, migrate, apps := strings.Index(log, "deploy: data services healthy"), strings.Index(log, "deploy: migration succeeded"),
			strings.Index(log, "deploy: starting application services")
		if data < 0 || migrate < data || apps < migrate || !strings.Contains(log, "migrate: applied 7 migrations") {
			t.Errorf("%s: want data services, then migrate, then the applications:\n%s", step, log)
		}
	}
	// The health matrix is green: every service of both stacks has its container, running, healthy where
	// it has a check.
	checkHealthMatrix(t, cp, stacks.ControlPlaneProject)
	checkHealthMatrix(t, pay, stacks.PaymentProject)
	// The mTLS check ran on the control plane against the payment service.
	if out := ru.commandStdout(t, "payment-mtls-check"); !strings.Contains(out, "accepted the control plane's client certificate") ||
		!strings.Contains(out, "refused a client without a certificate") {
		t.Errorf("mTLS check: %s", out)
	}
	ru.checkNATS(t, cp, pay)

	if ops := ru.up(t, "platform: second up", optup.ExpectNoChanges()); len(ops) != 0 {
		t.Errorf("a second up did %v", ops)
	}

	// A release whose migration fails: up fails with the migration's own output, the applications that
	// run are not touched.
	before := containers(t, cp, stacks.ControlPlaneProject)
	ru.release(t, "v1.43.0", true)
	ru.r.Phase("platform: up of a release whose migration fails")
	err := ru.tryUp(t)
	if err == nil || !strings.Contains(err.Error(), MigrationFailure) || !strings.Contains(err.Error(), "application services were NOT started") {
		t.Fatalf("an up whose migration fails: %v", err)
	}
	after := containers(t, cp, stacks.ControlPlaneProject)
	for _, service := range []string{"api", "auth", "orchestrator", "agent-gateway"} {
		if after[service] != before[service] {
			t.Errorf("%s changed though the migration failed: %+v -> %+v", service, before[service], after[service])
		}
	}

	// The fixed release: only what depends on the version re-runs, and it converges.
	ru.release(t, "v1.43.1", false)
	ops := ru.up(t, "platform: up of the fixed release")
	for res, op := range ops {
		if !strings.HasPrefix(res, "control-plane-app") && !strings.HasPrefix(res, "payment-app") && !strings.HasPrefix(res, "payment-mtls") {
			t.Errorf("an appVersion bump changed %s (%s)", res, op)
		}
	}
	if !strings.Contains(ops["control-plane-app-deploy"], "replace") {
		t.Errorf("the fixed release did not redeploy the control plane: %v", ops)
	}
	if img := containers(t, cp, stacks.ControlPlaneProject)["api"].image; !strings.HasSuffix(img, "/api:v1.43.1") {
		t.Errorf("api runs %s after the fixed release", img)
	}
	ru.checkOutputs(t, "v1.43.1")
	if ops := ru.up(t, "platform: up after the fixed release", optup.ExpectNoChanges()); len(ops) != 0 {
		t.Errorf("the fixed release did not converge: the next up did %v", ops)
	}

	// A Stripe secret change restarts the payment stack and nothing on the control plane.
	cpBefore, payBefore := containers(t, cp, stacks.ControlPlaneProject), containers(t, pay, stacks.PaymentProject)
	ru.set(t, "stripeSecretKey", "rehearsal-rotated-stripe-secret-key-5e1", true)
	ops = ru.up(t, "platform: up with a new Stripe secret")
	if !strings.Contains(ops["payment-app-deploy"], "replace") {
		t.Errorf("a Stripe change did not redeploy the payment stack: %v", ops)
	}
	if op, ok := ops["control-plane-app-deploy"]; ok {
		t.Errorf("a Stripe change touched the control plane's deploy: %s", op)
	}
	if cpAfter := containers(t, cp, stacks.ControlPlaneProject); !maps.Equal(cpBefore, cpAfter) {
		t.Errorf("a Stripe change restarted control-plane containers:\n%v\n%v", cpBefore, cpAfter)
	}
	if payAfter := containers(t, pay, stacks.PaymentProject); payAfter["payment"].started == payBefore["payment"].started {
		t.Error("a Stripe change did not restart the payment service")
	}

	// Destroying the whole platform (its remote steps' delete scripts, Vault's resources through the
	// provider) removes every server; prod's are protected and refuse.
	err = ru.tryDestroy(t)
	servers, serr := ru.r.Servers(context.Background())
	if serr != nil {
		t.Fatal(serr)
	}
	if *stack == "staging" && (err != nil || len(servers) != 0) {
		t.Errorf("destroy of staging: %v, servers left %v", err, servers)
	}
	if *stack == "prod" && (err == nil || !strings.Contains(err.Error(), "cannot be deleted")) {
		t.Errorf("destroy of prod must stop at its protected resources: %v", err)
	}
}

// checkOutputs checks the outputs contract is complete after an up that deployed version.
func (ru *run) checkOutputs(t *testing.T, version string) {
	t.Helper()
	outs, err := ru.stack.Outputs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range stacks.OutputContract {
		if _, ok := outs[spec.Key]; !ok {
			t.Errorf("output %s missing", spec.Key)
		}
	}
	if got := ru.outputAny(t, "deployedVersion"); got != version {
		t.Errorf("deployedVersion = %v, want %s", got, version)
	}
	if got := ru.outputAny(t, "vaultRootTokenRevoked"); got != true {
		t.Errorf("vaultRootTokenRevoked = %v", got)
	}
	receipts, _ := ru.outputAny(t, "deployReceipts").(map[string]any)
	for _, stackName := range []string{"controlPlane", "payment"} {
		r, _ := receipts[stackName].(map[string]any)
		if r["migrate"] == nil || !strings.Contains(r["migrate"].(string), "exit 0") {
			t.Errorf("deployReceipts.%s: %v", stackName, r)
		}
	}
}

// checkNATS connects to NATS on the control plane's payment port (4223) over TLS with the certificate
// certbot obtained (verified against the ACME CA's root for nats.<domain>): the payment user's credentials
// from its server are accepted, an anonymous client is refused (operator mode). Then it renews the
// certificate as the timer would and checks NATS serves the new one.
func (ru *run) checkNATS(t *testing.T, cp, pay host) {
	t.Helper()
	roots, err := ru.acme.Roots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	creds := pay.run(t, "cat", stacks.PaymentNATSCredsFile)
	addr := strings.TrimSuffix(cp.addr, ":22") + ":4223"
	name := "nats." + ru.config(t, "domain")
	if err := natsConnect(addr, name, roots, []byte(creds)); err != nil {
		t.Errorf("the payment user on %s (%s): %v", addr, name, err)
	}
	if err := natsConnect(addr, name, roots, nil); err == nil || !strings.Contains(err.Error(), "Authorization Violation") {
		t.Errorf("an anonymous client on %s: %v, want Authorization Violation", addr, err)
	}

	// The program's certbot step installed certbot with apt-get (from the host image's local archive) and
	// enabled its timer. A renewal runs as certbot.service does, through the Vault-backed wrapper: it logs
	// in with the certbot AppRole, reads the Cloudflare token from Vault, renews by DNS-01, and the deploy
	// hook hands the new certificate to the running NATS (SIGHUP), which presents it at once.
	if !aptInstalled(cp.run(t, "cat", "/var/log/apt/history.log"), "python3-certbot-dns-cloudflare") {
		t.Error("the certbot step did not install certbot with apt-get (/var/log/apt/history.log has no such command line)")
	}
	if out := strings.TrimSpace(cp.run(t, "systemctl", "is-enabled", "certbot.timer")); out != "enabled" {
		t.Errorf("certbot.timer is %q", out)
	}
	before, err := natsCertificate(addr, name, roots)
	if err != nil {
		t.Fatal(err)
	}
	out := cp.run(t, nats.WrapperPath, "--force-renewal")
	// The hook's SIGHUP returns before nats-server has reloaded: the new certificate is awaited, bounded.
	renewed := waitUntil(30*time.Second, 500*time.Millisecond, func() bool {
		after, err := natsCertificate(addr, name, roots)
		if err != nil {
			t.Fatal(err)
		}
		return after.SerialNumber.Cmp(before.SerialNumber) != 0
	})
	if !renewed {
		t.Fatalf("30 s after a forced renewal NATS still presents certificate %s:\n%s", before.SerialNumber, out)
	}
	if err := natsConnect(addr, name, roots, []byte(creds)); err != nil {
		t.Errorf("the payment user after the renewal: %v", err)
	}
}

// container is one compose container as Docker reports it.
type container struct{ image, status, health, started string }

// containers are the containers of a compose project on a host, by service, stopped ones included (a
// service that crashed must show as exited, not be missing).
func containers(t *testing.T, h host, project string) map[string]container {
	t.Helper()
	ids := strings.Fields(h.run(t, "docker", "ps", "--all", "--quiet", "--filter", "label=com.docker.compose.project="+project))
	if len(ids) == 0 {
		t.Fatalf("no containers of %s on %s", project, h.addr)
	}
	format := `{{index .Config.Labels "com.docker.compose.service"}}|{{.Config.Image}}|{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.State.StartedAt}}`
	out := h.run(t, append([]string{"docker", "inspect", "--format", format}, ids...)...)
	m := map[string]container{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 5 {
			t.Fatalf("docker inspect on %s: unexpected line %q", h.addr, line)
		}
		if _, twice := m[f[0]]; twice {
			t.Errorf("%s: two containers of service %s on %s", project, f[0], h.addr)
		}
		m[f[0]] = container{image: f[1], status: f[2], health: f[3], started: f[4]}
	}
	return m
}

// checkHealthMatrix: exactly the layout's data and application services have a container (the migration
// ran with --rm and left none), each running, and healthy where it has a healthcheck.
func checkHealthMatrix(t *testing.T, h host, project string) {
	t.Helper()
	l := stacks.Layouts()[project]
	want := append(slices.Clone(l.DataServices), l.AppServices...)
	got := containers(t, h, project)
	if d := cmp.Diff(slices.Sorted(slices.Values(want)), slices.Sorted(maps.Keys(got))); d != "" {
		t.Errorf("%s: services with a container (-want +got):\n%s", project, d)
	}
	for service, c := range got {
		if c.status != "running" || (c.health != "" && c.health != "healthy") {
			t.Errorf("%s/%s: %s %s", project, service, c.status, c.health)
		}
	}
}

// aptInstalled says whether apt's history log records an install command line naming pkg.
func aptInstalled(history, pkg string) bool {
	for _, line := range strings.Split(history, "\n") {
		if strings.HasPrefix(line, "Commandline:") && strings.Contains(line, " install ") && slices.Contains(strings.Fields(line), pkg) {
			return true
		}
	}
	return false
}
