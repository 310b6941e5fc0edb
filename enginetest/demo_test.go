package enginetest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/hoodcloud/infra/internal/engine"
	"github.com/hoodcloud/infra/internal/preflight"
	"github.com/hoodcloud/infra/stacks"
)

// The committed demo stack previews the whole two-server graph with nothing but its published
// passphrase: its sample secrets decrypt, the real plugins accept its dummy credentials, no warning.
func TestDemoStackPreviewsWithNoAccount(t *testing.T) {
	tc := toolchain(t)
	dir := projectDir(t, preflight.DemoStack)
	t.Chdir(dir)
	st, err := engine.Open(context.Background(), engine.Options{
		Toolchain: tc, Plugins: engine.Real, ProjectDir: dir, Stack: preflight.DemoStack,
		BackendURL: "file://" + t.TempDir(), Passphrase: preflight.DemoPassphrase,
	}, stacks.Program)
	if err != nil {
		t.Fatal(err)
	}
	p := &project{dir: dir, stack: preflight.DemoStack, st: st}
	res := p.preview(t)
	prod := newProject(t, "prod", engine.Real).preview(t)
	if res.ChangeSummary[apitype.OpCreate] != prod.ChangeSummary[apitype.OpCreate] {
		t.Errorf("demo plans %d creates, prod %d: the demo is not the whole two-server graph",
			res.ChangeSummary[apitype.OpCreate], prod.ChangeSummary[apitype.OpCreate])
	}
}

// `make preview` on a machine without pulumi-language-go previews the demo through the Automation API
// and prints the plan as the CLI does.
func TestMakePreviewWithoutLanguageHost(t *testing.T) {
	tc := toolchain(t)
	out := makePreview(t, "demo", tc.Dir, map[string]string{"PULUMI_BACKEND_URL": "file://" + t.TempDir()})
	for _, want := range []string{"previewing through the Automation API", "hoodcloud:vault:Vault", "hoodcloud:compose:Stack", "hoodcloud:pki:PKI"} {
		if !strings.Contains(out, want) {
			t.Errorf("make preview output lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`\+ (\d+) to create`).FindStringSubmatch(out)
	if len(m) < 2 {
		t.Fatalf("make preview printed no plan summary:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 100 {
		t.Errorf("make preview plans %d creates, want the whole graph:\n%s", n, out)
	}
}

// `make preview STACK=prod` without credentials fails before any engine starts, with one message that
// lists everything to set.
func TestMakePreviewOfProdWithoutCredentials(t *testing.T) {
	tc := toolchain(t)
	cmd := exec.Command("make", "-s", "preview", "STACK=prod", "ENGINE_DIR="+tc.Dir)
	cmd.Dir = repoRoot
	cmd.Env = cleanEnv(nil)
	b, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("make preview STACK=prod succeeded without credentials:\n%s", b)
	}
	out := string(b)
	for _, want := range []string{"stack prod cannot be previewed yet", "hcloud:token", "hoodcloud:stripeSecretKey", "AWS credentials", "PULUMI_CONFIG_PASSPHRASE"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Previewing") {
		t.Errorf("the engine started before the missing settings were reported:\n%s", out)
	}
}

func makePreview(t *testing.T, stack, engineDir string, env map[string]string) string {
	t.Helper()
	cmd := exec.Command("make", "-s", "preview", "STACK="+stack, "ENGINE_DIR="+engineDir)
	cmd.Dir = repoRoot
	cmd.Env = cleanEnv(env)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make preview STACK=%s: %v\n%s", stack, err, b)
	}
	return string(b)
}

// cleanEnv is this process's environment without Pulumi, AWS and Hetzner settings (a newcomer's shell),
// plus extra.
func cleanEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PULUMI_") || strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "HCLOUD_") || k == "HOODCLOUD_ENGINE_DIR" {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// With the Pulumi CLI and pulumi-language-go installed, `make preview` is plain `pulumi preview --diff` on
// the local file backend (here a recording stand-in of the CLI: the real language host cannot be had on
// this machine), after the same preflight.
func TestMakePreviewWithCLI(t *testing.T) {
	bin := t.TempDir()
	record := filepath.Join(t.TempDir(), "calls")
	fake := "#!/bin/sh\nprintf '%s|%s|%s\\n' \"$*\" \"$PULUMI_BACKEND_URL\" \"$PULUMI_CONFIG_PASSPHRASE\" >>" + record + "\n"
	for _, name := range []string{"pulumi", "pulumi-language-go"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	backend := "file://" + t.TempDir()
	makePreview(t, "demo", t.TempDir(), map[string]string{"PATH": bin + ":" + os.Getenv("PATH"), "PULUMI_BACKEND_URL": backend})
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	want := "stack select --create demo --secrets-provider passphrase|" + backend + "|" + preflight.DemoPassphrase + "\n" +
		"preview --stack demo --diff|" + backend + "|" + preflight.DemoPassphrase + "\n"
	if string(b) != want {
		t.Errorf("the CLI was called as\n%s\nwant\n%s", b, want)
	}
}

// Offline, the toolchain's aws plugin is the stand-in: previewing a real stack through the Automation API
// is refused with what to do, rather than printing an invented AWS plan.
func TestPreviewDriverRefusesARealStackWithTheAWSStandIn(t *testing.T) {
	tc := toolchain(t)
	if !tc.StandInAWS() {
		t.Skip("this toolchain has the real aws plugin")
	}
	p := newProject(t, "staging", engine.Real) // every secret set, as an operator would
	bin := filepath.Join(t.TempDir(), "preview")
	build := exec.Command("go", "build", "-o", bin, "./cmd/preview")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build cmd/preview: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-stack", "staging", "-engine-dir", tc.Dir, "-backend", p.backend)
	cmd.Dir = p.dir
	cmd.Env = cleanEnv(map[string]string{"PULUMI_CONFIG_PASSPHRASE": passphrase, "AWS_PROFILE": "operator"})
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "aws plugin is a stand-in") || strings.Contains(string(out), "Previewing") {
		t.Errorf("the driver previewed a real stack with the aws stand-in: %v\n%s", err, out)
	}
}
