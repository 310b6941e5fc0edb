package stacks_test

import (
	"strings"
	"testing"

	"github.com/hoodcloud/infra/components/hcloudhost"
)

// Every remote step pins the server's host key, authenticates with the graph's deploy key (secret) and
// retries dials long enough for a booting server.
func TestRemoteStepsPinTheHostKey(t *testing.T) {
	r := runStack(t, "prod")
	cmds := r.rec.OfType("command:remote:Command")
	if len(cmds) == 0 {
		t.Fatal("no remote steps")
	}
	for _, c := range cmds {
		host := strings.TrimSuffix(c.Name, "-baseline")
		key, ok := r.rec.Named("tls:index/privateKey:PrivateKey", host+"-host-key")
		if !ok {
			t.Fatalf("%s: no host key %s", c.Name, host)
		}
		conn := plain(c.Inputs["connection"]).ObjectValue()
		if got, want := str(conn, "hostKey"), str(key.Outputs, "publicKeyOpenssh"); got == "" || got != want {
			t.Errorf("%s: connection hostKey %q, want the server's key %q", c.Name, got, want)
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
		if len(strs(c.Inputs["triggers"])) == 0 {
			t.Errorf("%s has no content-hash trigger", c.Name)
		}
	}
}

// Editing cloud-init must not replace a running server: the provider would, so user data (and the other
// create-only fields) are ignored after creation.
func TestCloudInitEditsDoNotReplaceServers(t *testing.T) {
	r := runStack(t, "prod")
	for _, s := range r.rec.OfType("hcloud:index/server:Server") {
		for _, f := range []string{"userData", "image", "sshKeys"} {
			if !contains(s.IgnoreChanges, f) {
				t.Errorf("%s: %s changes would replace the server (ignoreChanges=%v)", s.Name, f, s.IgnoreChanges)
			}
		}
	}
}
