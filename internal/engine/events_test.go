package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// The engine's events become each resource's step (the stack itself left out) and its diagnostics.
func TestWatchCollectsStepsAndDiagnostics(t *testing.T) {
	ch, e := Watch()
	pre := func(urn, typ, op string) events.EngineEvent {
		return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{
			Metadata: apitype.StepEventMetadata{URN: urn, Type: typ, Op: apitype.OpType(op)}}}}
	}
	diag := func(severity, msg string) events.EngineEvent {
		return events.EngineEvent{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{
			URN: "urn:pulumi:s::p::t::x", Severity: severity, Message: msg}}}
	}
	for _, ev := range []events.EngineEvent{
		pre("urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", "pulumi:pulumi:Stack", "create"),
		pre("urn:pulumi:s::p::a$b::kept", "b", "same"),
		pre("urn:pulumi:s::p::a$b::made", "b", "create"),
		pre("urn:pulumi:s::p::a$b::swapped", "b", "replace"),
		diag("warning", "careful\n"),
		diag("error", "broken"),
		diag("info", "chatter"),
	} {
		ch <- ev
	}
	close(ch)
	e.Wait()
	if d := cmp.Diff(map[string]string{"kept": "same", "made": "create", "swapped": "replace"}, e.Ops(false)); d != "" {
		t.Errorf("ops (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]string{"made": "create", "swapped": "replace"}, e.Ops(true)); d != "" {
		t.Errorf("changed ops (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"urn:pulumi:s::p::t::x: careful"}, e.Warnings()); d != "" {
		t.Errorf("warnings: %s", d)
	}
	if d := cmp.Diff([]string{"urn:pulumi:s::p::t::x: broken"}, e.Errors()); d != "" {
		t.Errorf("errors: %s", d)
	}
}
