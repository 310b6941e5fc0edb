package compose

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// An absolute include in the bundle's NATS configuration is refused before anything is registered,
// naming the file, the line and the fix; relative includes and other files' includes pass.
func TestNATSAbsoluteIncludeIsRefused(t *testing.T) {
	dir := t.TempDir()
	natsDir := filepath.Join(dir, filepath.FromSlash(NATSConfigDir))
	if err := os.MkdirAll(natsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := "port: 4222\n# include \"/commented/out.conf\"\ninclude \"jwt/resolver.conf\"\ninclude /etc/nats/accounts.conf;\n"
	if err := os.WriteFile(filepath.Join(natsDir, "nats.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	got := checkNATSIncludes(dir)
	if len(got) != 1 || !strings.Contains(got[0], `config/nats/nats.conf line 4: include "/etc/nats/accounts.conf" is absolute`) ||
		!strings.Contains(got[0], `"nats/accounts.conf"`) {
		t.Errorf("problems %q", got)
	}
	if got := checkNATSIncludes(fixtureDir); len(got) != 0 {
		t.Errorf("the fixture bundle's NATS config: %q", got)
	}
}

// Temporal's auto-setup image reads the database password from POSTGRES_PWD only: the fixture hands it
// over from the compose secret in the entrypoint, and sets no *_FILE variable the image would ignore.
func TestTemporalGetsItsPasswordFromTheSecret(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixtureDir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Entrypoint  []string          `yaml:"entrypoint"`
			Environment map[string]string `yaml:"environment"`
			Secrets     []string          `yaml:"secrets"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	temporal := doc.Services["temporal"]
	for k := range temporal.Environment {
		if strings.HasSuffix(k, "_FILE") {
			t.Errorf("temporal sets %s, which temporalio/auto-setup does not read", k)
		}
	}
	entry := strings.Join(temporal.Entrypoint, " ")
	if !strings.Contains(entry, `POSTGRES_PWD="$$(cat /run/secrets/postgres_password)"`) || !strings.Contains(entry, "exec /etc/temporal/entrypoint.sh autosetup") ||
		len(temporal.Secrets) != 1 || temporal.Secrets[0] != "postgres_password" {
		t.Errorf("temporal does not take POSTGRES_PWD from its secret: entrypoint %q, secrets %v", entry, temporal.Secrets)
	}
}

// The payment service reaches NATS by its certificate's name, mapped to the control plane's address from
// the .env: the first deploy needs no DNS record for it.
func TestPaymentMapsTheNATSName(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixtureDir, "docker-compose.payment.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			ExtraHosts []string `yaml:"extra_hosts"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Services["payment"].ExtraHosts; len(got) != 1 || got[0] != "nats.${DOMAIN}:${NATS_HOST_IP}" {
		t.Errorf("payment extra_hosts %v", got)
	}
}
