package rehearsal

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"golang.org/x/crypto/ssh"

	"github.com/hoodcloud/infra/internal/engine"
	"github.com/hoodcloud/infra/internal/render"
	"github.com/hoodcloud/infra/internal/testkit"
	"github.com/hoodcloud/infra/stacks"
)

var (
	rehearse = flag.Bool("rehearse", false, "run the rehearsal (servers as containers, real SSH; minutes)")
	stack    = flag.String("stack", "staging", "the stack to rehearse: staging (one server) or prod (two)")
)

var repoRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	abs, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	repoRoot = abs
	os.Exit(m.Run())
}

// passphrase unlocks the rehearsal stack's secrets, which live only in a temporary state directory.
const passphrase = "hoodcloud-rehearsal-passphrase"

// run is one rehearsal of a stack: its machinery, the project directory, the stack and the operator key
// the test logs in with (installed as the stack's only sshPublicKeys entry).
type run struct {
	r        *Rehearsal
	dir      string
	stack    auto.Stack
	operator ssh.Signer
	backend  string
	// acme is the stand-in of the ACME CA and Cloudflare (PhasePlatform).
	acme *ACME
}

// start prepares a rehearsal of the program's phase for the -stack flag's stack, or skips when -rehearse
// is not set.
func start(t *testing.T, phase stacks.Phase) *run {
	t.Helper()
	if !*rehearse {
		t.Skip("the rehearsal is opt-in: make rehearse (go test ./rehearsal -rehearse)")
	}
	ctx := context.Background()
	// Server containers run systemd: the wrong flags let it remount the host's cgroup tree, which breaks
	// the host's Docker for every container (../shared/reference/containers-as-servers.md). The host's
	// cgroup mounts must be exactly what they were when the rehearsal is over.
	cgroupsBefore := hostCgroupMounts(t)
	t.Cleanup(func() {
		if after := hostCgroupMounts(t); after != cgroupsBefore {
			t.Errorf("the rehearsal changed the host's cgroup mounts:\nbefore:\n%s\nafter:\n%s", cgroupsBefore, after)
		}
	})
	// The Compose v2 plugin the host image ships: the one this machine's docker CLI uses (make rehearse
	// passes its path), else where `make compose-plugin` installs it.
	plugin := os.Getenv("HOODCLOUD_COMPOSE_PLUGIN")
	if plugin == "" {
		plugin = filepath.Join(os.Getenv("HOME"), ".docker/cli-plugins/docker-compose")
	}
	r, err := Start(ctx, Options{RepoRoot: repoRoot, WorkDir: t.TempDir(), ComposePlugin: plugin, Log: os.Stderr,
		CacheDir: filepath.Join(os.Getenv("HOME"), ".cache/hoodcloud-rehearsal"), Services: phase != stacks.PhaseHosts})
	if r != nil {
		t.Cleanup(func() {
			if err := r.Close(context.Background()); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := testkit.ProjectDir(t, repoRoot, *stack)
	t.Chdir(dir)
	backend := "file://" + t.TempDir()
	st, err := engine.Open(ctx, engine.Options{
		Toolchain: r.Toolchain, Plugins: engine.Rehearsal, ProjectDir: dir, Stack: *stack,
		BackendURL: backend, Passphrase: passphrase, Env: r.Env(),
	}, stacks.PhaseProgram(phase))
	if err != nil {
		t.Fatal(err)
	}
	ru := &run{r: r, dir: dir, stack: st, backend: backend}
	secrets, err := testkit.LoadSecretFixtures(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range secrets {
		ru.set(t, k, v, true)
	}
	var pub string
	ru.operator, pub = newOperatorKey(t, "rehearsal-operator")
	ru.setJSON(t, "sshPublicKeys", []string{pub})
	ru.setJSON(t, "adminCidrs", []string{r.Subnet})
	if phase == stacks.PhasePlatform {
		ru.preparePlatform(t, secrets[stacks.Namespace+":cloudflareApiToken"])
	}
	return ru
}

// FirstRelease is the appVersion the platform rehearsal deploys first.
const FirstRelease = "v1.42.0"

// preparePlatform starts the ACME and Cloudflare stand-ins for the stack's domain and points the stack at
// them and at the rehearsal's registries (the private one behind the program's registry login), and
// serves the first release's images.
func (ru *run) preparePlatform(t *testing.T, cloudflareToken string) {
	t.Helper()
	ctx := context.Background()
	domain := ru.config(t, "domain")
	var err error
	if ru.acme, err = ru.r.StartACME(ctx, domain, cloudflareToken); err != nil {
		t.Fatal(err)
	}
	ru.set(t, "acmeServer", ru.acme.Directory, false)
	ru.set(t, "acmeStaging", "false", false)
	regs := ru.r.Registries
	ru.set(t, "imageRegistry", ru.r.ImageRegistry(), false)
	ru.set(t, "registryServer", regs.Private.Addr, false)
	ru.set(t, "registryUsername", regs.User, false)
	ru.set(t, "registryPassword", regs.Password, true)
	ru.release(t, FirstRelease, false)
}

// waitUntil calls done every interval until it reports true (then true) or within has passed (false).
func waitUntil(within, interval time.Duration, done func() bool) bool {
	deadline := time.Now().Add(within)
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
	return true
}

// firstUp runs the phase's first up, which must create each of steps.
func (ru *run) firstUp(t *testing.T, phase string, steps ...string) {
	t.Helper()
	ops := ru.up(t, phase)
	for _, step := range steps {
		if ops[step] != "create" {
			t.Errorf("%s: %s %q, want create", phase, step, ops[step])
		}
	}
}

// release serves a release's images (with failingMigration, its cmd/migrate fails) and sets the stack's
// appVersion to it.
func (ru *run) release(t *testing.T, version string, failingMigration bool) {
	t.Helper()
	if err := ru.r.PushRelease(context.Background(), filepath.Join(ru.dir, ru.config(t, "bundleDir")), version, failingMigration); err != nil {
		t.Fatal(err)
	}
	ru.set(t, "appVersion", version, false)
}

// config reads one of the stack's plain config values.
func (ru *run) config(t *testing.T, key string) string {
	t.Helper()
	v, err := ru.stack.GetConfig(context.Background(), stacks.Namespace+":"+key)
	if err != nil {
		t.Fatalf("config %s: %v", key, err)
	}
	return v.Value
}

func (ru *run) set(t *testing.T, key, value string, secret bool) {
	t.Helper()
	if !strings.Contains(key, ":") {
		key = stacks.Namespace + ":" + key
	}
	if err := ru.stack.SetConfig(context.Background(), key, auto.ConfigValue{Value: value, Secret: secret}); err != nil {
		t.Fatal(err)
	}
}

// setJSON sets a structured (list) value the way `pulumi config set --path` would store it.
func (ru *run) setJSON(t *testing.T, key string, values []string) {
	t.Helper()
	_ = ru.stack.RemoveConfig(context.Background(), stacks.Namespace+":"+key)
	for i, v := range values {
		if err := ru.stack.SetConfigWithOptions(context.Background(), fmt.Sprintf("%s:%s[%d]", stacks.Namespace, key, i),
			auto.ConfigValue{Value: v}, &auto.ConfigOptions{Path: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// up runs `pulumi up` as the named phase and returns what it did per resource; a failed up fails the test.
func (ru *run) up(t *testing.T, phase string, opts ...optup.Option) map[string]string {
	t.Helper()
	ru.r.Phase(phase)
	ops, err := ru.upOps(opts...)
	if err != nil {
		t.Fatalf("%s: %v", phase, err)
	}
	return ops
}

// tryUp runs `pulumi up` and returns its error (with the engine's error diagnostics).
func (ru *run) tryUp(t *testing.T, opts ...optup.Option) error {
	t.Helper()
	_, err := ru.upOps(opts...)
	return err
}

// upOps runs `pulumi up` and returns what it did per resource, or its error with the engine's error
// diagnostics.
func (ru *run) upOps(opts ...optup.Option) (map[string]string, error) {
	ch, e := engine.Watch()
	_, err := ru.stack.Up(context.Background(), append(opts, optup.EventStreams(ch))...)
	e.Wait()
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, strings.Join(e.Errors(), "\n"))
	}
	return e.Ops(true), nil
}

// previewWarnings runs `pulumi preview` and returns its warnings.
func (ru *run) previewWarnings(t *testing.T) ([]string, error) {
	t.Helper()
	ch, e := engine.Watch()
	_, err := ru.stack.Preview(context.Background(), optpreview.EventStreams(ch))
	e.Wait()
	if err != nil {
		return e.Warnings(), fmt.Errorf("%w\n%s", err, strings.Join(e.Errors(), "\n"))
	}
	return e.Warnings(), nil
}

func (ru *run) tryDestroy(t *testing.T) error {
	t.Helper()
	ru.r.Phase("destroy")
	_, err := ru.stack.Destroy(context.Background())
	return err
}

// output reads one string stack output.
func (ru *run) output(t *testing.T, key string) string {
	t.Helper()
	v, ok := ru.outputAny(t, key).(string)
	if !ok {
		t.Fatalf("output %s: %v", key, ru.outputAny(t, key))
	}
	return v
}

// host is an SSH session factory for one rehearsal server, as the operator, pinning its host key.
type host struct {
	addr   string
	config *ssh.ClientConfig
}

func (ru *run) host(t *testing.T, name string) host {
	t.Helper()
	hostKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(ru.output(t, name+"-host-public-key")))
	if err != nil {
		t.Fatal(err)
	}
	return host{addr: ru.output(t, name+"-ipv4") + ":22", config: &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(ru.operator)},
		HostKeyCallback: ssh.FixedHostKey(hostKey), Timeout: 10 * time.Second,
	}}
}

// run runs a program with its arguments on the host (each quoted for the remote shell sshd starts, so
// nothing in them is shell syntax) and returns its combined output.
func (h host) run(t *testing.T, argv ...string) string {
	t.Helper()
	c, err := ssh.Dial("tcp", h.addr, h.config)
	if err != nil {
		t.Fatalf("ssh %s: %v", h.addr, err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = render.ShellQuote(a)
	}
	cmd := strings.Join(quoted, " ")
	out, err := s.CombinedOutput(cmd)
	if err != nil {
		t.Fatalf("%s on %s: %v\n%s", cmd, h.addr, err, out)
	}
	return string(out)
}

// commandStdout reads a remote step's stdout from the stack's state.
func (ru *run) commandStdout(t *testing.T, name string) string {
	t.Helper()
	_, outputs := ru.stateResource(t, "command:remote:Command", name)
	return plainString(outputs["stdout"])
}

// hostNames are the stack's servers, from the outputs of stacks.PhaseProgram.
func (ru *run) hostNames(t *testing.T) []string {
	t.Helper()
	outs, err := ru.stack.Outputs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range outs {
		if name, ok := strings.CutSuffix(k, "-ipv4"); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// hostCgroupMounts lists this machine's cgroup mounts and the kernel's cgroup hierarchies (a hierarchy a
// server's systemd created would show in /proc/cgroups even where no mount of it is visible here), and
// proves the host's Docker still reads its containers' cgroups.
func hostCgroupMounts(t *testing.T) string {
	t.Helper()
	if out, err := command(context.Background(), "", "docker", "stats", "--no-stream", "--format", "{{.Name}}"); err != nil {
		t.Errorf("the host's docker stats fails: %v\n%s", err, out)
	}
	hier, err := os.ReadFile("/proc/cgroups")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(hier), "\n") {
		// subsys_name hierarchy num_cgroups enabled: the cgroup count changes with every container.
		if f := strings.Fields(l); len(f) == 4 {
			lines = append(lines, "hierarchy "+f[0]+" "+f[1]+" "+f[3])
		}
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 3 && strings.HasPrefix(f[1], "/sys/fs/cgroup") {
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// outputAny reads one stack output as the engine decoded it.
func (ru *run) outputAny(t *testing.T, key string) any {
	t.Helper()
	outs, err := ru.stack.Outputs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return outs[key].Value
}

// hostOf is the server that runs role (a Vault consumer, or vault), from the roleHosts output.
func (ru *run) hostOf(t *testing.T, role string) string {
	t.Helper()
	m, _ := ru.outputAny(t, "roleHosts").(map[string]any)
	name, ok := m[role].(string)
	if !ok {
		t.Fatalf("roleHosts has no %s: %v", role, m)
	}
	return name
}

// urn is the URN of the one resource of typ named name in the state.
func (ru *run) urn(t *testing.T, typ, name string) string {
	t.Helper()
	urn, _ := ru.stateResource(t, typ, name)
	return urn
}

// stateResource finds the resource of typ named name in the state as `pulumi stack export --show-secrets`
// gives it, and returns its URN and outputs.
func (ru *run) stateResource(t *testing.T, typ, name string) (string, map[string]any) {
	t.Helper()
	cmd := exec.Command(filepath.Join(ru.r.Toolchain.Dir, "bin", "pulumi"), "stack", "export", "--show-secrets", "--stack", ru.stack.Name())
	cmd.Dir = ru.dir
	cmd.Env = append(os.Environ(), "PULUMI_BACKEND_URL="+ru.backend, "PULUMI_CONFIG_PASSPHRASE="+passphrase,
		"PULUMI_HOME="+ru.r.Toolchain.Home(engine.Rehearsal), "PULUMI_SKIP_UPDATE_CHECK=true")
	export, err := cmd.Output()
	if err != nil {
		t.Fatalf("pulumi stack export: %v", err)
	}
	var state struct {
		Deployment struct {
			Resources []struct {
				URN     string         `json:"urn"`
				Outputs map[string]any `json:"outputs"`
			} `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(export, &state); err != nil {
		t.Fatal(err)
	}
	for _, r := range state.Deployment.Resources {
		if strings.HasSuffix(r.URN, typ+"::"+name) {
			return r.URN, r.Outputs
		}
	}
	t.Fatalf("no %s named %s in the state", typ, name)
	return "", nil
}

// plainString is an exported output's string value; a secret exports as an object whose plaintext is
// the JSON of its value.
func plainString(v any) string {
	if obj, ok := v.(map[string]any); ok {
		var s string
		if plain, ok := obj["plaintext"].(string); ok && json.Unmarshal([]byte(plain), &s) == nil {
			return s
		}
		return ""
	}
	s, _ := v.(string)
	return s
}

// newOperatorKey makes an operator's SSH key: its signer and its authorized_keys line.
func newOperatorKey(t *testing.T, comment string) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + comment
}

// refuses reports whether the host refuses the signer's key.
func (h host) refuses(signer ssh.Signer) bool {
	c := *h.config
	c.Auth = []ssh.AuthMethod{ssh.PublicKeys(signer)}
	client, err := ssh.Dial("tcp", h.addr, &c)
	if err == nil {
		client.Close()
		return false
	}
	return strings.Contains(err.Error(), "unable to authenticate")
}

// deployKey reads a deploy-key generation's private key (hetzner-deploy-key-g<gen>) from the state.
func (ru *run) deployKey(t *testing.T, gen int) ssh.Signer {
	t.Helper()
	_, outputs := ru.stateResource(t, "tls:index/privateKey:PrivateKey", fmt.Sprintf("hetzner-deploy-key-g%d", gen))
	pem := plainString(outputs["privateKeyOpenssh"])
	if pem == "" {
		t.Fatalf("deploy key g%d: no privateKeyOpenssh in the export", gen)
	}
	signer, err := ssh.ParsePrivateKey([]byte(pem))
	if err != nil {
		t.Fatal(err)
	}
	return signer
}
