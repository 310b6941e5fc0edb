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

// A rotated deploy key reaches every step's connection, but the root-only steps and init do not re-run:
// their root token is revoked.
func TestDeployKeyRotationLeavesRootStepsAlone(t *testing.T) {
	p := newProject(t, "staging", engine.StandIn)
	p.up(t)
	before := len(p.journalLines(t))
	p.up(t, optup.Replace([]string{p.urn(t, "tls:index/privateKey:PrivateKey", "deploy-key")}))
	runs := remoteRuns(p.journalLines(t), before)
	for _, never := range []string{"vault-init", "vault-credential", "vault-revoke-root"} {
		if slices.Contains(runs, never) {
			t.Errorf("a deploy-key rotation re-ran %s", never)
		}
	}
}

// A Vault that restarted on its own is sealed: the next preview and up fail with Vault's own message
// rather than report success while the services cannot read their secrets; the README's remedy
// (`up --replace` of the unseal step) unseals it and passes, and then nothing is left to change.
func TestSealedVaultFailsPreviewAndUp(t *testing.T) {
	p := newProject(t, "staging", engine.StandIn)
	p.up(t)
	ws := p.st.Workspace()
	marker := filepath.Join(t.TempDir(), "sealed")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ws.SetEnvVar(testkit.FakeVaultSealedEnv, marker)
	if _, err := p.st.Preview(context.Background()); err == nil || !strings.Contains(err.Error(), "Vault is sealed") {
		t.Errorf("preview with Vault sealed: %v", err)
	}
	before := len(p.journalLines(t))
	if _, err := p.tryUp(t); err == nil || !strings.Contains(err.Error(), "Vault is sealed") {
		t.Errorf("up with Vault sealed: %v", err)
	}
	if runs := remoteRuns(p.journalLines(t), before); len(runs) != 0 {
		t.Errorf("a failed up ran %v", runs)
	}
	before = len(p.journalLines(t))
	p.up(t, optup.Replace([]string{p.urn(t, "command:remote:Command", "vault-unseal")}))
	if d := cmp.Diff([]string{"vault-unseal"}, remoteRuns(p.journalLines(t), before)); d != "" {
		t.Errorf("the remedy ran (-want +got):\n%s", d)
	}
	res := p.preview(t, optpreview.ExpectNoChanges())
	if res.ChangeSummary[apitype.OpSame] == 0 {
		t.Errorf("preview after unsealing: %v", res.ChangeSummary)
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
