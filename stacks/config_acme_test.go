package stacks_test

import (
	"strings"
	"testing"

	"github.com/hoodcloud/infra/components/nats"
)

// hoodcloud:acmeServer reaches certbot's issue step; empty, the directory follows hoodcloud:acmeStaging.
func TestACMEServerReachesCertbot(t *testing.T) {
	const pebble = "https://pebble.rehearsal:14000/dir"
	for _, c := range []struct {
		name  string
		stack string
		set   map[string]any
		want  string
	}{
		{"prod: acmeStaging false", "prod", nil, nats.LetsEncryptDirectory},
		{"staging: acmeStaging true", "staging", nil, nats.LetsEncryptStagingDirectory},
		{"prod with acmeServer", "prod", map[string]any{"acmeServer": pebble}, pebble},
		{"staging with acmeServer and acmeStaging false", "staging", map[string]any{"acmeServer": pebble, "acmeStaging": false}, pebble},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := stackConfig(t, c.stack)
			for k, v := range c.set {
				sc = sc.With(k, v)
			}
			r, err := runConfig(t, sc)
			if err != nil {
				t.Fatal(err)
			}
			issue, ok := r.rec.Named("command:remote:Command", "nats-certbot-issue")
			if !ok {
				t.Fatal("no nats-certbot-issue step")
			}
			script := plain(issue.Inputs["create"]).StringValue()
			if !strings.Contains(script, "\nserver='"+c.want+"'\n") || !strings.Contains(script, `--server "$server"`) {
				t.Errorf("the issue script does not pass --server %s", c.want)
			}
		})
	}
}
