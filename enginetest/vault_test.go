package enginetest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/hoodcloud/infra/internal/engine"
	"github.com/hoodcloud/infra/internal/testkit"
)

// The steps that need Vault's root token run at bootstrap and then only when an operator supplies a new
// root token: the README's rotation (set vaultRootToken, up, unset it, up) re-runs them once, and the
// unsetting is a no-op, not a failure with a revoked token.
func TestRootTokenRotationRunsRootStepsOnce(t *testing.T) {
	p := newProject(t, "staging", engine.StandIn)
	p.up(t)

	before := len(p.journalLines(t))
	p.setSecret(t, "vaultRootToken", "fixture-generated-root-token-77aa")
	p.up(t)
	runs := remoteRuns(p.journalLines(t), before)
	for _, want := range []string{"vault-credential", "vault-revoke-root"} {
		if !slices.Contains(runs, want) {
			t.Errorf("a new root token did not re-run %s (ran %v)", want, runs)
		}
	}
	if slices.Contains(runs, "vault-init") {
		t.Errorf("a new root token re-ran vault-init")
	}

	before = len(p.journalLines(t))
	p.up(t)
	if runs := remoteRuns(p.journalLines(t), before); len(runs) != 0 {
		t.Errorf("the same root token re-ran %v", runs)
	}

	before = len(p.journalLines(t))
	if err := p.st.RemoveConfig(context.Background(), "hoodcloud:vaultRootToken"); err != nil {
		t.Fatal(err)
	}
	p.up(t)
	if d := cmp.Diff([]string(nil), remoteRuns(p.journalLines(t), before)); d != "" {
		t.Errorf("unsetting vaultRootToken re-ran steps (-want +got):\n%s", d)
	}
	if ops := operations(p.journalLines(t), before); len(ops) != 0 {
		t.Errorf("unsetting vaultRootToken changed %v", ops)
	}
}

// A deploy-key rotation is deployKeyGeneration + 1 and one up: the old key and its Hetzner key go, the
// next generation is made, the hosts' authorized_keys are rewritten, and no other step runs its script:
// each runs only its update command (the reach check, the kept receipt). The steps that run once (init,
// and the root-only steps without a root token) are not touched at all. A second up changes nothing.
func TestDeployKeyRotationRunsNoStepScript(t *testing.T) {
	p := newProject(t, "staging", engine.StandIn)
	p.up(t)
	before := len(p.journalLines(t))
	p.setConfig(t, "deployKeyGeneration", "2")
	res := p.up(t)
	// The tls keys are the real plugin's (not journaled): generation 3 made, 1 deleted; the Hetzner key and
	// the authorized-keys step replaced; everything else an update or the same.
	if d := cmp.Diff(map[string]int{"create": 1, "delete": 1, "replace": 2}, withoutSameAndUpdate(*res.Summary.ResourceChanges)); d != "" {
		t.Errorf("the rotation's changes (-want +got):\n%s", d)
	}
	lines := p.journalLines(t)
	var updated []string
	for _, l := range lines[before:] {
		f := strings.Fields(l)
		if len(f) != 3 || f[1] != "command:remote:Command" {
			continue
		}
		switch {
		case f[0] == "run-update":
			updated = append(updated, f[2])
		case strings.HasPrefix(f[0], "run-") && !strings.HasSuffix(f[2], "-authorized-keys"):
			t.Errorf("the rotation ran %s of %s", f[0], f[2])
		}
		for _, frozen := range []string{"vault-init", "vault-credential", "vault-revoke-root"} {
			if f[2] == frozen {
				t.Errorf("the rotation touched %s: %s", frozen, l)
			}
		}
	}
	for _, want := range []string{"all-in-one-baseline", "control-plane-app-deploy", "vault-unseal"} {
		if !slices.Contains(updated, want) {
			t.Errorf("%s did not prove the new key (updates: %v)", want, updated)
		}
	}
	ops := operations(lines, before)
	for _, want := range []string{"create hetzner-deploy", "delete hetzner-deploy", "create all-in-one-authorized-keys", "delete all-in-one-authorized-keys"} {
		if !slices.Contains(ops, want) {
			t.Errorf("the rotation did not %s (did %v)", want, ops)
		}
	}
	before = len(p.journalLines(t))
	p.up(t)
	if ops := operations(p.journalLines(t), before); len(ops) != 0 {
		t.Errorf("an up after the rotation changed %v", ops)
	}
}

