package nats

import (
	"strings"
	"testing"

	"github.com/hoodcloud/infra/internal/platform"
	"github.com/hoodcloud/infra/internal/testkit"
)

// golden compares got with testdata/name, rewriting it under -update.

func TestConfigGolden(t *testing.T) {
	id := fixtureIdentity(t)
	conf, err := RenderConfig(ConfigParams{Hostname: "nats.example.com", TLS: true, Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "nats.conf.golden", conf)
	plain, err := RenderConfig(ConfigParams{Hostname: "nats.example.com", TLS: false, Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Golden(t, "nats-no-tls.conf.golden", plain)
}

func TestConfigHoldsThePublicIdentityOnly(t *testing.T) {
	id := fixtureIdentity(t)
	conf, err := RenderConfig(ConfigParams{Hostname: "nats.example.com", TLS: true, Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`operator: "` + id.OperatorJWT + `"`,
		"system_account: " + id.SystemAccountPublicKey,
		"resolver: MEMORY",
		id.SystemAccountPublicKey + `: "` + id.SystemAccountJWT + `"`,
		id.CtrlAccountPublicKey + `: "` + id.CtrlAccountJWT + `"`,
		`cert_file: "` + TLSCertFile + `"`,
		`key_file: "` + TLSKeyFile + `"`,
		`listen: "0.0.0.0:4222"`,
		`http: "127.0.0.1:8222"`,
		`store_dir: "/data"`,
		"jetstream {",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("nats.conf lacks %q", want)
		}
	}
	for name, secret := range map[string]string{"signing seed": id.CtrlSigningSeed, "creds": id.PaymentCreds,
		"user JWT": id.PaymentUserJWT} {
		if strings.Contains(conf, secret) {
			t.Errorf("nats.conf contains the %s", name)
		}
	}
	for _, seedPrefix := range []string{"SO", "SA", "SU"} {
		for _, line := range strings.Split(conf, "\n") {
			for _, f := range strings.FieldsFunc(line, func(r rune) bool { return strings.ContainsRune(` :"{}`, r) }) {
				if len(f) == 58 && strings.HasPrefix(f, seedPrefix) {
					t.Errorf("nats.conf contains what looks like a seed: %s", f)
				}
			}
		}
	}
	res, err := RenderResolverConfig(id)
	if err != nil || !strings.Contains(conf, res) || strings.Contains(res, "tls {") {
		t.Errorf("resolver.conf is not the operator part of nats.conf (%v):\n%s", err, res)
	}
	testkit.Golden(t, "resolver.conf.golden", res)
	bad := *id
	bad.CtrlAccountJWT = `x" } include "/etc/passwd`
	if _, err := RenderConfig(ConfigParams{Identity: &bad}); err == nil {
		t.Errorf("a malformed JWT was rendered")
	}
}

// TestPortsMatchThePortReference: 4222 on loopback and 4223 on every interface, both onto the one
// client listener.
func TestPortsMatchThePortReference(t *testing.T) {
	want := map[int]string{}
	for _, e := range platform.EntriesFor([]platform.Role{platform.ControlPlane}) {
		if strings.HasPrefix(e.Service, "NATS") {
			want[e.Port] = e.Bind
		}
	}
	if len(want) != 2 {
		t.Fatalf("Port Reference NATS rows: %v", want)
	}
	got := map[int]string{}
	for _, p := range ComposePorts() {
		parts := strings.Split(p, ":")
		if len(parts) != 3 || parts[2] != "4222" {
			t.Errorf("port %q does not map onto the client listener", p)
			continue
		}
		var port int
		for _, c := range parts[1] {
			port = port*10 + int(c-'0')
		}
		got[port] = parts[0]
	}
	if len(got) != len(want) || got[ClientPort] != want[ClientPort] || got[ExternalPort] != want[ExternalPort] {
		t.Errorf("compose ports %v, Port Reference %v", got, want)
	}
}
