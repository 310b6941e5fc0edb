package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/hoodcloud/infra/internal/testkit"
)

const root = "../.."

type step struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]any    `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

type job struct {
	Uses        string         `yaml:"uses"`
	With        map[string]any `yaml:"with"`
	Needs       any            `yaml:"needs"`
	Environment any            `yaml:"environment"`
	Concurrency *struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Permissions any    `yaml:"permissions"`
	Steps       []step `yaml:"steps"`
	Secrets     any    `yaml:"secrets"`
}

type workflow struct {
	file        string
	raw         string
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]job    `yaml:"jobs"`
}

func load(t *testing.T) map[string]*workflow {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	out := map[string]*workflow{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		w := &workflow{file: filepath.Base(p), raw: string(b)}
		if err := yaml.Unmarshal(b, w); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[w.file] = w
	}
	return out
}

func (w *workflow) reusable() bool {
	_, ok := w.On["workflow_call"]
	return ok && len(w.On) == 1
}

// Every workflow passes actionlint (with shellcheck on its run: scripts).
func TestActionlint(t *testing.T) {
	actionlint := testkit.RequireTool(t, "actionlint")
	testkit.RequireTool(t, "shellcheck")
	cmd := exec.Command(actionlint)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
}

// actionlint fails on a broken workflow: the check above can fail.
func TestActionlintCatchesABrokenWorkflow(t *testing.T) {
	actionlint := testkit.RequireTool(t, "actionlint")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	broken := "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n"
	if err := os.WriteFile(filepath.Join(dir, ".github", "workflows", "broken.yml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(actionlint)
	cmd.Dir = dir
	if err := cmd.Run(); err == nil {
		t.Fatal("actionlint accepted a broken workflow")
	}
}

var pinnedRe = regexp.MustCompile(`^[A-Za-z0-9-]+/[A-Za-z0-9._/-]+@[0-9a-f]{40}$`)

// Third-party actions are pinned by full commit SHA, with the version in a comment.
func TestActionsArePinnedByCommit(t *testing.T) {
	for _, w := range load(t) {
		for name, j := range w.Jobs {
			if j.Uses != "" && !strings.HasPrefix(j.Uses, "./") {
				t.Errorf("%s/%s calls %s: only this repository's reusable workflows", w.file, name, j.Uses)
			}
			for _, s := range j.Steps {
				if s.Uses == "" || strings.HasPrefix(s.Uses, "./") {
					continue
				}
				if !pinnedRe.MatchString(s.Uses) {
					t.Errorf("%s/%s uses %s: pin third-party actions by commit SHA", w.file, name, s.Uses)
				}
				if !regexp.MustCompile(regexp.QuoteMeta(s.Uses) + ` # v[0-9]`).MatchString(w.raw) {
					t.Errorf("%s/%s uses %s without a version comment", w.file, name, s.Uses)
				}
			}
		}
	}
}

// run: steps call only the repository's documented commands, and secrets reach them only through env.
func TestRunStepsUseDocumentedCommandsAndNoSecretOnACommandLine(t *testing.T) {
	allowed := []string{`scripts/ci-stack-secrets.sh "$STACK"`, `scripts/ci-publish-outputs.sh "$STACK"`,
		`aws s3 cp --only-show-errors "s3://$PULUMI_STATE_BUCKET/outputs/hoodcloud/$STACK.json" outputs.json`,
		`{ echo "json<<HOODCLOUD_OUTPUTS_EOF"; cat outputs.json; echo "HOODCLOUD_OUTPUTS_EOF"; } >>"$GITHUB_OUTPUT"`}
	runs := 0
	for _, w := range load(t) {
		for name, j := range w.Jobs {
			for _, s := range j.Steps {
				if s.Run == "" {
					continue
				}
				runs++
				if strings.Contains(s.Run, "${{") {
					t.Errorf("%s/%s: an expression in run: %q (pass values through env)", w.file, name, s.Run)
				}
				for _, line := range strings.Split(strings.TrimSpace(s.Run), "\n") {
					if !slices.Contains(allowed, strings.TrimSpace(line)) {
						t.Errorf("%s/%s runs %q, which is not a documented command", w.file, name, line)
					}
				}
			}
		}
	}
	if runs == 0 {
		t.Error("no run: step found; the check looked at nothing")
	}
}

