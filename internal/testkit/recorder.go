// Package testkit is the test harness shared by every package: a recording mock resource monitor that
// answers like the real providers would (real keys, plausible IPs, rendered policy documents), helpers to
// query what was registered, a secret sweep, and a guard for tests that need an external validator.
package testkit

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Registration is one resource as the program registered it: what it asked for and how.
type Registration struct {
	Type, Name, URN, Parent string
	Custom                  bool
	Inputs                  resource.PropertyMap
	Outputs                 resource.PropertyMap
	Protect                 bool
	Dependencies            []string
	PropertyDependencies    map[string][]string
	AliasURNs               []string
	AliasSpecs              []AliasSpec
	IgnoreChanges           []string
	AdditionalSecretOutputs []string
	ReplaceOnChanges        []string
	DeleteBeforeReplace     bool
	Provider                string
}

// AliasSpec is the part of an alias the tests look at.
type AliasSpec struct {
	Name, Type, ParentURN string
	NoParent              bool
}

// ResourceFunc answers a registration of one type: the ID and the outputs a provider would return.
type ResourceFunc func(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error)

// CallFunc answers one invoke (data source).
type CallFunc func(args pulumi.MockCallArgs) (resource.PropertyMap, error)

// Recorder is a pulumi.MockResourceMonitor that records every registration and invoke.
type Recorder struct {
	Project, Stack string
	// Resources overrides or extends the default fakes by type token.
	Resources map[string]ResourceFunc
	// Calls overrides or extends the default invoke fakes by token.
	Calls map[string]CallFunc

	mu    sync.Mutex
	regs  []Registration
	calls []pulumi.MockCallArgs
}

// NewRecorder returns a recorder with the default fakes of this package installed.
func NewRecorder(project, stack string) *Recorder {
	r := &Recorder{Project: project, Stack: stack, Resources: map[string]ResourceFunc{}, Calls: map[string]CallFunc{}}
	for k, v := range defaultResources {
		r.Resources[k] = v
	}
	for k, v := range defaultCalls {
		r.Calls[k] = v
	}
	return r
}

// NewResource implements pulumi.MockResourceMonitor.
func (r *Recorder) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outs := a.Name+"-id", a.Inputs.Copy()
	if f, ok := r.Resources[a.TypeToken]; ok {
		var err error
		if id, outs, err = f(a); err != nil {
			return "", nil, err
		}
	}
	reg := Registration{Type: a.TypeToken, Name: a.Name, Custom: a.Custom, Inputs: a.Inputs, Outputs: outs}
	if rpc := a.RegisterRPC; rpc != nil {
		reg.Parent = rpc.GetParent()
		reg.Protect = rpc.GetProtect()
		reg.Dependencies = sortedCopy(rpc.GetDependencies())
		reg.PropertyDependencies = map[string][]string{}
		for k, v := range rpc.GetPropertyDependencies() {
			reg.PropertyDependencies[k] = sortedCopy(v.GetUrns())
		}
		for _, al := range rpc.GetAliases() {
			if u := al.GetUrn(); u != "" {
				reg.AliasURNs = append(reg.AliasURNs, u)
			}
			if s := al.GetSpec(); s != nil {
				reg.AliasSpecs = append(reg.AliasSpecs, AliasSpec{Name: s.GetName(), Type: s.GetType(),
					ParentURN: s.GetParentUrn(), NoParent: s.GetNoParent()})
			}
		}
		reg.IgnoreChanges = rpc.GetIgnoreChanges()
		reg.AdditionalSecretOutputs = rpc.GetAdditionalSecretOutputs()
		reg.ReplaceOnChanges = rpc.GetReplaceOnChanges()
		reg.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		reg.Provider = rpc.GetProvider()
	}
	reg.URN = r.urn(reg.Parent, a.TypeToken, a.Name)
	r.mu.Lock()
	r.regs = append(r.regs, reg)
	r.mu.Unlock()
	return id, outs, nil
}

// Call implements pulumi.MockResourceMonitor.
func (r *Recorder) Call(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
	r.mu.Lock()
	r.calls = append(r.calls, a)
	r.mu.Unlock()
	if f, ok := r.Calls[a.Token]; ok {
		return f(a)
	}
	return nil, fmt.Errorf("testkit: no fake for invoke %s", a.Token)
}

// urn computes the URN exactly as the SDK's mock monitor does, so Parent and Dependencies can be matched.
func (r *Recorder) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(r.Stack), tokens.PackageName(r.Project), parentType,
		tokens.Type(typ), name))
}

// Registrations returns every registration, sorted by URN so that comparisons do not depend on timing.
func (r *Recorder) Registrations() []Registration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]Registration(nil), r.regs...)
	sort.Slice(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

// OfType returns the registrations of one type token.
func (r *Recorder) OfType(typ string) []Registration {
	var out []Registration
	for _, g := range r.Registrations() {
		if g.Type == typ {
			out = append(out, g)
		}
	}
	return out
}

// Named returns the registration of the given type and name, or false.
func (r *Recorder) Named(typ, name string) (Registration, bool) {
	for _, g := range r.Registrations() {
		if g.Type == typ && g.Name == name {
			return g, true
		}
	}
	return Registration{}, false
}

// ByURN returns the registration with the given URN, or false.
func (r *Recorder) ByURN(urn string) (Registration, bool) {
	for _, g := range r.Registrations() {
		if g.URN == urn {
			return g, true
		}
	}
	return Registration{}, false
}

// DependsOn reports whether reg depends on the resource with URN target, directly or through any of the
// resources it depends on (and component parents' children, as the engine does for components).
func (r *Recorder) DependsOn(reg Registration, target string) bool {
	regs := r.Registrations()
	byURN := map[string]Registration{}
	for _, g := range regs {
		byURN[g.URN] = g
	}
	seen := map[string]bool{}
	var visit func(u string) bool
	visit = func(u string) bool {
		if u == target {
			return true
		}
		if seen[u] {
			return false
		}
		seen[u] = true
		g, ok := byURN[u]
		if !ok {
			return false
		}
		for _, d := range allDeps(g) {
			if visit(d) {
				return true
			}
		}
		return false
	}
	for _, d := range allDeps(reg) {
		if visit(d) {
			return true
		}
	}
	return false
}

// allDeps are the resources g waits for: its dependencies, its properties' dependencies, and its explicit
// provider (a resource managed through a provider waits for everything the provider's configuration waits
// for, as the engine orders it).
func allDeps(g Registration) []string {
	out := append([]string(nil), g.Dependencies...)
	for _, v := range g.PropertyDependencies {
		out = append(out, v...)
	}
	if i := strings.LastIndex(g.Provider, "::"); i > 0 {
		out = append(out, g.Provider[:i])
	}
	return out
}

// MustNamed is Named that fails the test when the resource does not exist.
func (r *Recorder) MustNamed(t testing.TB, typ, name string) Registration {
	t.Helper()
	g, ok := r.Named(typ, name)
	if !ok {
		t.Fatalf("no %s named %s", typ, name)
	}
	return g
}

// Plain unwraps secrets and outputs, so a test can read a value whatever its secretness.
func Plain(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput():
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// Snapshot is every registration's inputs and options as JSON, keyed by URN, for byte comparison of two
// runs: equal snapshots mean a second `pulumi up` would change nothing.
func (r *Recorder) Snapshot(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, g := range r.Registrations() {
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
