package stacks_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Two runs with the same configuration register byte-identical inputs: nothing depends on the clock, map
// order or randomness outside resources, so a second `pulumi up` changes nothing.
func TestSameConfigSameInputs(t *testing.T) {
	for _, stack := range []string{"prod", "staging"} {
		a, b := runStack(t, stack).rec.Snapshot(t), runStack(t, stack).rec.Snapshot(t)
		if d := cmp.Diff(a, b); d != "" {
			t.Errorf("%s: inputs differ between two runs:\n%s", stack, d)
		}
	}
}
