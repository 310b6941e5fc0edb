package enginetest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/engine"
	"github.com/hoodcloud/infra/internal/testkit"
	"github.com/hoodcloud/infra/stacks"
)

// repoRoot holds Pulumi.yaml, the stack files and testdata; absolute (TestMain), because each test moves
// into its own project directory.
var repoRoot string

func TestMain(m *testing.M) {
	abs, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "repository root:", err)
		os.Exit(2)
	}
	repoRoot = abs
	os.Exit(m.Run())
}

// passphrase unlocks the test stacks' secrets: they live only in a temporary state directory.
const passphrase = "hoodcloud-engine-test-passphrase"

// stepStdout is what the stand-in remote host prints for the Vault bootstrap steps: what real Vault
// prints, with distinctive secrets the state sweep looks for.
var stepStdout = map[string]string{
	"vault-init": `{"unseal_keys_b64":["fixture-unseal-1","fixture-unseal-2","fixture-unseal-3",` +
		`"fixture-unseal-4","fixture-unseal-5"],"unseal_shares":5,"unseal_threshold":3,"root_token":"fixture-root-token-hvs-91ab"}`,
	"vault-credential":  `{"role_id":"fixture-program-role-id","secret_id":"fixture-program-secret-id-2c9d"}`,
	"vault-revoke-root": `{"revoked":true}`,
	"app-deploy":        testkit.FixtureDeployLog,
}

// toolchain finds the engine toolchain; without one, the test is skipped, except where the toolchain is
// required (`make test` builds it first and sets HOODCLOUD_REQUIRE_ENGINE=1, so CI never skips).
func toolchain(t *testing.T) engine.Toolchain {
	t.Helper()
	tc, err := engine.FindToolchain(engine.DefaultToolchainDir())
	if err != nil {
		if os.Getenv("HOODCLOUD_REQUIRE_ENGINE") != "" {
			t.Fatal(err)
		}
		t.Skipf("%v; `make test` builds it", err)
	}
	return tc
}

// project is one stack of the program in a temporary project directory with its own file backend.
type project struct {
	dir, stack string
	st         auto.Stack
	journal    string
	backend    string
}

// newProject lays out the project (Pulumi.yaml, the committed stack file, testdata), sets the secret
// fixtures of testdata/secrets.yaml as encrypted config, and opens the stack with the plugin set p. The
// test's working directory becomes the project directory, as it is for `pulumi` run in a project.
func newProject(t *testing.T, stack string, p engine.Plugins) *project {
	t.Helper()
	return openProject(t, stack, p, stacks.Program)
}

// openProject is newProject with another program than stacks.Program (an earlier program's shape, for
// upgrade tests).
func openProject(t *testing.T, stack string, p engine.Plugins, program pulumi.RunFunc) *project {
	t.Helper()
	tc := toolchain(t)
	root := repoRoot
	dir := projectDir(t, stack)
	stdoutFile := filepath.Join(dir, "stand-in-stdout.json")
	b, _ := json.Marshal(stepStdout)
	if err := os.WriteFile(stdoutFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	pr := &project{dir: dir, stack: stack, journal: filepath.Join(dir, "stand-in-journal"), backend: "file://" + t.TempDir()}
	t.Chdir(dir)
	ctx := context.Background()
	var err error
	pr.st, err = engine.Open(ctx, engine.Options{
		Toolchain: tc, Plugins: p, ProjectDir: dir, Stack: stack,
		BackendURL: pr.backend, Passphrase: passphrase,
		Env: map[string]string{"HOODCLOUD_STANDIN_JOURNAL": pr.journal, "HOODCLOUD_STANDIN_STDOUT": stdoutFile},
	}, program)
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := testkit.LoadSecretFixtures(root)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range secrets {
		pr.setSecret(t, k, v)
	}
	return pr
}

// projectDir lays out a temporary project directory for stack (testkit.ProjectDir).
func projectDir(t *testing.T, stack string) string {
	t.Helper()
	return testkit.ProjectDir(t, repoRoot, stack)
}

func (p *project) setSecret(t *testing.T, key, value string) {
	t.Helper()
	if !strings.Contains(key, ":") {
		key = stacks.Namespace + ":" + key
	}
	if err := p.st.SetConfig(context.Background(), key, auto.ConfigValue{Value: value, Secret: true}); err != nil {
		t.Fatal(err)
	}
}

func (p *project) setConfig(t *testing.T, key, value string) {
	t.Helper()
	if err := p.st.SetConfig(context.Background(), stacks.Namespace+":"+key, auto.ConfigValue{Value: value}); err != nil {
		t.Fatal(err)
	}
}

// preview runs `pulumi preview` and fails the test on any error or warning the engine reports.
func (p *project) preview(t *testing.T, opts ...optpreview.Option) auto.PreviewResult {
	t.Helper()
	ch, d := engine.Watch()
	started := time.Now()
	res, err := p.st.Preview(context.Background(), append(opts, optpreview.EventStreams(ch))...)
	d.Wait()
	t.Logf("%s preview: %v in %s", p.stack, res.ChangeSummary, time.Since(started).Round(time.Second))
	if err != nil {
		t.Fatalf("%s preview: %v", p.stack, err)
	}
	assertClean(t, d, p.stack+" preview")
	return res
}

// up runs `pulumi up` and fails the test on any error or warning.
func (p *project) up(t *testing.T, opts ...optup.Option) auto.UpResult {
	t.Helper()
	res, err := p.tryUp(t, opts...)
	if err != nil {
		t.Fatalf("%s up: %v", p.stack, err)
	}
	return res
}

func (p *project) tryUp(t *testing.T, opts ...optup.Option) (auto.UpResult, error) {
	t.Helper()
	ch, d := engine.Watch()
	started := time.Now()
	res, err := p.st.Up(context.Background(), append(opts, optup.EventStreams(ch))...)
	d.Wait()
	if err == nil {
		t.Logf("%s up: %v in %s", p.stack, *res.Summary.ResourceChanges, time.Since(started).Round(time.Second))
		assertClean(t, d, p.stack+" up")
	}
	return res, err
}

// assertClean fails the test for every warning and error the operation reported.
func assertClean(t *testing.T, d *engine.Events, what string) {
	t.Helper()
	for _, w := range d.Warnings() {
		t.Errorf("%s warned: %s", what, w)
	}
	for _, e := range d.Errors() {
		t.Errorf("%s reported an error: %s", what, e)
	}
}

// journalLines returns the stand-ins' journal: "<op> <type> <name>" per line.
func (p *project) journalLines(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(p.journal)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	return lines
}

// remoteRuns lists the remote steps that executed a command after the first skip journal lines, sorted.
func remoteRuns(lines []string, skip int) []string {
	var out []string
	for _, l := range lines[skip:] {
		f := strings.Fields(l)
		if len(f) == 3 && strings.HasPrefix(f[0], "run-") && f[1] == "command:remote:Command" {
			out = append(out, f[2])
		}
	}
	sort.Strings(out)
	return out
}

// operations lists the journal's creates, updates and deletes after skip, as "<op> <name>".
func operations(lines []string, skip int) []string {
	var out []string
	for _, l := range lines[skip:] {
		f := strings.Fields(l)
		if len(f) == 3 && !strings.HasPrefix(f[0], "run-") {
			out = append(out, fmt.Sprintf("%s %s", f[0], f[2]))
		}
	}
	sort.Strings(out)
	return out
}
