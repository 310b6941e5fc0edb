package stacks

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/testkit"
)

// Pulumi.yaml declares exactly the keys the program reads, each with a type and a description: the
// declaration is the documentation and the source of defaults, so neither side may drift.
func TestPulumiYamlDeclaresEveryKeyTheProgramReads(t *testing.T) {
	p, err := testkit.LoadProject("..")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := testkit.LoadStackConfig("..", "prod")
	if err != nil {
		t.Fatal(err)
	}
	var read []string
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		r := newReader(ctx)
		_, err := loadConfig(ctx.Stack(), ctx.RootDirectory(), r)
		read = r.read
		return err
	}, pulumi.WithMocks(sc.Project, sc.Stack, testkit.NewRecorder(sc.Project, sc.Stack)), sc.RunOption())
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for k, decl := range p.Config {
		declared = append(declared, k)
		if decl.Type == "" || decl.Description == "" {
			t.Errorf("Pulumi.yaml: %s lacks a type or description", k)
		}
		if decl.Type == "array" && (decl.Items == nil || decl.Items.Type == "") {
			t.Errorf("Pulumi.yaml: %s is an array without an item type", k)
		}
	}
	sort.Strings(declared)
	sort.Strings(read)
	if d := cmp.Diff(declared, read); d != "" {
		t.Errorf("declared keys (-) vs keys the program reads (+):\n%s", d)
	}
}
