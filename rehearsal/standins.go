package rehearsal

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
)

// standIn is how the rehearsal plays one image the bundles name: tools/testservice in one of its modes
// (or the real nats-server), configured by environment (tools/testservice/image.go), with the secrets and
// files the real service needs required at start, so a deploy that forgets one fails as it would in prod.
type standIn struct {
	// Entrypoint overrides testservice as the image's entrypoint (nats: the real server).
	Entrypoint []string
	// Env are the TESTSERVICE_* settings; ${VAR} in them is expanded by testservice when it runs.
	Env map[string]string
}

// The files every HoodCloud service reads to log in to Vault (its compose file mounts them).
const vaultLoginFiles = "${VAULT_CACERT},${VAULT_ROLE_ID_FILE},${VAULT_SECRET_ID_FILE}"

// httpService serves plain HTTP on listen; health is what its healthcheck command (installed as
// healthCommand, when not empty) checks.
func httpService(listen, health, healthCommand, requireFiles string) standIn {
	env := map[string]string{"TESTSERVICE_MODE": "serve", "TESTSERVICE_LISTEN": listen, "TESTSERVICE_REQUIRE_FILES": requireFiles}
	if healthCommand != "" {
		env["TESTSERVICE_HEALTH"], env["TESTSERVICE_HEALTH_COMMANDS"] = health, healthCommand
	}
	return standIn{Env: env}
}

// tcpService is a data service listening on listen; healthCommands check it.
func tcpService(listen, healthCommands, requireFiles, requireEnv string) standIn {
	return standIn{Env: map[string]string{
		"TESTSERVICE_MODE": "tcp", "TESTSERVICE_LISTEN": listen,
		"TESTSERVICE_HEALTH": "tcp://127.0.0.1" + listen, "TESTSERVICE_HEALTH_COMMANDS": healthCommands,
		"TESTSERVICE_REQUIRE_FILES": requireFiles, "TESTSERVICE_REQUIRE_ENV": requireEnv,
	}}
}

// mtlsService also serves TLS on tlsListen with the bundle's TLS_CERT_FILE, TLS_KEY_FILE and
// TLS_CLIENT_CA_FILE, requiring client certificates: the program's mTLS check and PKI files meet a real
// TLS server.
func mtlsService(listen, tlsListen, health, healthCommand, requireFiles string) standIn {
	s := httpService(listen, health, healthCommand, requireFiles)
	s.Env["TESTSERVICE_TLS_LISTEN"] = tlsListen
	return s
}

// hubStandIns are the third-party images, by repository (Docker Hub's; the servers pull them through the
// rehearsal's registry mirror under their own names).
var hubStandIns = map[string]standIn{
	"caddy":    httpService(":80,:443,:2019", "", "", "/etc/caddy/Caddyfile"),
	"nats":     {Entrypoint: []string{"/usr/local/bin/nats-server"}},
	"postgres": tcpService(":5432", "pg_isready", "${POSTGRES_PASSWORD_FILE}", ""),
	"redis":    tcpService(":6379", "redis-cli", "", ""),
	// The bundle's entrypoint reads the password from the compose secret into POSTGRES_PWD, the only
	// variable auto-setup reads, then execs /etc/temporal/entrypoint.sh.
	"temporalio/auto-setup":            tcpService(":7233", "tctl", "", "POSTGRES_PWD"),
	"temporalio/ui":                    httpService(":8080", "", "", ""),
	"grafana/grafana":                  httpService(":3000", "", "", "${GF_SECURITY_ADMIN_PASSWORD__FILE}"),
	"victoriametrics/victoria-metrics": httpService(":8428", "", "", ""),
	"prom/prometheus":                  httpService(":9090", "", "", "/etc/prometheus/prometheus.yml"),
	"grafana/loki":                     httpService(":3100", "", "", "/etc/loki/loki.yaml"),
	"twinproduction/gatus":             httpService(":8080", "", "", "/config/config.yaml"),
}

