package hostfiles

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/testkit"
)

const secretKey = "-----BEGIN EC PRIVATE KEY-----\nfixture-private-key-material\n-----END EC PRIVATE KEY-----\n"

func run(t *testing.T, cert string) (*testkit.Recorder, error) {
	rec := testkit.NewRecorder("hoodcloud", "test")
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := New(ctx, "payment-pki", &Args{
			Host: testkit.Target(remote.ConnectionArgs{Host: pulumi.String("203.0.113.9")}),
			Files: []File{
				{Path: "/opt/hoodcloud/secrets/payment/server.crt", Mode: "0644", Content: pulumi.String(cert)},
				{Path: "/opt/hoodcloud/secrets/payment/server.key", Mode: "0644", Content: pulumi.ToSecret(pulumi.String(secretKey)).(pulumi.StringOutput)},
			},
		})
		return err
	}, pulumi.WithMocks("hoodcloud", "test", rec))
	return rec, err
}

func TestSecretsTravelOnlyOnStdin(t *testing.T) {
	rec, err := run(t, "cert-v1")
	if err != nil {
		t.Fatal(err)
	}
	cmds := rec.OfType("command:remote:Command")
	if len(cmds) != 1 {
		t.Fatalf("%d commands", len(cmds))
	}
	c := cmds[0]
	if !c.Inputs["stdin"].IsSecret() {
		t.Error("stdin is not secret")
	}
	if c.Inputs["logging"].StringValue() != "none" {
		t.Errorf("logging %v", c.Inputs["logging"])
	}
	if leaks := testkit.PlaintextLeaks(rec.Registrations(), map[string]string{"key": "fixture-private-key-material"}); len(leaks) != 0 {
		t.Errorf("leaks: %v", leaks)
	}
	if p, _ := rec.ByURN(c.Parent); p.Type != TypeToken {
		t.Errorf("step parented to %q", c.Parent)
	}
}

// The step's triggers change exactly when a file's content changes.
func TestTriggersFollowContent(t *testing.T) {
	triggers := func(cert string) string {
		rec, err := run(t, cert)
		if err != nil {
			t.Fatal(err)
		}
		c := rec.OfType("command:remote:Command")[0]
		return c.Inputs["triggers"].String()
	}
	a, b, c := triggers("cert-v1"), triggers("cert-v1"), triggers("cert-v2")
	if a != b {
		t.Error("same content, different triggers")
	}
	if a == c {
		t.Error("rotated certificate did not change the triggers")
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	a := &Args{Files: []File{
		{Path: "/etc/shadow", Mode: "0644", Content: pulumi.String("x")},
		{Path: "/opt/hoodcloud/a b", Mode: "644"},
		{Path: "/opt/hoodcloud/x", Mode: "0644", Content: pulumi.String("x")},
		{Path: "/opt/hoodcloud/x", Mode: "0644", Content: pulumi.String("x")},
	}}
	err := a.Validate()
	for _, want := range []string{"expected a connection", `found "/etc/shadow"`, `found "/opt/hoodcloud/a b"`,
		`found "644"`, "expected content for /opt/hoodcloud/a b", `found "/opt/hoodcloud/x" twice`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}
