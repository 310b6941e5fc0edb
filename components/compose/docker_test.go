package compose

import (
	"bytes"
	"fmt"
	"github.com/google/go-cmp/cmp"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hoodcloud/infra/internal/platform"
	"github.com/hoodcloud/infra/internal/testkit"
)

// These tests run the real upload and deploy scripts with bash against the local Docker daemon and
// Compose v2: exactly what runs over SSH on a host, with a temporary project directory. Images are
// FROM scratch with tools/testservice, so no registry is involved.

// requireOrSkip fails in CI (where `make test` installs everything) and skips elsewhere.
func requireOrSkip(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// dockerEnv is the environment of every docker command: the caller's, plus a DOCKER_CONFIG whose
// cli-plugins holds the Compose plugin when `docker compose` does not work as installed.
var (
	dockerOnce   sync.Once
	dockerEnvVal []string
	dockerErr    string
	// dockerConfig is the temporary DOCKER_CONFIG of the fallback, removed by TestMain.
	dockerConfig string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if dockerConfig != "" {
		os.RemoveAll(dockerConfig)
	}
	os.Exit(code)
}

func dockerEnv(t *testing.T) []string {
	t.Helper()
	testkit.RequireTool(t, "docker")
	dockerOnce.Do(func() {
		env := os.Environ()
		if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
			dockerErr = fmt.Sprintf("docker daemon not reachable: %v\n%s", err, out)
			return
		}
		if exec.Command("docker", "compose", "version").Run() != nil {
			plugin := os.Getenv("HOODCLOUD_COMPOSE_PLUGIN")
			if plugin == "" {
				plugin = "/tmp/docker-compose"
			}
			if _, err := os.Stat(plugin); err != nil {
				dockerErr = "the Compose v2 plugin is not installed (`make deps` installs it) and " + plugin + " does not exist"
				return
			}
			cfg, err := os.MkdirTemp("", "hoodcloud-docker-config-")
			if err == nil {
				err = os.MkdirAll(filepath.Join(cfg, "cli-plugins"), 0o755)
			}
			if err == nil {
				err = os.Symlink(plugin, filepath.Join(cfg, "cli-plugins", "docker-compose"))
			}
			if err != nil {
				dockerErr = err.Error()
				return
			}
			dockerConfig = cfg
			env = append(env, "DOCKER_CONFIG="+cfg)
			cmd := exec.Command("docker", "compose", "version")
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				dockerErr = fmt.Sprintf("docker compose version with %s: %v\n%s", plugin, err, out)
				return
			}
		}
		dockerErr = buildImages(env)
		dockerEnvVal = env
	})
	if dockerErr != "" {
		requireOrSkip(t, "%s", dockerErr)
	}
	return dockerEnvVal
}

// buildImages builds tools/testservice statically and the images hoodcloud-test/svc:v1 and :v2 from it
// (distinct images: their labels differ). It returns a problem, or "".
func buildImages(env []string) string {
	ctxDir, err := os.MkdirTemp("", "hoodcloud-testservice-")
	if err != nil {
		return err.Error()
	}
	defer os.RemoveAll(ctxDir)
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(ctxDir, "testservice"),
		"github.com/hoodcloud/infra/tools/testservice")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Sprintf("building testservice: %v\n%s", err, out)
	}
	dockerfile, err := os.ReadFile("testdata/Dockerfile.testservice")
	if err != nil {
		return err.Error()
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), dockerfile, 0o644); err != nil {
		return err.Error()
	}
	for _, v := range []string{"v1", "v2"} {
		cmd := exec.Command("docker", "build", "--quiet", "--build-arg", "VERSION="+v, "--tag", "hoodcloud-test/svc:"+v, ctxDir)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Sprintf("docker build %s: %v\n%s", v, err, out)
		}
	}
	return ""
}

// deployHost is one compose project deployed from the test bundle into a temporary directory.
type deployHost struct {
	t        *testing.T
	env      []string
	project  string
	dir      string // the "remote" project directory
	ports    map[string]int
	attempts int
}