// ownStandIns are HoodCloud's images, by name under hoodcloud:imageRegistry.
var ownStandIns = map[string]standIn{
	"api":          httpService(":8080", "http://127.0.0.1:8080/health", "api", vaultLoginFiles+",${PAYMENT_TLS_CERT_FILE},${PAYMENT_TLS_KEY_FILE}"),
	"auth":         httpService(":8082", "http://127.0.0.1:8082/health", "auth", vaultLoginFiles),
	"orchestrator": httpService(":8080", "http://127.0.0.1:8080/health", "orchestrator", vaultLoginFiles),
	"agent-gateway": mtlsService(":8080", ":9090", "tcp://127.0.0.1:9090", "agent-gateway",
		vaultLoginFiles+",${TLS_CERT_FILE},${TLS_KEY_FILE},${TLS_CLIENT_CA_FILE}"),
	"payment": mtlsService(":8085", ":50051", "http://127.0.0.1:8085/health", "payment",
		vaultLoginFiles+",${NATS_CREDS_FILE}"),
	// cmd/migrate reaches its database (DATABASE_HOST: postgres or payment-postgres) and Vault's files.
	migrateImage: {Env: map[string]string{
		"TESTSERVICE_MODE": "migrate", "TESTSERVICE_REQUIRE": "${DATABASE_HOST}:5432",
		"TESTSERVICE_REQUIRE_FILES": vaultLoginFiles, "TESTSERVICE_MESSAGE": "applied 7 migrations",
	}},
}

// migrateImage is cmd/migrate's image, which both stacks' migration services run.
const migrateImage = "migrate"

// MigrationFailure is what the rehearsal's broken cmd/migrate prints before it exits non-zero.
const MigrationFailure = `migration 0043_invoices failed: column "tenant_id" does not exist`

// brokenMigrate is cmd/migrate of a release whose migration fails.
func brokenMigrate() standIn {
	s := standIn{Env: maps.Clone(ownStandIns[migrateImage].Env)}
	s.Env["TESTSERVICE_FAIL"], s.Env["TESTSERVICE_EXIT_CODE"], s.Env["TESTSERVICE_MESSAGE"] = "true", "3", MigrationFailure
	return s
}

// lookupStandIn finds the stand-in of image ref, a reference the bundles name: under imageRegistry (one of
// HoodCloud's own) or a Docker Hub one.
func lookupStandIn(ref, imageRegistry string) (standIn, string, error) {
	repo := ref
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	if own, ok := strings.CutPrefix(repo, imageRegistry+"/"); ok {
		s, found := ownStandIns[own]
		if !found {
			return standIn{}, "", fmt.Errorf("no rehearsal stand-in for HoodCloud's image %s: add one to ownStandIns (rehearsal/standins.go)", ref)
		}
		return s, own, nil
	}
	s, found := hubStandIns[repo]
	if !found {
		return standIn{}, "", fmt.Errorf("no rehearsal stand-in for %s: add one to hubStandIns (rehearsal/standins.go)", ref)
	}
	return s, repo, nil
}

// hubPath is where a Docker Hub image lives in a registry: official images under library/.
func hubPath(ref string) string {
	if !strings.Contains(ref, "/") {
		return "library/" + ref
	}
	return ref
}

