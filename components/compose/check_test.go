package compose

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/goccy/go-yaml"

	"github.com/hoodcloud/infra/internal/platform"
)

func TestFixtureBundlePasses(t *testing.T) {
	env := fixtureEnv(t)
	for _, tc := range []struct {
		project string
		layout  Layout
	}{{"hoodcloud", ControlPlane()}, {"hoodcloud-payment", Payment()}} {
		if err := CheckBundle(fixtureDir, tc.project, tc.layout, env); err != nil {
			t.Errorf("%s: the fixture bundle must pass, got:\n%v", tc.project, err)
		}
	}
}

// TestFixturePublishesThePortReference: every Port Reference row of a role is published by the role's
// compose file, bound exactly as the table says — the fixture is the shape of the real bundle.
func TestFixturePublishesThePortReference(t *testing.T) {
	for _, l := range []Layout{ControlPlane(), Payment()} {
		b, err := ReadBundle(fixtureDir)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := b.File(l.ComposeFiles[0])
		var doc struct {
			Services map[string]struct {
				Ports []string `yaml:"ports"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(f.Content, &doc); err != nil {
			t.Fatal(err)
		}
		published := map[string]bool{}
		for _, s := range doc.Services {
			for _, p := range s.Ports {
				parts := strings.Split(p, ":")
				bind := "0.0.0.0"
				if len(parts) == 3 {
					bind = parts[0]
				}
				published[bind+":"+parts[len(parts)-2]] = true
			}
		}
		for _, e := range platform.EntriesFor([]platform.Role{l.Role}) {
			if key := e.Bind + ":" + itoa(e.Port); !published[key] {
				t.Errorf("%s: Port Reference row %s (%s) is not published by %s; published: %v", l.Role, key, e.Service, l.ComposeFiles[0], keys(published))
			}
		}
	}
}

// TestFixtureUsesExactlyTheTypedEnv: every ${VAR} of the fixture is a key of AppEnv and every key of
// AppEnv is used, so the typed .env and the bundle cannot drift apart.
func TestFixtureUsesExactlyTheTypedEnv(t *testing.T) {
	b, err := ReadBundle(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, name := range []string{"docker-compose.yml", "docker-compose.payment.yml"} {
		f, _ := b.File(name)
		var doc map[string]any
		if err := yaml.Unmarshal(f.Content, &doc); err != nil {
			t.Fatal(err)
		}
		for v := range template.ExtractVariables(doc, template.DefaultPattern) {
			used[v] = true
		}
	}
	env := fixtureEnv(t)
	for k := range env {
		if !used[k] {
			t.Errorf("AppEnv sets %s, which no compose file of the fixture uses", k)
		}
	}
	for k := range used {
		if _, ok := env[k]; !ok {
			t.Errorf("the fixture uses ${%s}, which AppEnv does not set", k)
		}
	}
	if len(used) < 8 {
		t.Fatalf("found only %d variables in the fixture: the extraction is broken", len(used))
	}
}

// base is a small valid control-plane bundle; cases edit it.
const baseCompose = `services:
  db:
    image: postgres:16.4-alpine
    ports: ["127.0.0.1:5432:5432"]
    healthcheck:
      test: ["CMD", "pg_isready"]
  migrate:
    image: ${IMAGE_REGISTRY}/migrate:${HOODCLOUD_VERSION}
    profiles: [migrate]
    depends_on: [db]
  api:
    image: ${IMAGE_REGISTRY}/api:${HOODCLOUD_VERSION}
    depends_on: [db]
    ports: ["127.0.0.1:8080:8080"]
  caddy:
    image: caddy:2.8.4-alpine
    ports: ["80:80", "0.0.0.0:443:443"]
`

func baseLayout() Layout {
	return Layout{
		Role: platform.ControlPlane, ComposeFiles: []string{"docker-compose.yml"},
		DataServices: []string{"db"}, MigrateService: "migrate", AppServices: []string{"api", "caddy"},
		Health: []HealthCheck{Container("db"), HTTP("api", "http://127.0.0.1:8080/health"), TCP("caddy", "127.0.0.1:443")},
	}
}

func TestCheckBundleAcceptsGoodVariants(t *testing.T) {
	for name, compose := range map[string]string{
		"base":                              baseCompose,
		"public port on a specific address": strings.Replace(baseCompose, `"80:80"`, `"203.0.113.7:80:80"`, 1),
		"unlisted port on loopback":         strings.Replace(baseCompose, `["127.0.0.1:8080:8080"]`, `["127.0.0.1:8080:8080", "127.0.0.1:6060:6060"]`, 1),
		"ephemeral port on loopback":        strings.Replace(baseCompose, `["127.0.0.1:8080:8080"]`, `["127.0.0.1:8080:8080", "127.0.0.1::9000"]`, 1),
		"peer port public":                  strings.Replace(baseCompose, `["127.0.0.1:5432:5432"]`, `["127.0.0.1:5432:5432", "4223:4222"]`, 1),
		"image by digest":                   strings.Replace(baseCompose, "caddy:2.8.4-alpine", "caddy@sha256:"+strings.Repeat("ab", 32), 1),
		"default for an undefined variable": strings.Replace(baseCompose, "${HOODCLOUD_VERSION}", "${API_TAG:-v1}", 1),
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeBundle(t, map[string]string{"docker-compose.yml": compose})
			if err := CheckBundle(dir, "hoodcloud", baseLayout(), fixtureEnv(t)); err != nil {
				t.Fatalf("expected the bundle to pass, got:\n%v", err)
			}
		})
	}
}

func TestCheckBundleRefusesBadBundles(t *testing.T) {
	withLayout := func(f func(*Layout)) Layout { l := baseLayout(); f(&l); return l }
	cases := []struct {
		name    string
		compose string
		layout  Layout
		want    []string // every substring must be in one line of the error
	}{
		{name: "loopback port on all interfaces",
			compose: strings.Replace(baseCompose, `"127.0.0.1:8080:8080"`, `"8080:8080"`, 1),
			want:    []string{`service "api"`, "port 8080 on 0.0.0.0 (all interfaces)", "API Server", "Loopback", "must bind 127.0.0.1", "rule: loopback ports bind 127.0.0.1"}},
		{name: "loopback port on explicit 0.0.0.0",
			compose: strings.Replace(baseCompose, `"127.0.0.1:5432:5432"`, `"0.0.0.0:5432:5432"`, 1),
			want:    []string{`service "db"`, "port 5432 on 0.0.0.0", "PostgreSQL", "Loopback"}},
		{name: "loopback port on IPv6 any",
			compose: strings.Replace(baseCompose, `"127.0.0.1:8080:8080"`, `"[::]:8080:8080"`, 1),
			want:    []string{`service "api"`, "port 8080 on ::", "Loopback"}},
		{name: "loopback port on another loopback address",
			compose: strings.Replace(baseCompose, `"127.0.0.1:5432:5432"`, `"127.0.0.2:5432:5432"`, 1),
			want:    []string{`service "db"`, "port 5432 on 127.0.0.2", "must bind 127.0.0.1"}},
		{name: "loopback port on a private address",
			compose: strings.Replace(baseCompose, `"127.0.0.1:5432:5432"`, `"10.0.0.2:5432:5432"`, 1),
			want:    []string{`service "db"`, "port 5432 on 10.0.0.2", "Loopback"}},
		{name: "unexpected public port",
			compose: baseCompose + "  debug:\n    image: busybox:1.36\n    ports: [\"6060:6060\"]\n",
			layout:  withLayout(func(l *Layout) { l.AppServices = append(l.AppServices, "debug") }),
			want:    []string{`service "debug"`, "port 6060", "a public address", "firewall of role control-plane does not expect it", "public ports: 80, 443, 9090, 4223"}},
		{name: "public port of another role",
			compose: strings.Replace(baseCompose, `"0.0.0.0:443:443"`, `"0.0.0.0:443:443", "50051:50051"`, 1),
			want:    []string{`service "caddy"`, "port 50051", "does not expect it"}},
		{name: "ephemeral public port",
			compose: strings.Replace(baseCompose, `["127.0.0.1:8080:8080"]`, `["127.0.0.1:8080:8080", "9000"]`, 1),
			want:    []string{`service "api"`, "container port 9000", "ephemeral port", "does not expect"}},
		{name: "public port range",
			compose: strings.Replace(baseCompose, `["127.0.0.1:8080:8080"]`, `["127.0.0.1:8080:8080", "7000-7001:7000-7001"]`, 1),
			want:    []string{`service "api"`, "port 7001", "a public address"}},
		{name: "host networking",
			compose: strings.Replace(baseCompose, "    depends_on: [db]\n    ports: [\"127.0.0.1:8080:8080\"]", "    depends_on: [db]\n    network_mode: host", 1),
			layout:  withLayout(func(l *Layout) { l.Health = l.Health[:1] }),
			want:    []string{`service "api"`, "network_mode: host"}},
		{name: "image on latest",
			compose: strings.Replace(baseCompose, "caddy:2.8.4-alpine", "caddy:latest", 1),
			want:    []string{`service "caddy"`, `"caddy:latest"`, "moving tag latest"}},
		{name: "image without tag",
			compose: strings.Replace(baseCompose, "caddy:2.8.4-alpine", "registry.example:5000/caddy", 1),
			want:    []string{`service "caddy"`, "without a tag"}},
		{name: "undefined variable",
			compose: strings.Replace(baseCompose, "${HOODCLOUD_VERSION}", "${API_TAG}", 1),
			want:    []string{"${API_TAG}", "the rendered .env does not define"}},
		{name: "migration outside a profile",
			compose: strings.Replace(baseCompose, "    profiles: [migrate]\n", "", 1),
			want:    []string{`migrate service "migrate"`, "expected a compose profile"}},
		{name: "service in no phase",
			compose: baseCompose + "  worker:\n    image: busybox:1.36\n",
			want:    []string{`service "worker"`, "no deploy phase would start it"}},
		{name: "service in two phases",
			layout: withLayout(func(l *Layout) { l.AppServices = append(l.AppServices, "db") }),
			want:   []string{`service "db"`, "found it as data and application service"}},
		{name: "unknown layout service",
			layout: withLayout(func(l *Layout) { l.DataServices = append(l.DataServices, "redis") }),
			want:   []string{`data service "redis"`, "found none", "services: api, caddy, db, migrate"}},
		{name: "migration depends on an application",
			compose: strings.Replace(baseCompose, "    depends_on: [db]\n  api:", "    depends_on: [db, api]\n  api:", 1),
			want:    []string{`migrate service "migrate" depends on "api"`, "not a data service"}},
		{name: "container check without healthcheck",
			layout: withLayout(func(l *Layout) { l.Health = append(l.Health, Container("api")) }),
			want:   []string{`"api: container healthy"`, "define a compose healthcheck"}},
		{name: "HTTP check of an unpublished port",
			layout: withLayout(func(l *Layout) { l.Health = append(l.Health, HTTP("api", "http://127.0.0.1:8081/health")) }),
			want:   []string{`service "api" to publish port 8081`}},
		{name: "check of an unknown service",
			layout: withLayout(func(l *Layout) { l.Health = append(l.Health, TCP("redis", "127.0.0.1:6379")) }),
			want:   []string{`"redis: tcp 127.0.0.1:6379"`, "found none"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			compose := tc.compose
			if compose == "" {
				compose = baseCompose
			}
			layout := tc.layout
			if layout.Role == "" {
				layout = baseLayout()
			}
			dir := writeBundle(t, map[string]string{"docker-compose.yml": compose})
			err := CheckBundle(dir, "hoodcloud", layout, fixtureEnv(t))
			if err == nil {
				t.Fatal("expected the bundle to be refused, it passed")
			}
			if !strings.HasPrefix(err.Error(), "hoodcloud:bundleDir: docker-compose.yml: ") {
				t.Errorf("error does not name the config key and file: %v", err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if containsAll(line, tc.want) {
					return
				}
			}
			t.Fatalf("no error line contains all of %q; got:\n%v", tc.want, err)
		})
	}
}

// TestCheckBundleReportsEveryProblem: two independent problems give two lines, not the first only.
func TestCheckBundleReportsEveryProblem(t *testing.T) {
	compose := strings.Replace(baseCompose, `"127.0.0.1:8080:8080"`, `"8080:8080"`, 1)
	compose = strings.Replace(compose, "caddy:2.8.4-alpine", "caddy:latest", 1)
	err := CheckBundle(writeBundle(t, map[string]string{"docker-compose.yml": compose}), "hoodcloud", baseLayout(), fixtureEnv(t))
	if err == nil || !strings.Contains(err.Error(), "port 8080") || !strings.Contains(err.Error(), "latest") {
		t.Fatalf("expected both the port and the image problem, got: %v", err)
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