func newDeployHost(t *testing.T, short string, attempts int) *deployHost {
	t.Helper()
	h := &deployHost{t: t, env: dockerEnv(t), project: fmt.Sprintf("hct%d-%s", os.Getpid(), short),
		dir: filepath.Join(t.TempDir(), "stacks", short), attempts: attempts,
		ports: map[string]int{"DB_PORT": freePort(t), "API_PORT": freePort(t), "AUTH_PORT": freePort(t)}}
	t.Cleanup(func() {
		if _, err := os.Stat(filepath.Join(h.dir, EnvFileName)); err != nil {
			return
		}
		if out, err := h.compose("down", "--volumes", "--remove-orphans", "--timeout", "2"); err != nil {
			t.Logf("cleanup of %s: %v\n%s", h.project, err, out)
		}
	})
	return h
}

func (h *deployHost) layout() Layout {
	p := h.ports
	return Layout{
		Role: platform.ControlPlane, ComposeFiles: []string{"docker-compose.yml"},
		DataServices: []string{"db"}, MigrateService: "migrate", AppServices: []string{"api", "auth"},
		Health: []HealthCheck{
			Container("db"),
			TCP("db", "127.0.0.1:"+strconv.Itoa(p["DB_PORT"])),
			Container("api"),
			HTTP("api", fmt.Sprintf("http://127.0.0.1:%d/health", p["API_PORT"])),
			Container("auth"),
			HTTP("auth", fmt.Sprintf("http://127.0.0.1:%d/health", p["AUTH_PORT"])),
		},
	}
}

// settings are the test bundle's knobs, rendered into its .env.
type settings struct {
	APITag, MigrateTag, MigrateMessage string
	APIConf                            string // content of config/api.conf, which api mounts
	DropAuth                           bool   // the bundle no longer has the auth service
	DBDelay                            string
	MigrateFail, AuthUnhealthy         bool
}

func v1() settings {
	return settings{APITag: "v1", MigrateTag: "v1", MigrateMessage: "applied 3 migrations", DBDelay: "0s", APIConf: "level = 1\n"}
}

// deploy runs what the component runs on a host: check the bundle, upload it (upload script, stdin
// stream) and run the deploy script. It returns the deploy's stdout, stderr and error.
func (h *deployHost) deploy(s settings) (stdout, stderr string, err error) {
	h.t.Helper()
	compose := readFile(h.t, "testdata/deploybundle/docker-compose.yml")
	layout := h.layout()
	if s.DropAuth {
		compose = compose[:strings.Index(compose, "\n  auth:\n")+1] // auth is the file's last service
		layout.AppServices = []string{"api"}
		layout.Health = layout.Health[:4]
	}
	bundleDir := writeBundle(h.t, map[string]string{
		"docker-compose.yml": compose,
		"config/api.conf":    s.APIConf,
	})
	vars := map[string]string{
		"API_TAG": s.APITag, "MIGRATE_TAG": s.MigrateTag, "MIGRATE_MESSAGE": s.MigrateMessage, "DB_DELAY": s.DBDelay,
		"MIGRATE_FAIL": strconv.FormatBool(s.MigrateFail), "AUTH_UNHEALTHY": strconv.FormatBool(s.AuthUnhealthy),
	}
	for k, v := range h.ports {
		vars[k] = strconv.Itoa(v)
	}
	if s.DropAuth {
		delete(vars, "AUTH_PORT")
		delete(vars, "AUTH_UNHEALTHY")
	}
	project, err := inspectBundle(bundleDir, h.project, layout, vars)
	if err != nil {
		h.t.Fatalf("the test bundle fails the bundle check: %v", err)
	}
	envText, err := RenderEnv(vars)
	if err != nil {
		h.t.Fatal(err)
	}
	bundle := mustBundle(h.t, bundleDir)
	override, err := RenderOverride(planMounts(project, bundleDir, bundle), bundle, "")
	if err != nil {
		h.t.Fatal(err)
	}
	stream, err := bundle.UploadStream(envText, override)
	if err != nil {
		h.t.Fatal(err)
	}
	dir := DirParams{Project: h.project, Dir: h.dir}
	upload, err := RenderUpload(dir)
	if err != nil {
		h.t.Fatal(err)
	}
	if out, _, err := h.bash(upload, stream); err != nil {
		h.t.Fatalf("upload: %v\n%s", err, out)
	}
	script, err := RenderDeploy(h.deployParams(layout))
	if err != nil {
		h.t.Fatal(err)
	}
	return h.bash(script, "")
}

