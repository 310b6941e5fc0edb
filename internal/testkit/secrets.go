package testkit

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Leak is a secret value found in plaintext.
type Leak struct {
	Where, Path, SecretName string
}

func (l Leak) String() string {
	return fmt.Sprintf("%s %s contains secret %q in plaintext", l.Where, l.Path, l.SecretName)
}

// PlaintextLeaks sweeps every input and output of every registration for the given secret values (name →
// value) outside a secret. A value may leak as a substring (a command string, a rendered file), so
// substrings count.
func PlaintextLeaks(regs []Registration, secrets map[string]string) []Leak {
	var leaks []Leak
	for _, g := range regs {
		for _, side := range []struct {
			label string
			m     resource.PropertyMap
		}{{"inputs", g.Inputs}, {"outputs", g.Outputs}} {
			walkPlain(resource.NewProperty(side.m), side.label, func(path, s string) {
				for _, name := range sortedKeys(secrets) {
					if v := secrets[name]; v != "" && strings.Contains(s, v) {
						leaks = append(leaks, Leak{Where: g.URN, Path: path, SecretName: name})
					}
				}
			})
		}
	}
	return leaks
}

// walkPlain calls visit for every string reachable from v that is not inside a secret.
func walkPlain(v resource.PropertyValue, path string, visit func(path, s string)) {
	switch {
	case v.IsSecret():
		return
	case v.IsString():
		visit(path, v.StringValue())
	case v.IsArray():
		for i, e := range v.ArrayValue() {
			walkPlain(e, fmt.Sprintf("%s[%d]", path, i), visit)
		}
	case v.IsObject():
		m := v.ObjectValue()
		for _, k := range m.StableKeys() {
			walkPlain(m[k], path+"."+string(k), visit)
		}
	case v.IsOutput():
		if o := v.OutputValue(); o.Known && !o.Secret {
			walkPlain(o.Element, path, visit)
		}
	case v.IsAsset():
		a := v.AssetValue()
		visit(path+"(asset text)", a.Text)
	}
}

// PlainStrings returns every string reachable from v outside a secret, keyed by path.
func PlainStrings(v resource.PropertyValue) map[string]string {
	out := map[string]string{}
	walkPlain(v, "", func(p, s string) { out[p] = s })
	return out
}

// Await resolves an output inside a mocked run and reports its value and whether it is secret.
func Await(o pulumi.Output) (value any, secret bool, err error) {
	res, err := internals.UnsafeAwaitOutput(context.Background(), o)
	if err != nil {
		return nil, false, err
	}
	return res.Value, res.Secret, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
