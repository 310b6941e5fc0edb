package compose

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/hoodcloud/infra/internal/testkit"
)

func fixtureMounts(t *testing.T) (MountPlan, *Bundle) {
	t.Helper()
	abs, err := filepath.Abs(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := inspectBundle(abs, "hoodcloud", ControlPlane(), fixtureEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	b := mustBundle(t, fixtureDir)
	return planMounts(p, abs, b), b
}

func TestPlanMountsOfTheFixture(t *testing.T) {
	plan, _ := fixtureMounts(t)
	wantFiles := map[string]string{
		"caddy":      "config/caddy/Caddyfile",
		"nats":       "config/nats/nats.conf",
		"grafana":    "config/grafana/provisioning/datasources/datasources.yaml",
		"prometheus": "config/prometheus/prometheus.yml",
		"loki":       "config/loki/loki.yaml",
		"gatus":      "config/gatus/config.yaml",
	}
	if len(plan.Files) != len(wantFiles) {
		t.Errorf("services mounting bundle files: %v", plan.Files)
	}
	for svc, f := range wantFiles {
		if got := strings.Join(plan.Files[svc], ","); got != f {
			t.Errorf("%s mounts %q, want %q", svc, got, f)
		}
	}
	// caddy mounts the control plane's payment client certificate (the Stripe webhook route).
	want := "agent-gateway,api,auth,caddy,migrate,nats,orchestrator"
	if got := strings.Join(plan.Secrets, ","); got != want {
		t.Errorf("services mounting %s: %s, want %s", HostSecretsDir, got, want)
	}
}

func TestRenderOverride(t *testing.T) {
	plan, b := fixtureMounts(t)
	with, err := RenderOverride(plan, b, extraDigest([]string{"cert-hash-0001"}))
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "override.yml.golden", with)
	var doc struct {
		Services map[string]struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(with), &doc); err != nil {
		t.Fatalf("override is not YAML: %v\n%s", err, with)
	}
	if doc.Services["gatus"].Labels[BundleMountsLabel] == "" || doc.Services["gatus"].Labels[SecretsLabel] != "" {
		t.Errorf("gatus labels: %v", doc.Services["gatus"].Labels)
	}
	// caddy mounts both: its Caddyfile and the payment client certificate of the webhook route.
	if doc.Services["caddy"].Labels[BundleMountsLabel] == "" || doc.Services["caddy"].Labels[SecretsLabel] == "" {
		t.Errorf("caddy labels: %v", doc.Services["caddy"].Labels)
	}
	if doc.Services["api"].Labels[SecretsLabel] != extraDigest([]string{"cert-hash-0001"}) {
		t.Errorf("api labels: %v", doc.Services["api"].Labels)
	}
	if _, ok := doc.Services["redis"]; ok {
		t.Error("redis mounts nothing and must not be labelled")
	}

	// A rotation changes exactly the secrets labels; a config edit exactly its service's label.
	rotated, _ := RenderOverride(plan, b, extraDigest([]string{"cert-hash-0002"}))
	if rotated == with || strings.Count(rotated, SecretsLabel) != len(plan.Secrets) {
		t.Error("a rotated certificate must change the secrets label of every service mounting secrets")
	}
	without, _ := RenderOverride(plan, b, "")
	if strings.Contains(without, SecretsLabel) {
		t.Error("without extra hashes there is no secrets label")
	}
	edited := *b
	edited.Files = append([]BundleFile(nil), b.Files...)
	for i, f := range edited.Files {
		if f.Name == "config/loki/loki.yaml" {
			edited.Files[i].Content = []byte("auth_enabled: true\n")
		}
	}
	after, _ := RenderOverride(plan, &edited, extraDigest([]string{"cert-hash-0001"}))
	var changed []string
	a, c := strings.Split(with, "\n"), strings.Split(after, "\n")
	for i := range a {
		if a[i] != c[i] {
			changed = append(changed, strings.TrimSpace(c[i-2]))
		}
	}
	if strings.Join(changed, ",") != `"loki":` {
		t.Errorf("editing loki.yaml changed the labels of %v, want loki alone", changed)
	}
	if empty, _ := RenderOverride(MountPlan{}, b, ""); !strings.Contains(empty, "\nservices: {}\n") {
		t.Errorf("an empty override must still be a valid compose file:\n%s", empty)
	}
}
