package stacks_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// snapshot is every registration's URN, inputs and options, as JSON, for byte comparison.
func snapshot(t *testing.T, r *run) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, g := range r.rec.Registrations() {
		b, err := json.Marshal(struct {
			Inputs                       any
			Parent                       string
			Protect                      bool
			Deps                         []string
			PropDeps                     map[string][]string
			IgnoreChanges, SecretOutputs []string
		}{g.Inputs.Mappable(), g.Parent, g.Protect, g.Dependencies, g.PropertyDependencies, g.IgnoreChanges, g.AdditionalSecretOutputs})
		if err != nil {
			t.Fatal(err)
		}
		out[g.URN] = string(b)
	}
	return out
}

// Two runs with the same configuration register byte-identical inputs: nothing depends on the clock, map
// order or randomness outside resources, so a second `pulumi up` changes nothing.
func TestSameConfigSameInputs(t *testing.T) {
	for _, stack := range []string{"prod", "staging"} {
		a, b := snapshot(t, runStack(t, stack)), snapshot(t, runStack(t, stack))
		if d := cmp.Diff(a, b); d != "" {
			t.Errorf("%s: inputs differ between two runs:\n%s", stack, d)
		}
	}
}
