package compose

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/testkit"
)

const (
	commandType      = "command:remote:Command"
	registryPassword = "fixture-registry-password-e8b1c4"
	sshKey           = "fixture-ssh-private-key-2b9d"
	certHash         = "cert-hash-0001"
)

// mockArgs are the control plane stack's Args over the given bundle directory; edit tweaks them.
func mockArgs(t *testing.T, bundleDir string, edit func(*Args)) func() *Args {
	env := fixtureEnv(t)
	return func() *Args {
		vars := make(map[string]string, len(env))
		for k, v := range env {
			vars[k] = v
		}
		a := &Args{
			Layout: ControlPlane(),
			Host: testkit.Target(remote.ConnectionArgs{Host: pulumi.String("203.0.113.10"), User: pulumi.String("root"),
				PrivateKey: pulumi.ToSecret(pulumi.String(sshKey)).(pulumi.StringOutput)}),
			Project:      "hoodcloud",
			BundleDir:    bundleDir,
			Env:          vars,
			RegistryAuth: &RegistryAuth{Server: "registry.hoodcloud.io", Username: "deploy", Password: pulumi.ToSecret(pulumi.String(registryPassword)).(pulumi.StringOutput)},
			ExtraHashes:  []pulumi.StringInput{pulumi.String(certHash)},
			Protect:      true,
		}
		if edit != nil {
			edit(a)
		}
		return a
	}
}

// runStack runs New in a mocked program and returns what was registered.
func runStack(t *testing.T, args func() *Args, check func(ctx *pulumi.Context, s *Stack)) (*testkit.Recorder, error) {
	t.Helper()
	rec := testkit.NewRecorder("hoodcloud", "test")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		s, err := New(ctx, "cp", args())
		if err == nil && check != nil {
			check(ctx, s)
		}
		return err
	}, pulumi.WithMocks("hoodcloud", "test", rec))
	return rec, err
}

