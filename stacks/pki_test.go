package stacks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoodcloud/infra/internal/testkit"
)

// installedPaths decodes the stdin of a host's PKI files step into path → content.
func installedPaths(t *testing.T, r *run, host string) map[string]string {
	t.Helper()
	step, ok := r.rec.Named("command:remote:Command", host+"-pki-files-install")
	if !ok {
		t.Fatalf("no PKI files step for %s", host)
	}
	if !step.Inputs["stdin"].IsSecret() {
		t.Errorf("%s: PKI files travel in a non-secret stdin", host)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(plain(step.Inputs["stdin"]).StringValue()), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("%s: malformed stdin line", host)
		}
		out[f[0]] = f[1]
	}
	return out
}

// Each server receives exactly the certificate files of the roles it hosts, keys 0644 under the 0711
// secrets directory (guide 2.3), after the host baseline has prepared the server.
func TestEachServerGetsItsRolesCertificates(t *testing.T) {
	r := runStack(t, "prod")
	want := map[string]map[string]string{
		"control-plane": {
			// Vault's CA for the services and certbot; Vault's own listener files come with Vault.
			"/opt/hoodcloud/secrets/vault/ca.crt":         "0644",
			"/opt/hoodcloud/secrets/agent-gateway/ca.crt": "0644", "/opt/hoodcloud/secrets/agent-gateway/server.crt": "0644",
			"/opt/hoodcloud/secrets/agent-gateway/server.key": "0644",
			"/opt/hoodcloud/secrets/payment-client/ca.crt":    "0644", "/opt/hoodcloud/secrets/payment-client/client.crt": "0644",
			"/opt/hoodcloud/secrets/payment-client/client.key": "0644",
		},
		"payment": {
			"/opt/hoodcloud/secrets/vault/ca.crt":       "0644",
			"/opt/hoodcloud/secrets/payment/ca.crt":     "0644",
			"/opt/hoodcloud/secrets/payment/server.crt": "0644", "/opt/hoodcloud/secrets/payment/server.key": "0644",
		},
	}
	for host, files := range want {
		if d := cmp.Diff(files, installedPaths(t, r, host)); d != "" {
			t.Errorf("%s files (-want +got):\n%s", host, d)
		}
		step, _ := r.rec.Named("command:remote:Command", host+"-pki-files-install")
		baseline, _ := r.rec.Named("command:remote:Command", host+"-baseline")
		if !r.rec.DependsOn(step, baseline.URN) {
			t.Errorf("%s: PKI files are installed before the host baseline", host)
		}
	}
}

// The payment server certificate carries the payment server's addresses: the control plane dials it by IP.
func TestPaymentCertificateNamesThePaymentServer(t *testing.T) {
	r := runStack(t, "prod")
	req, ok := r.rec.Named("tls:index/certRequest:CertRequest", "pki-payment-server-csr")
	if !ok {
		for _, g := range r.rec.OfType("tls:index/certRequest:CertRequest") {
			t.Log(g.Name)
		}
		t.Fatal("no payment server certificate request")
	}
	ips := strs(req.Inputs["ipAddresses"])
	if !slices.Contains(ips, testkit.FakeIPv4("payment-address-ipv4")) || slices.Contains(ips, testkit.FakeIPv4("control-plane-address-ipv4")) {
		t.Errorf("payment certificate IP SANs %v", ips)
	}
}