// A Vault that restarted on its own is sealed. A preview says so (a warning), plans nothing but what it
// cannot read (Vault's resources, the AppRole files steps) and leaves Vault sealed (it is given no keys); the next up unseals it through the seal guard with the keys the program holds, runs no
// remote step and changes nothing in the state; then nothing is left to change.
func TestSealedVaultIsUnsealedByTheNextUp(t *testing.T) {
	p := newProject(t, "staging", engine.StandIn)
	p.up(t)
	ws := p.st.Workspace()
	marker := filepath.Join(t.TempDir(), "sealed")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ws.SetEnvVar(testkit.FakeVaultSealedEnv, marker)

	ch, d := engine.Watch()
	prev, err := p.st.Preview(context.Background(), optpreview.EventStreams(ch))
	if err != nil {
		t.Fatalf("preview with Vault sealed: %v", err)
	}
	d.Wait()
	// It cannot read Vault: Vault's resources show as updates (their provider's address is unknown) and the
	// AppRole files steps, whose stdin they give, as replacements; nothing else changes.
	for name, op := range d.Ops(true) {
		vaultResource := strings.HasPrefix(name, "vault-") && op == "update"
		appRoleFiles := strings.HasSuffix(name, "-approle-files") && strings.Contains(op, "replace")
		if !vaultResource && !appRoleFiles {
			t.Errorf("preview with Vault sealed plans %s for %s", op, name)
		}
	}
	if prev.ChangeSummary[apitype.OpSame] == 0 {
		t.Errorf("preview with Vault sealed plans %v", prev.ChangeSummary)
	}
	if w := strings.Join(d.Warnings(), "\n"); !strings.Contains(w, "Vault is sealed") || !strings.Contains(w, "pulumi up` unseals it") {
		t.Errorf("preview with Vault sealed warned %q", w)
	}
	// The fake Vault is sealed while the marker exists (testkit.FakeVaultSealed, in the plugins' environment).
	isSealed := func() bool { _, err := os.Stat(marker); return err == nil }
	if !isSealed() {
		t.Error("a preview unsealed Vault")
	}

	before := len(p.journalLines(t))
	res := p.up(t)
	if runs := remoteRuns(p.journalLines(t), before); len(runs) != 0 {
		t.Errorf("the unsealing up ran remote steps %v", runs)
	}
	if changed := withoutSameAndUpdate(*res.Summary.ResourceChanges); len(changed) != 0 || (*res.Summary.ResourceChanges)["update"] != 0 {
		t.Errorf("the unsealing up changed %v", *res.Summary.ResourceChanges)
	}
	if isSealed() {
		t.Error("the up left Vault sealed")
	}
	p.preview(t, optpreview.ExpectNoChanges())
}

// A change that re-installs Vault (here its server certificate renewed: the tls provider replaces it)
// previews as that re-install and nothing else: Vault's own resources and the AppRole files read through
// the provider stay the same. The seal guard must not wait on the unseal step in a preview: an invoke that
// waits on a resource the preview replaces is skipped with an unknown result, which made Vault's address
// unknown and every Vault resource an update.
func TestVaultReinstallPreviewsOnlyTheReinstall(t *testing.T) {
	p := newProject(t, "staging", engine.StandIn)
	p.up(t)
	cert := p.urn(t, "tls:index/locallySignedCert:LocallySignedCert", "vault-server")
	ch, d := engine.Watch()
	if _, err := p.st.Preview(context.Background(), optpreview.Replace([]string{cert}), optpreview.EventStreams(ch)); err != nil {
		t.Fatalf("preview of a Vault certificate renewal: %v", err)
	}
	d.Wait()
	ops := d.Ops(true)
	for name, op := range ops {
		if strings.Contains(op, "replace") { // replace, create-replacement, delete-replaced: one replacement
			ops[name] = "replace"
		}
	}
	if ops["vault-unseal"] != "replace" {
		t.Fatalf("the renewal must re-install and re-unseal Vault; the preview plans %v", ops)
	}
	want := map[string]string{
		"pki-vault-server-cert": "replace",
		"vault-install":         "replace",
		"vault-unseal":          "replace",
	}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("preview of a Vault re-install (-want +got):\n%s", diff)
	}
	if w := d.Warnings(); len(w) != 0 {
		t.Errorf("preview of a Vault re-install warned %q", w)
	}
}

// `up --replace` of init (a new, empty Vault) clears the new escrow too.
func TestInitReplacementClearsItsEscrow(t *testing.T) {
	p := newProject(t, "staging", engine.StandIn)
	p.up(t)
	before := len(p.journalLines(t))
	p.up(t, optup.Replace([]string{p.urn(t, "command:remote:Command", "vault-init")}))
	runs := remoteRuns(p.journalLines(t), before)
	if !slices.Contains(runs, "vault-init") || !slices.Contains(runs, "vault-init-escrow-clear") {
		t.Errorf("a replaced init ran %v, want init and its escrow clear", runs)
	}
}

// withoutSameAndUpdate keeps the summary's creates, deletes and replacements.
func withoutSameAndUpdate(changes map[string]int) map[string]int {
	out := map[string]int{}
	for op, n := range changes {
		if op != "same" && op != "update" {
			out[op] = n
		}
	}
	return out
}