// standInRoot lays out the root shared by every stand-in image in dir: busybox and its applets, testservice
// and the names it answers to, and nats-server.
func standInRoot(dir, busybox, testservice, natsServer string) error {
	copies := map[string]string{"bin/busybox": busybox, "usr/local/bin/testservice": testservice, "usr/local/bin/nats-server": natsServer}
	links := map[string]string{}
	for _, applet := range []string{"bin/sh", "bin/cat", "bin/ls", "usr/bin/env", "usr/bin/wget"} {
		links[applet] = "/bin/busybox"
	}
	// Every name a bundle's entrypoint or healthcheck calls; each image's TESTSERVICE_HEALTH_COMMANDS says
	// which of them are its healthcheck, and the others run its mode.
	for _, name := range []string{"api", "auth", "orchestrator", "agent-gateway", "payment", "pg_isready", "redis-cli", "tctl"} {
		links["usr/local/bin/"+name] = "/usr/local/bin/testservice"
	}
	links["etc/temporal/entrypoint.sh"] = "/usr/local/bin/testservice"
	for rel, src := range copies {
		if err := os.MkdirAll(filepath.Join(dir, path.Dir(rel)), 0o755); err != nil {
			return err
		}
		if err := copyFile(src, filepath.Join(dir, rel), nil); err != nil {
			return err
		}
	}
	for rel, target := range links {
		if err := os.MkdirAll(filepath.Join(dir, path.Dir(rel)), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(target, filepath.Join(dir, rel)); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(dir, "tmp"), 0o1777)
}

// envLine is one ENV of the Dockerfile.
type envLine struct{ Name, Value string }

// standInDockerfile renders tools/rehearsal/images/standin/Dockerfile.tmpl for one image. Values are
// quoted for the Dockerfile, with $ escaped: ${VAR} is for testservice to expand when it runs.
func standInDockerfile(tmpl, ref string, s standIn) (string, error) {
	t, err := template.New("Dockerfile").Parse(tmpl)
	if err != nil {
		return "", err
	}
	data := struct {
		Ref        string
		Env        []envLine
		Entrypoint []string
	}{Ref: ref, Entrypoint: s.Entrypoint}
	if len(data.Entrypoint) == 0 {
		data.Entrypoint = []string{"/usr/local/bin/testservice"}
	}
	for name, v := range s.Env {
		if v == "" {
			continue
		}
		q := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`).Replace(v)
		data.Env = append(data.Env, envLine{name, `"` + q + `"`})
	}
	sort.Slice(data.Env, func(i, j int) bool { return data.Env[i].Name < data.Env[j].Name })
	var b strings.Builder
	err = t.Execute(&b, data)
	return b.String(), err
}

// standInImages builds the stand-in of every ref (one shared root, then one small image each) and
// returns the local image of each ref. With failingMigration, cmd/migrate's stand-in is the failing one.
func standInImages(ctx context.Context, o Options, refs []string, imageRegistry string, failingMigration bool) (map[string]string, error) {
	// The root is laid out once per run, in a directory of its own that only a complete root is renamed to.
	root := filepath.Join(o.WorkDir, "standin-context")
	if _, err := os.Stat(root); err != nil {
		testservice, err := goBinary(ctx, o.RepoRoot, "github.com/hoodcloud/infra/tools/testservice", o.WorkDir)
		if err != nil {
			return nil, err
		}
		nats, err := natsServerBinary(ctx, o)
		if err != nil {
			return nil, err
		}
		partial, err := os.MkdirTemp(o.WorkDir, "standin-context-")
		if err != nil {
			return nil, err
		}
		if err := standInRoot(filepath.Join(partial, "rootfs"), "/bin/busybox", testservice, nats); err != nil {
			os.RemoveAll(partial)
			return nil, fmt.Errorf("stand-in root: %w", err)
		}
		if err := os.Chmod(partial, 0o755); err != nil {
			return nil, err
		}
		if err := os.Rename(partial, root); err != nil {
			return nil, err
		}
	}
	tmpl, err := os.ReadFile(filepath.Join(o.RepoRoot, "tools/rehearsal/images/standin/Dockerfile.tmpl"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, ref := range refs {
		s, name, err := lookupStandIn(ref, imageRegistry)
		if err != nil {
			return nil, err
		}
		if failingMigration && name == migrateImage {
			s = brokenMigrate()
		}
		dockerfile, err := standInDockerfile(string(tmpl), ref, s)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(root, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
			return nil, err
		}
		if out[ref], err = buildContext(ctx, "hoodcloud-rehearsal/standin", root); err != nil {
			return nil, fmt.Errorf("stand-in of %s: %w", ref, err)
		}
	}
	return out, nil
}

// NATSServerVersion is the nats-server the rehearsal runs: the version of the bundle's nats image.
const NATSServerVersion = "v2.10.22"

// natsServerBinary builds the real nats-server, static, once per machine.
func natsServerBinary(ctx context.Context, o Options) (string, error) {
	return cachedTool(ctx, o, "github.com/nats-io/nats-server/v2", NATSServerVersion, "nats-server")
}