func mustRun(t *testing.T, args func() *Args) *testkit.Recorder {
	t.Helper()
	rec, err := runStack(t, args, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func command(t *testing.T, rec *testkit.Recorder, name string) testkit.Registration {
	t.Helper()
	g, ok := rec.Named(commandType, name)
	if !ok {
		t.Fatalf("no %s %s registered", commandType, name)
	}
	return g
}

// copyFixture copies the fixture bundle to a temporary directory the test may edit.
func copyFixture(t *testing.T) string {
	t.Helper()
	files := map[string]string{}
	for _, f := range mustBundle(t, fixtureDir).Files {
		files[f.Name] = string(f.Content)
	}
	return writeBundle(t, files)
}

func TestStackInventoryParentsAndOrder(t *testing.T) {
	rec := mustRun(t, mockArgs(t, fixtureDir, nil))
	comp, ok := rec.Named(TypeToken, "cp")
	if !ok {
		t.Fatal("component not registered")
	}
	var names []string
	for _, g := range rec.Registrations() {
		if g.URN == comp.URN {
			continue
		}
		names = append(names, g.Type+" "+g.Name)
		if g.Parent != comp.URN {
			t.Errorf("%s: parent %q, want the component", g.Name, g.Parent)
		}
	}
	want := []string{commandType + " cp-deploy", commandType + " cp-login", commandType + " cp-project", commandType + " cp-upload"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Fatalf("children:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	deploy, upload, login, project := command(t, rec, "cp-deploy"), command(t, rec, "cp-upload"), command(t, rec, "cp-login"), command(t, rec, "cp-project")
	for _, dep := range []testkit.Registration{upload, login, project} {
		if !rec.DependsOn(deploy, dep.URN) {
			t.Errorf("deploy does not wait for %s", dep.Name)
		}
	}
	if !rec.DependsOn(upload, project.URN) {
		t.Error("upload does not wait for the project anchor")
	}
	if !project.Protect || deploy.Protect || upload.Protect || login.Protect {
		t.Errorf("only the anchor is protected: project %v, deploy %v, upload %v, login %v", project.Protect, deploy.Protect, upload.Protect, login.Protect)
	}
	if !strings.Contains(strings.Join(project.IgnoreChanges, ","), "create") {
		t.Errorf("the anchor must ignore script edits (replacing it would need an unprotect): %v", project.IgnoreChanges)
	}
	for _, g := range []testkit.Registration{deploy, upload, login, project} {
		if _, ok := g.Inputs["delete"]; ok {
			t.Errorf("%s has a delete script: a replaced step would tear the running stack down", g.Name)
		}
	}
	unprotected := mustRun(t, mockArgs(t, fixtureDir, func(a *Args) { a.Protect = false }))
	if command(t, unprotected, "cp-project").Protect {
		t.Error("Protect=false still protects the anchor")
	}
	noLogin := mustRun(t, mockArgs(t, fixtureDir, func(a *Args) { a.RegistryAuth = nil }))
	if _, ok := noLogin.Named(commandType, "cp-login"); ok {
		t.Error("a login step without RegistryAuth")
	}
}

// triggers returns a step's triggers as comparable strings (secret elements as "secret:<value>").
func triggers(t *testing.T, g testkit.Registration) []string {
	t.Helper()
	v, ok := g.Inputs["triggers"]
	if !ok || !v.IsArray() {
		t.Fatalf("%s has no triggers: %v", g.Name, g.Inputs)
	}
	var out []string
	for _, e := range v.ArrayValue() {
		switch {
		case e.IsSecret():
			out = append(out, "secret:"+e.SecretValue().Element.StringValue())
		case e.IsString():
			out = append(out, e.StringValue())
		default:
			out = append(out, e.String())
		}
	}
	return out
}

// TestStackTriggersAreContentHashes: the deploy's triggers are its script's hash and one keyed hash of the
// bundle hash, the .env hash and the extra hashes — nothing else — and change exactly when one of them
// changes.
func TestStackTriggersAreContentHashes(t *testing.T) {
	dir := copyFixture(t)
	base := mustRun(t, mockArgs(t, dir, nil))
	env, err := RenderEnv(fixtureEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	deploy := triggers(t, command(t, base, "cp-deploy"))
	script := command(t, base, "cp-deploy").Inputs["create"].StringValue()
	want := []string{contenthash.Of(script, ""), contenthash.Keyed(testkit.TriggerHashKey, mustStackBundle(t, dir).Hash(), contenthash.Of(env), certHash)}
	if strings.Join(deploy, "|") != strings.Join(want, "|") {
		t.Fatalf("deploy triggers:\n%v\nwant [script hash, keyed(bundle hash, env hash, extra)]:\n%v", deploy, want)
	}

	same := mustRun(t, mockArgs(t, dir, nil))
	for _, step := range []string{"cp-deploy", "cp-upload", "cp-login", "cp-project"} {
		a, b := command(t, base, step), command(t, same, step)
		if !a.Inputs.DeepEquals(b.Inputs) {
			t.Errorf("%s: an unchanged program gives different inputs (a no-op up would run it)", step)
		}
	}

	changes := map[string]struct {
		edit                  func(t *testing.T, dir string) func(*Args)
		deploy, upload, login bool
	}{
		"compose file edited": {func(t *testing.T, dir string) func(*Args) {
			p := filepath.Join(dir, "docker-compose.yml")
			b, _ := os.ReadFile(p)
			if err := os.WriteFile(p, append(b, []byte("# a comment is a change\n")...), 0o644); err != nil {
				t.Fatal(err)
			}
			return nil
		}, true, true, false},
		"config file edited": {func(t *testing.T, dir string) func(*Args) {
			if err := os.WriteFile(filepath.Join(dir, "config/loki/loki.yaml"), []byte("auth_enabled: true\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return nil
		}, true, true, false},
		".env changed": {func(*testing.T, string) func(*Args) {
			return func(a *Args) { a.Env["LOG_LEVEL"] = "debug" }
		}, true, true, false},
		"certificate rotated": {func(*testing.T, string) func(*Args) {
			return func(a *Args) { a.ExtraHashes = []pulumi.StringInput{pulumi.String("cert-hash-0002")} }
		}, true, true, false}, // the upload ships the override, whose secrets label carries the hashes
		"registry password rotated": {func(*testing.T, string) func(*Args) {
			return func(a *Args) {
				a.RegistryAuth.Password = pulumi.ToSecret(pulumi.String("rotated")).(pulumi.StringOutput)
			}
		}, false, false, true},
	}
	for name, c := range changes {
		t.Run(name, func(t *testing.T) {
			d := copyFixture(t)
			before := mustRun(t, mockArgs(t, d, nil))
			edit := c.edit(t, d)
			after := mustRun(t, mockArgs(t, d, edit))
			for step, want := range map[string]bool{"cp-deploy": c.deploy, "cp-upload": c.upload, "cp-login": c.login, "cp-project": false} {
				changed := strings.Join(triggers(t, command(t, before, step)), "|") != strings.Join(triggers(t, command(t, after, step)), "|")
				if changed != want {
					t.Errorf("%s: triggers changed=%v, want %v", step, changed, want)
				}
			}
			if !command(t, before, "cp-deploy").Inputs["create"].DeepEquals(command(t, after, "cp-deploy").Inputs["create"]) {
				t.Error("the deploy script changed: it must not depend on the bundle's content")
			}
		})
	}
}

func TestStackSecretsStaySecret(t *testing.T) {
	rec := mustRun(t, mockArgs(t, fixtureDir, nil))
	if leaks := testkit.PlaintextLeaks(rec.Registrations(), map[string]string{"registry password": registryPassword, "ssh key": sshKey}); len(leaks) > 0 {
		for _, l := range leaks {
			t.Error(l)
		}
	}
	login := command(t, rec, "cp-login")
	if v := login.Inputs["stdin"]; !v.IsSecret() || v.SecretValue().Element.StringValue() != registryPassword {
		t.Errorf("the password must reach the login step as its secret stdin, found %v", v)
	}
	if l := login.Inputs["logging"]; !l.IsString() || l.StringValue() != "none" {
		t.Errorf("the login step must log nothing, found %v", l)
	}
	for _, tr := range triggers(t, login) {
		if strings.Contains(tr, registryPassword) {
			t.Error("the password is in the login triggers")
		}
	}
	// The password-derived trigger is public (pulumi-command refuses a secret unknown at preview in
	// triggers) because it is keyed: without the host's hash key it says nothing about the password.
	loginHash := contenthash.Of("registry.hoodcloud.io", "deploy", registryPassword)
	stdinHash := contenthash.Of("stdin", registryPassword)
	if tr := triggers(t, login); len(tr) != 2 || strings.HasPrefix(tr[1], "secret:") || tr[1] == loginHash ||
		tr[1] != contenthash.Keyed(testkit.TriggerHashKey, loginHash, stdinHash) {
		t.Errorf("the login's password-derived trigger must be the keyed hash: %v", tr)
	}
	// The .env is plain text and must hold no secret: it is rendered only from Env.
	env := command(t, rec, "cp-upload")
	if v := env.Inputs["stdin"]; !v.IsSecret() {
		t.Error("the upload stream must be secret (it is kept in state)")
	}
}

func TestStackEnvInputsAndOutputs(t *testing.T) {
	args := mockArgs(t, fixtureDir, func(a *Args) {
		delete(a.Env, "PAYMENT_GRPC_ADDR")
		a.EnvInputs = map[string]pulumi.StringInput{"PAYMENT_GRPC_ADDR": pulumi.String("203.0.113.20").ToStringOutput().ApplyT(func(ip string) string { return ip + ":50051" }).(pulumi.StringOutput)}
	})
	var env, hash, bundleHash string
	_, err := runStack(t, args, func(ctx *pulumi.Context, s *Stack) {
		v, _, _ := testkit.Await(s.Env)
		env, _ = v.(string)
		v, _, _ = testkit.Await(s.EnvHash)
		hash, _ = v.(string)
		v, _, _ = testkit.Await(s.BundleHash)
		bundleHash, _ = v.(string)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(env, "\nPAYMENT_GRPC_ADDR=203.0.113.20:50051\n") || !strings.Contains(env, "\nDOMAIN=staging.hoodcloud.io\n") {
		t.Errorf(".env lacks the resource-derived or plain variable:\n%s", env)
	}
	if hash != contenthash.Of(env) || bundleHash != mustStackBundle(t, fixtureDir).Hash() {
		t.Errorf("output hashes do not match the content: env %s, bundle %s", hash, bundleHash)
	}
}

func TestStackRefusesBadArgsBeforeRegistering(t *testing.T) {
	badBundle := copyFixture(t)
	p := filepath.Join(badBundle, "docker-compose.yml")
	b, _ := os.ReadFile(p)
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), `"127.0.0.1:8080:8080"`, `"8080:8080"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		edit func(*Args)
		dir  string
		want []string
	}{
		"bundle publishes a loopback port": {nil, badBundle, []string{`service "api" publishes port 8080 on 0.0.0.0`, "must bind 127.0.0.1"}},
		"everything wrong at once": {func(a *Args) {
			a.Host.Connection = nil
			a.Project = "Hood Cloud"
			a.Role = "mainframe"
			a.AppServices = nil
			a.RemoteDir = "/opt/../etc"
			a.Env["STRIPE_SECRET_KEY"] = "sk_live"
			a.RegistryAuth = &RegistryAuth{Server: "https://registry", Username: "de ploy"}
		}, fixtureDir, []string{"expected a connection to the host", "compose project name", "platform role", "at least one application service",
			"clean absolute remote directory", "STRIPE_SECRET_KEY", "hoodcloud:registryServer", "hoodcloud:registryUsername", "hoodcloud:registryPassword"}},
		"missing bundle": {nil, filepath.Join(t.TempDir(), "nope"), []string{"hoodcloud:bundleDir: expected an existing directory"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rec, err := runStack(t, mockArgs(t, c.dir, c.edit), nil)
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if !strings.Contains(err.Error(), TypeToken) {
				t.Errorf("error does not name the component: %v", err)
			}
			if n := len(rec.Registrations()); n != 0 {
				t.Errorf("%d resources registered before the error", n)
			}
		})
	}
}

// TestStackUploadCarriesBundleEnvAndOverride: the upload's stdin is the one unit shipped: every bundle
// file, the rendered .env and the override whose secrets labels carry the extra hashes' digest.
func TestStackUploadCarriesBundleEnvAndOverride(t *testing.T) {
	rec := mustRun(t, mockArgs(t, fixtureDir, nil))
	stdin := command(t, rec, "cp-upload").Inputs["stdin"]
	if !stdin.IsSecret() {
		t.Fatal("upload stdin must be secret")
	}
	files := untar(t, stdin.SecretValue().Element.StringValue())
	env, _ := RenderEnv(fixtureEnv(t))
	if files[EnvFileName] != env {
		t.Errorf("the shipped .env differs from the rendered one:\n%s", files[EnvFileName])
	}
	shipped := mustStackBundle(t, fixtureDir)
	if _, ok := shipped.File("docker-compose.payment.yml"); ok {
		t.Error("the control plane ships the payment stack's compose file")
	}
	for _, f := range shipped.Files {
		if files[f.Name] != string(f.Content) {
			t.Errorf("%s not shipped intact", f.Name)
		}
	}
	if !strings.Contains(files[OverrideFileName], SecretsLabel+`: "`+extraDigest([]string{certHash})+`"`) {
		t.Errorf("the override lacks the certificate digest:\n%s", files[OverrideFileName])
	}
	rotated := mustRun(t, mockArgs(t, fixtureDir, func(a *Args) { a.ExtraHashes = []pulumi.StringInput{pulumi.String("cert-hash-0002")} }))
	after := untar(t, command(t, rotated, "cp-upload").Inputs["stdin"].SecretValue().Element.StringValue())
	if after[OverrideFileName] == files[OverrideFileName] || after[EnvFileName] != files[EnvFileName] {
		t.Error("a certificate rotation must change the override (and only it)")
	}
}

func untar(t *testing.T, b64 string) map[string]string {
	t.Helper()
	files, _ := untarWithHeaders(t, b64)
	return files
}

// untarWithHeaders decodes an upload stream: file name → content, and every header in stream order.
func untarWithHeaders(t *testing.T, b64 string) (map[string]string, []*tar.Header) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(raw))
	out := map[string]string{}
	var headers []*tar.Header
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, headers
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		out[h.Name] = string(body)
		headers = append(headers, h)
	}
}

// mustStackBundle is what the control-plane stack of the fixture ships: its compose file and mounted files.
func mustStackBundle(t testing.TB, dir string) *Bundle {
	t.Helper()
	b, _, _, err := stackBundle(dir, "hoodcloud", ControlPlane(), fixtureEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
