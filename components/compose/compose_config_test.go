package compose

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hoodcloud/infra/internal/platform"
)

// TestFixtureAcceptedByDockerCompose hands the fixture, its rendered .env and the generated override to
// the real `docker compose config`: compose accepts them, merges the mount labels, and the ports as
// compose itself reads them pass the Port Reference rules (the loader this package uses agrees with the
// CLI that runs on the host).
func TestFixtureAcceptedByDockerCompose(t *testing.T) {
	env := dockerEnv(t)
	for _, tc := range []struct {
		project string
		layout  Layout
	}{{"hoodcloud", ControlPlane()}, {"hoodcloud-payment", Payment()}} {
		t.Run(tc.project, func(t *testing.T) {
			dir := copyFixture(t)
			p, err := inspectBundle(dir, tc.project, tc.layout, fixtureEnv(t))
			if err != nil {
				t.Fatal(err)
			}
			b := mustBundle(t, dir)
			plan := planMounts(p, dir, b)
			override, err := RenderOverride(plan, b, extraDigest([]string{"cert-hash-0001"}))
			if err != nil {
				t.Fatal(err)
			}
			envText, err := RenderEnv(fixtureEnv(t))
			if err != nil {
				t.Fatal(err)
			}
			for name, content := range map[string]string{EnvFileName: envText, OverrideFileName: override} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("docker", "compose", "--project-name", tc.project, "--project-directory", dir,
				"--env-file", filepath.Join(dir, EnvFileName), "--file", filepath.Join(dir, tc.layout.ComposeFiles[0]),
				"--file", filepath.Join(dir, OverrideFileName), "--profile", "*", "config", "--format", "json")
			cmd.Env = env
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("docker compose config refused the fixture: %v\n%s", err, out)
			}
			var cfg struct {
				Services map[string]struct {
					Ports  []types.ServicePortConfig `json:"ports"`
					Labels map[string]string         `json:"labels"`
				} `json:"services"`
			}
			if err := json.Unmarshal(out, &cfg); err != nil {
				t.Fatal(err)
			}
			entries := platform.EntriesFor([]platform.Role{tc.layout.Role})
			published := 0
			for name, s := range cfg.Services {
				for _, port := range s.Ports {
					published++
					for _, msg := range checkPort(port, tc.layout.Role, entries) {
						t.Errorf("service %s as compose reads it: %s", name, msg)
					}
				}
			}
			if published < len(entries) {
				t.Errorf("compose reads %d published ports, the Port Reference has %d rows for %s", published, len(entries), tc.layout.Role)
			}
			if _, ok := cfg.Services[tc.layout.MigrateService]; !ok {
				t.Errorf("migrate service %s missing from compose's view", tc.layout.MigrateService)
			}
			for svc := range plan.Files {
				if cfg.Services[svc].Labels[BundleMountsLabel] == "" {
					t.Errorf("compose did not merge the override's label into %s", svc)
				}
			}
			for _, svc := range plan.Secrets {
				if cfg.Services[svc].Labels[SecretsLabel] == "" {
					t.Errorf("compose did not merge the secrets label into %s", svc)
				}
			}
		})
	}
}