func (h *deployHost) deployParams(layout Layout) DeployParams {
	return DeployParams{DirParams: DirParams{Project: h.project, Dir: h.dir}, Layout: layout, WaitAttempts: h.attempts,
		WaitInterval: 1, ReceiptDir: filepath.Join(filepath.Dir(h.dir), "receipts")}
}

func (h *deployHost) bash(script, stdin string) (string, string, error) {
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = h.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func (h *deployHost) compose(args ...string) (string, error) {
	base := []string{"compose", "--project-name", h.project, "--project-directory", h.dir,
		"--env-file", filepath.Join(h.dir, EnvFileName), "--file", filepath.Join(h.dir, "docker-compose.yml"),
		"--file", filepath.Join(h.dir, OverrideFileName)}
	cmd := exec.Command("docker", append(base, args...)...)
	cmd.Env = h.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// container is what the tests compare across deploys.
type container struct {
	ID, Image, Status, Health string
	Created, Healthy          time.Time
}

func (h *deployHost) container(service string) container {
	h.t.Helper()
	out, err := h.compose("ps", "--all", "--quiet", service)
	ids := strings.Fields(out)
	if err != nil || len(ids) != 1 {
		h.t.Fatalf("expected one container of %s, found %q (%v)", service, out, err)
	}
	cmd := exec.Command("docker", "inspect", "--format",
		`{{.Id}} {{.Image}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.Created}}`, ids[0])
	cmd.Env = h.env
	b, err := cmd.CombinedOutput()
	f := strings.Fields(string(b))
	if err != nil || len(f) != 5 {
		h.t.Fatalf("docker inspect %s: %v\n%s", ids[0], err, b)
	}
	created, err := time.Parse(time.RFC3339Nano, f[4])
	if err != nil {
		h.t.Fatal(err)
	}
	return container{ID: f[0], Image: f[1], Status: f[2], Health: f[3], Created: created, Healthy: h.firstHealthy(ids[0])}
}

// firstHealthy is when the container's healthcheck first passed (zero if never or no healthcheck). It
// reads the daemon's health_status events, not State.Health.Log: the log keeps only the last five probes,
// so on a slow machine the first healthy probe may already be gone from it.
func (h *deployHost) firstHealthy(id string) time.Time {
	// --until a second ahead: the daemon streams the events up to then, including those it is still
	// publishing when a loaded machine asks.
	until := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	cmd := exec.Command("docker", "events", "--since", "1h", "--until", until,
		"--filter", "container="+id, "--filter", "event=health_status: healthy", "--format", "{{.TimeNano}}")
	cmd.Env = h.env
	b, _ := cmd.CombinedOutput()
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return time.Time{}
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// containersOf lists the project's containers of a service, running or not, by compose's labels (so it
// also finds containers of services the compose files no longer have).
func (h *deployHost) containersOf(service string) []string {
	h.t.Helper()
	cmd := exec.Command("docker", "ps", "--all", "--quiet", "--filter", "label=com.docker.compose.project="+h.project,
		"--filter", "label=com.docker.compose.service="+service)
	cmd.Env = h.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("docker ps: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

func imageID(t *testing.T, env []string, ref string) string {
	cmd := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", ref)
	cmd.Env = env
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker image inspect %s: %v\n%s", ref, err, b)
	}
	return strings.TrimSpace(string(b))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// inOrder reports whether the markers appear in s in the given order.
func inOrder(s string, markers ...string) bool {
	at := 0
	for _, m := range markers {
		i := strings.Index(s[at:], m)
		if i < 0 {
			return false
		}
		at += i + len(m)
	}
	return true
}

// TestDeployFirstRunInOrder: a first deploy brings the data service up and waits for it (it is a slow
// starter: the migration would fail on a refused connection otherwise), runs the migration, and only
// then creates the application containers; everything ends healthy and no migration container is left.
func TestDeployFirstRunInOrder(t *testing.T) {
	t.Parallel()
	h := newDeployHost(t, "order", 30)
	s := v1()
	s.DBDelay = "3s"
	out, errOut, err := h.deploy(s)
	if err != nil {
		t.Fatalf("first deploy failed: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	if !inOrder(out, "deploy: data services healthy", "migrate: data service db:5432 reachable", "migrate: applied 3 migrations",
		"deploy: migration succeeded", "deploy: starting application services", "healthy") {
		t.Errorf("phases out of order:\n%s", out)
	}
	db, api, auth := h.container("db"), h.container("api"), h.container("auth")
	if db.Healthy.IsZero() {
		t.Fatal("db never became healthy")
	}
	for _, app := range []container{api, auth} {
		if !app.Created.After(db.Healthy) {
			t.Errorf("application container %s created at %s, before the data service was healthy at %s", app.ID[:12], app.Created, db.Healthy)
		}
		if app.Status != "running" || app.Health != "healthy" {
			t.Errorf("application container %s is %s/%s", app.ID[:12], app.Status, app.Health)
		}
	}
	if ids := h.containersOf("migrate"); len(ids) != 0 {
		t.Errorf("the migration container was not removed: %v", ids)
	}
	// The receipt reports what runs, as Compose sees it.
	receipt, found, err := ParseReceipt(out)
	if err != nil || !found {
		t.Fatalf("receipt: found %v, %v\n%s", found, err, out)
	}
	for _, c := range []container{db, api, auth} {
		svc := map[string]string{db.ID: "db", api.ID: "api", auth.ID: "auth"}[c.ID]
		inspect := exec.Command("docker", "inspect", "--format", "{{.Config.Image}}", c.ID)
		inspect.Env = h.env
		ref, err := inspect.Output()
		if err != nil {
			t.Fatal(err)
		}
		if receipt.Images[svc] != strings.TrimSpace(string(ref)) || receipt.Health[svc] != "healthy" {
			t.Errorf("receipt for %s: image %q health %q, the container runs %s", svc, receipt.Images[svc], receipt.Health[svc], ref)
		}
	}
	if receipt.Migrate != "exit 0" || receipt.DeployedAt == "" {
		t.Errorf("receipt %+v", receipt)
	}
	// When only the connection changes (a rotated deploy key), the step's update prints the same receipt
	// again and touches nothing.
	unchanged, err := RenderDeployUnchanged(h.deployParams(h.layout()))
	if err != nil {
		t.Fatal(err)
	}
	again, errOut, err := h.bash(unchanged, "")
	if err != nil {
		t.Fatalf("deploy-unchanged: %v\n%s", err, errOut)
	}
	if r, found, err := ParseReceipt(again); err != nil || !found || !cmp.Equal(r, receipt) {
		t.Errorf("deploy-unchanged printed another receipt (found %v, %v):\n%s", found, err, again)
	}
	if h.container("api").ID != api.ID {
		t.Error("deploy-unchanged recreated the api container")
	}
	// A second run with nothing changed converges without recreating anything.
	if out, errOut, err := h.deploy(s); err != nil {
		t.Fatalf("second deploy failed: %v\n%s\n%s", err, out, errOut)
	}
	if again := h.container("api"); again.ID != api.ID {
		t.Error("an unchanged deploy recreated the api container")
	}
}

// TestDeployMigrationFailureLeavesAppsUntouched: an update (new api image) whose migration fails stops
// before the applications: the api container is the same container on the old image, the step fails
// with the migration's output; after a fix the same update converges onto the new image.
func TestDeployMigrationFailureLeavesAppsUntouched(t *testing.T) {
	t.Parallel()
	h := newDeployHost(t, "migfail", 30)
	if out, errOut, err := h.deploy(v1()); err != nil {
		t.Fatalf("first deploy failed: %v\n%s\n%s", err, out, errOut)
	}
	before, authBefore := h.container("api"), h.container("auth")
	if before.Image != imageID(t, h.env, "hoodcloud-test/svc:v1") {
		t.Fatalf("api runs %s, not the v1 image", before.Image)
	}

	update := settings{APITag: "v2", MigrateTag: "v2", MigrateFail: true, DBDelay: "0s", APIConf: "level = 1\n",
		MigrateMessage: "migration 0042_payments failed: relation \"payments\" already exists"}
	out, errOut, err := h.deploy(update)
	if err == nil {
		t.Fatalf("a deploy whose migration fails must fail; stdout:\n%s", out)
	}
	for _, want := range []string{"migration migrate failed (exit 1)", "application services were NOT started or recreated",
		`migrate: migration 0042_payments failed: relation "payments" already exists`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(out, "starting application services") {
		t.Errorf("the deploy went on to the applications:\n%s", out)
	}
	after, authAfter := h.container("api"), h.container("auth")
	if after.ID != before.ID || after.Image != before.Image || after.Status != "running" {
		t.Errorf("api changed although the migration failed: before %+v, after %+v", before, after)
	}
	if authAfter.ID != authBefore.ID {
		t.Error("auth was recreated although the migration failed")
	}

	update.MigrateFail = false
	if out, errOut, err := h.deploy(update); err != nil {
		t.Fatalf("the fixed update failed: %v\n%s\n%s", err, out, errOut)
	}
	fixed := h.container("api")
	if fixed.ID == before.ID || fixed.Image != imageID(t, h.env, "hoodcloud-test/svc:v2") || fixed.Health != "healthy" {
		t.Errorf("after the fix api should run the v2 image in a new, healthy container: %+v", fixed)
	}
}

// TestDeployUnhealthyServiceFailsByName: an application that never becomes healthy fails the deploy,
// named (and only it); once fixed, the next deploy converges.
func TestDeployUnhealthyServiceFailsByName(t *testing.T) {
	t.Parallel()
	h := newDeployHost(t, "unhealthy", 6)
	s := v1()
	s.AuthUnhealthy = true
	out, errOut, err := h.deploy(s)
	if err == nil {
		t.Fatalf("a deploy with an unhealthy service must fail; stdout:\n%s", out)
	}
	var line string
	for _, l := range strings.Split(errOut, "\n") {
		if strings.HasPrefix(l, "deploy: unhealthy after 6 attempts: ") {
			line = l
		}
	}
	if line != "deploy: unhealthy after 6 attempts: auth" {
		t.Errorf("expected the failure to name auth alone, got %q\nstderr:\n%s", line, errOut)
	}
	if !strings.Contains(errOut, fmt.Sprintf("failed check: auth: http http://127.0.0.1:%d/health", h.ports["AUTH_PORT"])) {
		t.Errorf("stderr does not say which check failed:\n%s", errOut)
	}
	s.AuthUnhealthy = false
	if out, errOut, err := h.deploy(s); err != nil {
		t.Fatalf("the fixed deploy failed: %v\n%s\n%s", err, out, errOut)
	}
	if auth := h.container("auth"); auth.Health != "healthy" {
		t.Errorf("auth after the fix: %+v", auth)
	}
}

// TestDeployRecreatesServicesWhoseMountedFilesChanged: a bundle file only api mounts changes; the next
// deploy recreates api (to load it) and leaves db and auth alone. Then a service leaves the bundle and
// its container goes.
func TestDeployRecreatesServicesWhoseMountedFilesChanged(t *testing.T) {
	t.Parallel()
	h := newDeployHost(t, "mounts", 30)
	s := v1()
	if out, errOut, err := h.deploy(s); err != nil {
		t.Fatalf("first deploy failed: %v\n%s\n%s", err, out, errOut)
	}
	db, api, auth := h.container("db"), h.container("api"), h.container("auth")
	s.APIConf = "level = 2\n"
	if out, errOut, err := h.deploy(s); err != nil {
		t.Fatalf("second deploy failed: %v\n%s\n%s", err, out, errOut)
	}
	if h.container("api").ID == api.ID {
		t.Error("api mounts the changed file but was not recreated: it would keep serving the old file")
	}
	if h.container("db").ID != db.ID || h.container("auth").ID != auth.ID {
		t.Error("a service that does not mount the changed file was recreated")
	}

	// The bundle drops auth: the next deploy removes its container and touches nothing else.
	s.DropAuth = true
	api = h.container("api")
	if out, errOut, err := h.deploy(s); err != nil {
		t.Fatalf("deploy without auth failed: %v\n%s\n%s", err, out, errOut)
	}
	if ids := h.containersOf("auth"); len(ids) != 0 {
		t.Errorf("the dropped service's container is still there: %v", ids)
	}
	if h.container("api").ID != api.ID || h.container("db").ID != db.ID {
		t.Error("dropping auth recreated another service")
	}
}