// Permissions are least privilege: read-only contents everywhere, OIDC tokens only where AWS is used,
// pull-request comments only for previews, nothing broader.
func TestPermissionsAreLeastPrivilege(t *testing.T) {
	for _, w := range load(t) {
		if w.reusable() {
			declared := w.Permissions != nil
			for _, j := range w.Jobs {
				declared = declared || j.Permissions != nil
			}
			if declared {
				t.Errorf("%s is reusable: it must inherit its caller's permissions, not declare its own", w.file)
			}
			continue
		}
		if w.Permissions == nil {
			t.Errorf("%s declares no permissions (the default token may write everywhere)", w.file)
			continue
		}
		want := map[string]string{"contents": "read", "id-token": "write"}
		if w.file == "preview.yml" {
			want["pull-requests"] = "write"
		}
		if len(w.Permissions) != len(want) {
			t.Errorf("%s permissions %v, want %v", w.file, w.Permissions, want)
		}
		for k, v := range want {
			if w.Permissions[k] != v {
				t.Errorf("%s permissions %v, want %v", w.file, w.Permissions, want)
			}
		}
	}
}

// Deploys: staging first, prod after it in its reviewed environment; one run per stack at a time across
// deploy and rotation, never cancelled mid-up.
func TestUpsAreSerialisedAndProdIsGated(t *testing.T) {
	ws := load(t)
	for _, file := range []string{"deploy.yml", "rotate.yml"} {
		w := ws[file]
		if w == nil {
			t.Fatalf("no %s", file)
		}
		for _, stack := range []string{"staging", "prod"} {
			j, ok := w.Jobs[stack]
			if !ok {
				t.Fatalf("%s has no %s job", file, stack)
			}
			if j.Concurrency == nil || j.Concurrency.Group != "stack-"+stack || j.Concurrency.CancelInProgress {
				t.Errorf("%s/%s: concurrency %+v, want group stack-%s, never cancelled", file, stack, j.Concurrency, stack)
			}
			if j.With["command"] != "up" || j.With["stack-name"] != stack || j.With["environment"] != stack {
				t.Errorf("%s/%s: with %v", file, stack, j.With)
			}
		}
		if w.Jobs["prod"].Needs != "staging" {
			t.Errorf("%s: prod does not wait for staging", file)
		}
	}
	if _, ok := ws["rotate.yml"].On["schedule"]; !ok {
		t.Error("rotation is not scheduled")
	}
	drift := ws["drift.yml"].Jobs["drift"]
	if drift.With["expect-no-changes"] != true || drift.With["refresh"] != true || drift.With["command"] != "preview" {
		t.Errorf("drift job with %v", drift.With)
	}
	preview := ws["preview.yml"].Jobs["preview"]
	// A pull request's code runs with the environment's secrets: its previews run only in the reviewed
	// <stack>-preview environments, never in those of deploys or of the drift check.
	if preview.With["comment-on-pr"] != true || preview.With["refresh"] != true || preview.With["environment"] != "${{ matrix.stack }}-preview" {
		t.Errorf("preview job with %v", preview.With)
	}
	if drift.With["environment"] != "${{ matrix.stack }}-read" {
		t.Errorf("drift job runs in %v", drift.With["environment"])
	}
}

// The workflows' CLI is the SDK's version, and every secret the program reads reaches the stack through
// scripts/ci-stack-secrets.sh from an environment secret of the same name.
func TestWorkflowsMatchTheProgram(t *testing.T) {
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	sdk := regexp.MustCompile(`github.com/pulumi/pulumi/sdk/v3 v(\S+)`).FindSubmatch(gomod)
	ws := load(t)
	for _, w := range ws {
		for _, m := range regexp.MustCompile(`pulumi-version: (\S+)`).FindAllStringSubmatch(w.raw, -1) {
			if m[1] != string(sdk[1]) {
				t.Errorf("%s installs pulumi %s, the SDK is %s", w.file, m[1], sdk[1])
			}
		}
	}
	script, err := os.ReadFile(filepath.Join(root, "scripts", "ci-stack-secrets.sh"))
	if err != nil {
		t.Fatal(err)
	}
	proj, err := testkit.LoadProject(root)
	if err != nil {
		t.Fatal(err)
	}
	var setStep step
	for _, s := range ws["pulumi-stack.yml"].Jobs["pulumi"].Steps {
		if strings.Contains(s.Run, "ci-stack-secrets.sh") {
			setStep = s
		}
	}
	keys := []string{"hcloud:token"}
	for k, d := range proj.Config {
		if d.Secret || k == "registryPassword" {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		m := regexp.MustCompile(`(?m)^set_secret ` + regexp.QuoteMeta(k) + ` ([A-Z_]+)$`).FindStringSubmatch(string(script))
		if m == nil {
			t.Errorf("scripts/ci-stack-secrets.sh does not set %s", k)
			continue
		}
		if setStep.Env[m[1]] != "${{ secrets."+m[1]+" }}" {
			t.Errorf("pulumi-stack.yml does not pass the secret %s to the script (env %q)", m[1], setStep.Env[m[1]])
		}
	}
}
