package stacks_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/testkit"
	"github.com/hoodcloud/infra/stacks"
)

// The rehearsal's phases are prefixes of the program's layers from the same configuration: hosts has no
// AWS, Vault, NATS or deploy; vault adds AWS, the PKI and Vault but no NATS or deploy; platform is the
// whole program. An unknown phase is an error naming it.
func TestPhasesArePrefixesOfTheProgram(t *testing.T) {
	// A registration is named by its type prefix (ends with ":") or its resource name.
	has := func(rec *testkit.Recorder, what string) bool {
		for _, r := range rec.Registrations() {
			if strings.HasSuffix(what, ":") && strings.HasPrefix(r.Type, what) || r.Name == what {
				return true
			}
		}
		return false
	}
	for _, stack := range []string{"staging", "prod"} {
		for _, c := range []struct {
			phase       stacks.Phase
			with, never []string
		}{
			{stacks.PhaseHosts, []string{"hcloud:index/server:"}, []string{"aws:", "vault:", "vault-init", "nats-certbot-issue"}},
			{stacks.PhaseVault, []string{"aws:", "vault:", "vault-init"}, []string{"nats-certbot-issue", "control-plane-app-deploy"}},
			{stacks.PhasePlatform, []string{"nats-certbot-issue", "control-plane-app-deploy", "payment-mtls-check"}, nil},
		} {
			sc := stackConfig(t, stack)
			rec := testkit.NewRecorder(sc.Project, sc.Stack)
			if err := pulumi.RunErr(stacks.PhaseProgram(c.phase), pulumi.WithMocks(sc.Project, sc.Stack, rec), sc.RunOption()); err != nil {
				t.Fatalf("%s %s: %v", stack, c.phase, err)
			}
			for _, what := range c.with {
				if !has(rec, what) {
					t.Errorf("%s %s registers no %s", stack, c.phase, what)
				}
			}
			for _, what := range c.never {
				if has(rec, what) {
					t.Errorf("%s %s registers %s, which belongs to a later phase", stack, c.phase, what)
				}
			}
		}
	}
	sc := stackConfig(t, "staging")
	err := pulumi.RunErr(stacks.PhaseProgram("nats"), pulumi.WithMocks(sc.Project, sc.Stack, testkit.NewRecorder(sc.Project, sc.Stack)), sc.RunOption())
	if err == nil || !strings.Contains(err.Error(), `no phase "nats"`) {
		t.Errorf("an unknown phase: %v", err)
	}
}
