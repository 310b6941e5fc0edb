package rehearsal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoodcloud/infra/components/compose"
	"github.com/hoodcloud/infra/stacks"
)

// Every image either bundle names has a stand-in, so a bundle that adds a service fails here (in make
// test) rather than in the middle of a rehearsal.
func TestEveryBundleImageHasAStandIn(t *testing.T) {
	const registry = "10.0.0.11:5000/hoodcloud"
	vars := map[string]string{"IMAGE_REGISTRY": registry, "HOODCLOUD_VERSION": "v1.42.0"}
	bundle := filepath.Join(repoRoot, "testdata/bundle")
	for project, layout := range stacks.Layouts() {
		refs, err := compose.Images(bundle, project, layout, vars)
		if err != nil {
			t.Fatal(err)
		}
		for _, ref := range refs {
			if _, _, err := lookupStandIn(ref, registry); err != nil {
				t.Error(err)
			}
		}
	}
	if _, _, err := lookupStandIn("quay.io/unknown/thing:1", registry); err == nil || !strings.Contains(err.Error(), "hubStandIns") {
		t.Errorf("an unknown image must name the table to extend, got %v", err)
	}
}

// The rendered Dockerfile keeps ${VAR} for testservice (Docker must not expand it at build time) and
// quotes values.
func TestStandInDockerfileEscapesForDocker(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join(repoRoot, "tools/rehearsal/images/standin/Dockerfile.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := standInDockerfile(string(tmpl), "postgres:16.4-alpine", hubStandIns["postgres"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`ENV TESTSERVICE_REQUIRE_FILES="\${POSTGRES_PASSWORD_FILE}"`,
		`ENV TESTSERVICE_MODE="tcp"`,
		`ENTRYPOINT ["/usr/local/bin/testservice"]`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Dockerfile lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "TESTSERVICE_REQUIRE_ENV") {
		t.Errorf("empty settings must not be rendered:\n%s", got)
	}
	nats, err := standInDockerfile(string(tmpl), "nats:2.10.22-alpine", hubStandIns["nats"])
	if err != nil || !strings.Contains(nats, `ENTRYPOINT ["/usr/local/bin/nats-server"]`) {
		t.Errorf("nats runs the real server: %v\n%s", err, nats)
	}
	broken, _ := standInDockerfile(string(tmpl), "x/migrate:v2", brokenMigrate())
	if !strings.Contains(broken, `ENV TESTSERVICE_FAIL="true"`) || !strings.Contains(broken, `column \"tenant_id\"`) {
		t.Errorf("the broken migrate must fail with its message:\n%s", broken)
	}
}
