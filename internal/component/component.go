// Package component holds the few helpers every HoodCloud ComponentResource shares, so that parenting,
// error wrapping and output registration look the same in every component.
package component

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Child returns the options for a resource created inside parent: the parent first, then opts.
// Every component creates its children through this helper so that no child is left unparented.
func Child(parent pulumi.Resource, opts ...pulumi.ResourceOption) []pulumi.ResourceOption {
	return append([]pulumi.ResourceOption{pulumi.Parent(parent)}, opts...)
}

// Wrap prefixes err with the component's type token and logical name, so that an error in a graph with
// several instances of one component says which one failed. It returns nil for a nil err.
func Wrap(typeToken, name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %q: %w", typeToken, name, err)
}

// Register registers a component resource of the given type and returns the wrapped error, if any.
func Register(ctx *pulumi.Context, typeToken, name string, c pulumi.ComponentResource, opts ...pulumi.ResourceOption) error {
	return Wrap(typeToken, name, ctx.RegisterComponentResource(typeToken, name, c, opts...))
}

// Finish registers the component's outputs; it is the last call of every constructor.
func Finish(ctx *pulumi.Context, typeToken, name string, c pulumi.ComponentResource, outputs pulumi.Map) error {
	return Wrap(typeToken, name, ctx.RegisterResourceOutputs(c, outputs))
}

// Secret returns in as a secret StringOutput. Sprintf keeps the element type without a type assertion,
// and the secret mark propagates through it.
func Secret(in pulumi.StringInput) pulumi.StringOutput {
	return pulumi.Sprintf("%s", pulumi.ToSecret(in))
}
