package rehearsal

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"github.com/hoodcloud/infra/stacks"
)

// The host layer, for real: servers boot from the program's cloud-init (NoCloud seed), the engine dials
// them with the deploy key and pins the host key the program generated, the authorized-keys and baseline
// steps run over SSH; a second up changes nothing; a deploy-key rotation runs no step's script (the real
// pulumi-command runs each step's update command, which prints nothing) and leaves the hosts accepting
// exactly the new generations; destroy removes every container.
func TestHostsRehearsal(t *testing.T) {
	ru := start(t, stacks.HostsProgram)
	ops := ru.up(t, "hosts: first up")
	if ops["control-plane-baseline"] != "create" || ops["control-plane-authorized-keys"] != "create" {
		t.Fatalf("first up: %v", ops)
	}
	cp := ru.host(t, "control-plane")
	if out := cp.run(t, "cloud-init status --long"); !strings.Contains(out, "status: done") {
		t.Errorf("cloud-init did not finish cleanly:\n%s", out)
	}
	keys := cp.run(t, "cat /root/.ssh/authorized_keys")
	for _, want := range []string{"rehearsal-operator", "-deploy-g1", "-deploy-g2"} {
		if !strings.Contains(keys, want) {
			t.Errorf("authorized_keys lacks %s:\n%s", want, keys)
		}
	}
	if out := cp.run(t, "docker info --format '{{.LiveRestoreEnabled}}'"); strings.TrimSpace(out) != "true" {
		t.Errorf("docker live-restore: %q", out)
	}
	if ru.commandStdout(t, "control-plane-baseline") == "" {
		t.Error("the baseline printed nothing on its first run")
	}

	if ops := ru.up(t, "hosts: second up", optup.ExpectNoChanges()); len(ops) != 0 {
		t.Errorf("a second up did %v", ops)
	}

	ru.set(t, "deployKeyGeneration", "2", false)
	ops = ru.up(t, "hosts: deploy-key rotation")
	for name, op := range ops {
		switch {
		case strings.HasSuffix(name, "-authorized-keys"):
			if !strings.Contains(op, "replace") {
				t.Errorf("%s: %s, want a replacement", name, op)
			}
		case strings.HasSuffix(name, "-baseline"):
			if op != "update" {
				t.Errorf("%s: %s, want an update (the reach check)", name, op)
			}
		}
	}
	if got := ru.commandStdout(t, "control-plane-baseline"); got != "" {
		t.Errorf("the rotation ran the baseline script again (stdout %q)", got)
	}
	keys = cp.run(t, "cat /root/.ssh/authorized_keys")
	if strings.Contains(keys, "-deploy-g1") || !strings.Contains(keys, "-deploy-g2") || !strings.Contains(keys, "-deploy-g3") {
		t.Errorf("after the rotation authorized_keys is:\n%s", keys)
	}
	if ops := ru.up(t, "hosts: up after the rotation", optup.ExpectNoChanges()); len(ops) != 0 {
		t.Errorf("an up after the rotation did %v", ops)
	}

	ru.destroy(t)
	if ids, err := ru.r.Containers(context.Background()); err != nil || len(ids) != 0 {
		t.Errorf("destroy left containers %v (%v)", ids, err)
	}
}
