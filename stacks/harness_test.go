package stacks_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/testkit"
	"github.com/hoodcloud/infra/stacks"
)

// repoRoot is where Pulumi.yaml and the stack files live, relative to this package.
const repoRoot = ".."

// run is one mocked `pulumi up` of the real program: stacks.Program is exactly Deploy followed by Export,
// and run does the same, keeping the outputs for the assertions.
type run struct {
	rec     *testkit.Recorder
	outputs *stacks.Outputs
}

// programRoot is the project directory the mocked program runs in: a temporary directory whose testdata
// links to the repository's, so that files the program writes beside Pulumi.yaml (the Vault provider's
// CA file) land outside the work tree.
var programRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hoodcloud-program-root-")
	if err == nil {
		abs, _ := filepath.Abs(filepath.Join(repoRoot, "testdata"))
		err = os.Symlink(abs, filepath.Join(dir, "testdata"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "program root:", err)
		os.Exit(2)
	}
	programRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixtureInitJSON is a `vault operator init -format=json` answer with distinctive secrets.
const fixtureInitJSON = `{"unseal_keys_b64":["fixture-unseal-1","fixture-unseal-2","fixture-unseal-3",` +
	`"fixture-unseal-4","fixture-unseal-5"],"unseal_shares":5,"unseal_threshold":3,"root_token":"fixture-root-token-hvs-91ab"}`

func stackConfig(t testing.TB, stack string) testkit.StackConfig {
	t.Helper()
	sc, err := testkit.LoadStackConfig(repoRoot, stack)
	if err != nil {
		t.Fatalf("load %s config: %v", stack, err)
	}
	sc.Root = programRoot
	return sc
}

func runConfig(t testing.TB, sc testkit.StackConfig) (*run, error) {
	t.Helper()
	return runConfigWith(t, sc, nil)
}

// runConfigWith lets a test change how the fake providers answer (a rotated certificate) before the run.
func runConfigWith(t testing.TB, sc testkit.StackConfig, prepare func(*testkit.Recorder)) (*run, error) {
	t.Helper()
	r := &run{rec: testkit.NewRecorder(sc.Project, sc.Stack)}
	// Vault's bootstrap steps print what real Vault prints: the secret sweep then covers unseal keys, the
	// root token and the program's AppRole secret_id as they flow through the graph.
	r.rec.Resources["command:remote:Command"] = testkit.CommandStdout(map[string]string{
		"vault-init":        fixtureInitJSON,
		"vault-credential":  `{"role_id":"fixture-program-role-id","secret_id":"fixture-program-secret-id-2c9d"}`,
		"vault-revoke-root": `{"revoked":true}`,
		"app-deploy":        testkit.FixtureDeployLog,
	})
	if prepare != nil {
		prepare(r.rec)
	}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		out, err := stacks.Deploy(ctx)
		if err != nil {
			return err
		}
		r.outputs = out
		return out.Export(ctx)
	}, pulumi.WithMocks(sc.Project, sc.Stack, r.rec), sc.RunOption())
	return r, err
}

func runStack(t testing.TB, stack string) *run {
	t.Helper()
	r, err := runConfig(t, stackConfig(t, stack))
	if err != nil {
		t.Fatalf("%s: %v", stack, err)
	}
	return r
}

// output resolves one stack output and says whether it is secret.
func (r *run) output(t testing.TB, key string) (any, bool) {
	t.Helper()
	v, ok := r.outputs.Value(key)
	if !ok {
		t.Fatalf("no output %q", key)
	}
	val, secret, err := testkit.Await(pulumi.ToOutput(v))
	if err != nil {
		t.Fatalf("output %q: %v", key, err)
	}
	// Normalise Go types ([]string, map[string]string…) to what `pulumi stack output --json` shows.
	b, err := json.Marshal(val)
	if err != nil {
		t.Fatalf("output %q: %v", key, err)
	}
	var norm any
	if err := json.Unmarshal(b, &norm); err != nil {
		t.Fatalf("output %q: %v", key, err)
	}
	return norm, secret
}
