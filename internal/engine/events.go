package engine

import (
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
)

// Events is what one engine operation reported through its event stream: the step each resource took
// (by resource name: same, create, update, replace, ...) and the warnings and errors, each prefixed with
// the URN it is about. The engine tests and the rehearsal read `up` and `preview` through it.
type Events struct {
	mu       sync.Mutex
	ops      map[string]string
	warnings []string
	errors   []string
	done     chan struct{}
}

// Watch returns the channel to hand the operation (optup.EventStreams, optpreview.EventStreams) and the
// Events it fills; read them after Wait.
func Watch() (chan events.EngineEvent, *Events) {
	ch := make(chan events.EngineEvent)
	e := &Events{ops: map[string]string{}, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		for ev := range ch {
			e.record(ev)
		}
	}()
	return ch, e
}

func (e *Events) record(ev events.EngineEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := ev.ResourcePreEvent; p != nil && p.Metadata.Type != "pulumi:pulumi:Stack" {
		e.ops[p.Metadata.URN[strings.LastIndex(p.Metadata.URN, "::")+2:]] = string(p.Metadata.Op)
	}
	if d := ev.DiagnosticEvent; d != nil {
		msg := strings.TrimSpace(d.URN + ": " + d.Message)
		switch d.Severity {
		case "warning":
			e.warnings = append(e.warnings, msg)
		case "error":
			e.errors = append(e.errors, msg)
		}
	}
}

// Wait returns once the operation has closed the stream.
func (e *Events) Wait() { <-e.done }

// Ops is each resource's step; with changedOnly, only those that did something (not same, not read).
func (e *Events) Ops(changedOnly bool) map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]string{}
	for name, op := range e.ops {
		if !changedOnly || (op != "same" && op != "read") {
			out[name] = op
		}
	}
	return out
}

// Warnings and Errors are the diagnostics of those severities, in order.
func (e *Events) Warnings() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.warnings...)
}

// Errors are the error diagnostics, in order.
func (e *Events) Errors() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.errors...)
}
