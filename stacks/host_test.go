package stacks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hoodcloud/infra/components/hcloudhost"
	"github.com/hoodcloud/infra/internal/testkit"
)

// Every remote step pins the server's host key, authenticates with the graph's deploy key (secret) and
// retries dials long enough for a booting server.
func TestRemoteStepsPinTheHostKey(t *testing.T) {
	r := runStack(t, "prod")
	cmds := r.rec.OfType("command:remote:Command")
	if len(cmds) == 0 {
		t.Fatal("no remote steps")
	}
	hostKeys := map[string]string{} // public key → server
	for _, k := range r.rec.OfType("tls:index/privateKey:PrivateKey") {
		if strings.HasSuffix(k.Name, "-host-key") {
			hostKeys[str(k.Outputs, "publicKeyOpenssh")] = strings.TrimSuffix(k.Name, "-host-key")
		}
	}
	for _, c := range cmds {
		conn := plain(c.Inputs["connection"]).ObjectValue()
		host, ok := hostKeys[str(conn, "hostKey")]
		if !ok {
			t.Errorf("%s: connection hostKey %q is not a server's host key", c.Name, str(conn, "hostKey"))
			continue
		}
		if got := str(conn, "host"); got != testkit.FakeIPv4(host+"-address-ipv4") {
			t.Errorf("%s: dials %q, but pins the host key of %s", c.Name, got, host)
		}
		// The SDK marks the whole connection secret when a field of it is; either way the key is covered.
		if !c.Inputs["connection"].ContainsSecrets() || !strings.Contains(str(conn, "privateKey"), "OPENSSH PRIVATE KEY") {
			t.Errorf("%s: deploy private key missing or not secret in the connection", c.Name)
		}
		if got := plain(conn["dialErrorLimit"]).NumberValue(); got != hcloudhost.DialErrorLimit {
			t.Errorf("%s: dialErrorLimit %v", c.Name, got)
		}
		if got := str(conn, "user"); got != "root" {
			t.Errorf("%s: user %q", c.Name, got)
		}
		server, _ := r.rec.Named("hcloud:index/server:Server", host+"-server")
		if !r.rec.DependsOn(c, server.URN) {
			t.Errorf("%s does not wait for its server", c.Name)
		}
		if len(plain(c.Inputs["triggers"]).ArrayValue()) == 0 {
			t.Errorf("%s has no content-hash trigger", c.Name)
		}
		// Every step after the baseline waits for it (Docker, directories); authorized_keys needs only SSH.
		if !strings.HasSuffix(c.Name, "-baseline") && !strings.HasSuffix(c.Name, "-authorized-keys") {
			baseline, _ := r.rec.Named("command:remote:Command", host+"-baseline")
			if !r.rec.DependsOn(c, baseline.URN) {
				t.Errorf("%s does not wait for %s's baseline", c.Name, host)
			}
		}
	}
}

// Editing cloud-init must not replace a running server: the provider would, so user data (and the other
// create-only fields) are ignored after creation.
func TestCloudInitEditsDoNotReplaceServers(t *testing.T) {
	r := runStack(t, "prod")
	for _, s := range r.rec.OfType("hcloud:index/server:Server") {
		for _, f := range []string{"userData", "image", "sshKeys"} {
			if !slices.Contains(s.IgnoreChanges, f) {
				t.Errorf("%s: %s changes would replace the server (ignoreChanges=%v)", s.Name, f, s.IgnoreChanges)
			}
		}
	}
}
