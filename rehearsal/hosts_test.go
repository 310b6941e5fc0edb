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
	ru := start(t, stacks.PhaseHosts)
	ops := ru.up(t, "hosts: first up")
	hosts := ru.hostNames(t)
	if len(hosts) != map[string]int{"staging": 1, "prod": 2}[*stack] {
		t.Fatalf("hosts %v", hosts)
	}
	for _, name := range hosts {
		if ops[name+"-baseline"] != "create" || ops[name+"-authorized-keys"] != "create" {
			t.Fatalf("first up: %v", ops)
		}
		h := ru.host(t, name)
		if out := h.run(t, "cloud-init", "status", "--long"); !strings.Contains(out, "status: done") {
			t.Errorf("%s: cloud-init did not finish cleanly:\n%s", name, out)
		}
		keys := h.run(t, "cat", "/root/.ssh/authorized_keys")
		for _, want := range []string{"rehearsal-operator", "-deploy-g1", "-deploy-g2"} {
			if !strings.Contains(keys, want) {
				t.Errorf("%s: authorized_keys lacks %s:\n%s", name, want, keys)
			}
		}
		if out := h.run(t, "docker", "info", "--format", "{{.LiveRestoreEnabled}}"); strings.TrimSpace(out) != "true" {
			t.Errorf("%s: docker live-restore: %q", name, out)
		}
		if out := h.run(t, "systemctl", "is-active", "hoodcloud-block-metadata.service"); strings.TrimSpace(out) != "active" {
			t.Errorf("%s: metadata block: %q", name, out)
		}
		if ru.commandStdout(t, name+"-baseline") == "" {
			t.Errorf("%s: the baseline printed nothing on its first run", name)
		}
	}

	if ops := ru.up(t, "hosts: second up", optup.ExpectNoChanges()); len(ops) != 0 {
		t.Errorf("a second up did %v", ops)
	}

	g1 := ru.deployKey(t, 1)
	ru.set(t, "deployKeyGeneration", "2", false)
	ops = ru.up(t, "hosts: deploy-key rotation")
	for _, name := range hosts {
		if op := ops[name+"-authorized-keys"]; !strings.Contains(op, "replace") {
			t.Errorf("%s-authorized-keys: %q, want a replacement", name, op)
		}
		if op := ops[name+"-baseline"]; op != "update" {
			t.Errorf("%s-baseline: %q, want an update (the reach check)", name, op)
		}
		if got := ru.commandStdout(t, name+"-baseline"); got != "" {
			t.Errorf("the rotation ran %s's baseline script again (stdout %q)", name, got)
		}
		keys := ru.host(t, name).run(t, "cat", "/root/.ssh/authorized_keys")
		if strings.Contains(keys, "-deploy-g1") || !strings.Contains(keys, "-deploy-g2") || !strings.Contains(keys, "-deploy-g3") {
			t.Errorf("%s: after the rotation authorized_keys is:\n%s", name, keys)
		}
		if !ru.host(t, name).refuses(g1) {
			t.Errorf("%s still accepts the rotated-out deploy key", name)
		}
		if ru.host(t, name).refuses(ru.deployKey(t, 2)) {
			t.Errorf("%s refuses the current deploy key", name)
		}
	}
	if ops := ru.up(t, "hosts: up after the rotation", optup.ExpectNoChanges()); len(ops) != 0 {
		t.Errorf("an up after the rotation did %v", ops)
	}

	// An operator leaves, another joins: sshPublicKeys changes and one up carries it to every running
	// server (Hetzner installs keys at creation only); nothing else runs.
	oldOperator := ru.operator
	var pub string
	ru.operator, pub = newOperatorKey(t, "rehearsal-operator-2")
	ru.setJSON(t, "sshPublicKeys", []string{pub})
	ops = ru.up(t, "hosts: operator keys changed")
	for name, op := range ops {
		if strings.HasSuffix(name, "-authorized-keys") || strings.HasPrefix(name, "hetzner-operator-") {
			continue
		}
		t.Errorf("an operator key change did %s %s", op, name)
	}
	for _, name := range hosts {
		h := ru.host(t, name)
		if keys := h.run(t, "cat", "/root/.ssh/authorized_keys"); !strings.Contains(keys, "rehearsal-operator-2") {
			t.Errorf("%s: the new operator is not authorized:\n%s", name, keys)
		}
		if !h.refuses(oldOperator) {
			t.Errorf("%s still accepts the removed operator's key", name)
		}
	}

	if *stack == "prod" {
		// Prod's servers are protected: destroy refuses them (the rehearsal's cleanup removes the containers).
		if err := ru.tryDestroy(t); err == nil || !strings.Contains(err.Error(), "cannot be deleted") {
			t.Errorf("destroy of prod: %v, want the protected servers refused", err)
		}
		return
	}
	if err := ru.tryDestroy(t); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if ids, err := ru.r.Servers(context.Background()); err != nil || len(ids) != 0 {
		t.Errorf("destroy left containers %v (%v)", ids, err)
	}
}
