package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// The stand-in diffs as the engine expects a provider to: equal inputs (a secret compares by its value)
// are no change, an unknown new value is one, and only the real provider's replace-on-change properties
// replace.
func TestDiffLikeTheCloud(t *testing.T) {
	olds := resource.PropertyMap{
		"create":   resource.NewProperty("echo hi"),
		"stdin":    resource.MakeSecret(resource.NewProperty("s3cret")),
		"triggers": resource.NewProperty([]resource.PropertyValue{resource.NewProperty("h1")}),
	}
	same := olds.Copy()
	same["stdin"] = resource.MakeSecret(resource.NewProperty("s3cret"))
	if got := changedKeys(olds, same, nil); len(got) != 0 {
		t.Errorf("equal inputs changed %v", got)
	}
	news := olds.Copy()
	news["stdin"] = resource.MakeSecret(resource.NewProperty("rotated"))
	news["triggers"] = resource.NewProperty([]resource.PropertyValue{resource.MakeComputed(resource.NewProperty(""))})
	changed := changedKeys(olds, news, nil)
	if d := cmp.Diff([]string{"stdin", "triggers"}, changed); d != "" {
		t.Errorf("changed (-want +got):\n%s", d)
	}
	if got := changedKeys(olds, news, []string{"stdin", "triggers"}); len(got) != 0 {
		t.Errorf("ignored properties changed %v", got)
	}
	c := &cloud{pkg: "command"}
	resp := diffResponse(changed, c.replaces("command:remote:Command", changed))
	if resp.Changes != pulumirpc.DiffResponse_DIFF_SOME || !cmp.Equal(resp.Replaces, []string{"triggers"}) ||
		resp.DetailedDiff["stdin"].Kind != pulumirpc.PropertyDiff_UPDATE || resp.DetailedDiff["triggers"].Kind != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Errorf("diff %+v", resp)
	}
	if none := diffResponse(nil, nil); none.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("no change answered %v", none.Changes)
	}
}

// The answers keep secret inputs secret in the outputs, and the access key's secret comes back secret.
func TestAnswersKeepSecrets(t *testing.T) {
	c, err := newCloud("aws", "")
	if err != nil {
		t.Fatal(err)
	}
	urn := resource.NewURN("prod", "hoodcloud", "", "aws:iam/accessKey:AccessKey", "iam-control-plane-key")
	_, outs, err := c.answer(urn, resource.PropertyMap{"user": resource.NewProperty("hoodcloud-prod-control-plane"),
		"pgpKey": resource.MakeSecret(resource.NewProperty("k"))})
	if err != nil {
		t.Fatal(err)
	}
	if !outs["secret"].IsSecret() || !outs["pgpKey"].IsSecret() || outs["user"].IsSecret() {
		t.Errorf("outputs %v", outs)
	}
}

// A command step's runs are journaled as pulumi-command runs them: update runs create when there is no
// update command, delete only when there is a delete command.
func TestCommandRunsAreJournaled(t *testing.T) {
	j := journal(t.TempDir() + "/journal")
	c := &cloud{pkg: "command"}
	urn := resource.NewURN("prod", "hoodcloud", "", "command:remote:Command", "step")
	in := resource.PropertyMap{"create": resource.NewProperty("x")}
	c.run(urn, in, "update", j)
	c.run(urn, in, "delete", j)
	in["delete"] = resource.NewProperty("y")
	c.run(urn, in, "delete", j)
	lines := readLines(t, string(j))
	if d := cmp.Diff([]string{"run-create command:remote:Command step", "run-delete command:remote:Command step"}, lines); d != "" {
		t.Errorf("journal (-want +got):\n%s", d)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}
