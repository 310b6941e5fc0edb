package stacks_test

import (
	"sort"

	"github.com/hoodcloud/infra/internal/testkit"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func key(k string) resource.PropertyKey { return resource.PropertyKey(k) }

// plain unwraps secrets and outputs so that a test can read a value regardless of its secretness.
var plain = testkit.Plain

// str reads a string input by path of keys.
func str(m resource.PropertyMap, keys ...string) string {
	v := resource.NewProperty(m)
	for _, k := range keys {
		v = plain(v)
		if !v.IsObject() {
			return ""
		}
		v = v.ObjectValue()[key(k)]
	}
	v = plain(v)
	if !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// strs reads a string array.
func strs(v resource.PropertyValue) []string {
	v = plain(v)
	var out []string
	if !v.IsArray() {
		return nil
	}
	for _, e := range v.ArrayValue() {
		e = plain(e)
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	sort.Strings(out)
	return out
}
