package stacks

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

func Program(ctx *pulumi.Context) error { return nil }
