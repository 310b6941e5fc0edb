package pki_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/hoodcloud/infra/components/pki"
	"github.com/hoodcloud/infra/internal/testkit"
)

const (
	typePrivateKey  = "tls:index/privateKey:PrivateKey"
	typeSelfSigned  = "tls:index/selfSignedCert:SelfSignedCert"
	typeCertRequest = "tls:index/certRequest:CertRequest"
	typeLocally     = "tls:index/locallySignedCert:LocallySignedCert"
)

func component(t *testing.T, r *run) testkit.Registration {
	t.Helper()
	regs := r.rec.OfType(pki.TypeToken)
	if len(regs) != 1 || regs[0].Name != "pki" {
		t.Fatalf("component registrations %v, want one named pki", regs)
	}
	return regs[0]
}

// The graph: three CAs (key + self-signed cert), four leaves (key + request + signed cert), every one
// parented to the component and named from it.
func TestEveryChildIsParentedAndNamedFromTheComponent(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	c := component(t, r)
	var names []string
	for _, g := range r.rec.Registrations() {
		if g.Type == pki.TypeToken {
			continue
		}
		names = append(names, g.Name)
		if g.Parent != c.URN {
			t.Errorf("%s %s: parent %q, want the component", g.Type, g.Name, g.Parent)
		}
		if !strings.HasPrefix(g.Name, "pki-") {
			t.Errorf("%s: name not derived from the component's", g.Name)
		}
	}
	sort.Strings(names)
	want := []string{
		"pki-agent-gateway-ca-cert", "pki-agent-gateway-ca-key",
		"pki-agent-gateway-server-cert", "pki-agent-gateway-server-csr", "pki-agent-gateway-server-key",
		"pki-payment-ca-cert", "pki-payment-ca-key",
		"pki-payment-client-cert", "pki-payment-client-csr", "pki-payment-client-key",
		"pki-payment-server-cert", "pki-payment-server-csr", "pki-payment-server-key",
		"pki-vault-ca-cert", "pki-vault-ca-key",
		"pki-vault-server-cert", "pki-vault-server-csr", "pki-vault-server-key",
	}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("children (-want +got):\n%s", d)
	}
	for _, k := range r.rec.OfType(typePrivateKey) {
		if k.Inputs["algorithm"].StringValue() != "ECDSA" || k.Inputs["ecdsaCurve"].StringValue() != "P256" {
			t.Errorf("%s: key %v/%v, want ECDSA P256", k.Name, k.Inputs["algorithm"], k.Inputs["ecdsaCurve"])
		}
	}
}

func isCAResource(name string) bool { return strings.Contains(name, "-ca-") }

// CA keys and certificates are protected exactly when Protect is set; leaves never are (they rotate).
func TestProtectCoversCAsOnly(t *testing.T) {
	for _, protect := range []bool{false, true} {
		args := fixtureArgs()
		args.Protect = protect
		r := runPKI(t, args)
		cas := 0
		for _, g := range r.rec.Registrations() {
			if g.Type == pki.TypeToken {
				continue
			}
			want := protect && isCAResource(g.Name)
			if isCAResource(g.Name) {
				cas++
			}
			if g.Protect != want {
				t.Errorf("Protect=%v: %s protect=%v, want %v", protect, g.Name, g.Protect, want)
			}
		}
		if cas != 6 {
			t.Errorf("found %d CA resources, want 6", cas)
		}
	}
}

func number(t *testing.T, g testkit.Registration, key string) int {
	t.Helper()
	v := g.Inputs[resource.PropertyKey(key)]
	if !v.IsNumber() {
		t.Fatalf("%s: %s is %v, want a number", g.Name, key, v)
	}
	return int(v.NumberValue())
}

func strs(v resource.PropertyValue) []string {
	var out []string
	for _, e := range v.ArrayValue() {
		out = append(out, e.StringValue())
	}
	return out
}

// Leaves renew early: any `pulumi up` in their last 30 days replaces them. CAs renew one leaf validity
// early, so no leaf outlives its CA.
func TestValidityAndEarlyRenewalInputs(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	leaves := r.rec.OfType(typeLocally)
	if len(leaves) != 4 {
		t.Fatalf("%d signed leaves, want 4", len(leaves))
	}
	for _, g := range leaves {
		if got := number(t, g, "validityPeriodHours"); got != 2160 {
			t.Errorf("%s: validity %dh, want 2160", g.Name, got)
		}
		if got := number(t, g, "earlyRenewalHours"); got != 720 {
			t.Errorf("%s: early renewal %dh, want 720", g.Name, got)
		}
		if g.Inputs["isCaCertificate"].IsBool() && g.Inputs["isCaCertificate"].BoolValue() {
			t.Errorf("%s: leaf marked as CA", g.Name)
		}
	}
	cas := r.rec.OfType(typeSelfSigned)
	if len(cas) != 3 {
		t.Fatalf("%d CAs, want 3", len(cas))
	}
	for _, g := range cas {
		if got := number(t, g, "validityPeriodHours"); got != 87600 {
			t.Errorf("%s: validity %dh, want 87600", g.Name, got)
		}
		if got := number(t, g, "earlyRenewalHours"); got != 2160 {
			t.Errorf("%s: early renewal %dh, want one leaf validity (2160)", g.Name, got)
		}
		if !g.Inputs["isCaCertificate"].BoolValue() {
			t.Errorf("%s: not a CA", g.Name)
		}
		if d := cmp.Diff([]string{"cert_signing", "crl_signing", "digital_signature"}, strs(g.Inputs["allowedUses"])); d != "" {
			t.Errorf("%s allowed uses (-want +got):\n%s", g.Name, d)
		}
	}
}

// Private keys are secrets wherever they appear, and no private key is anywhere in plaintext.
func TestPrivateKeysStaySecret(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	secrets := map[string]string{}
	for _, k := range r.rec.OfType(typePrivateKey) {
		for _, out := range []resource.PropertyKey{"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"} {
			v := k.Outputs[out]
			if !v.IsSecret() {
				t.Errorf("%s.%s is not secret", k.Name, out)
				continue
			}
			if s := v.SecretValue().Element.StringValue(); s != "" {
				secrets[k.Name+"."+string(out)] = strings.TrimSpace(s)
			}
		}
	}
	if len(secrets) < 7*2 {
		t.Fatalf("found only %d private key secrets", len(secrets))
	}
	for name, c := range map[string]resolvedCert{"vault": r.vault, "payment": r.payment, "client": r.client, "agent": r.agent} {
		if !c.key.secret {
			t.Errorf("%s KeyPEM is not secret", name)
		}
		if c.cert.secret || c.ca.secret {
			t.Errorf("%s certificate or CA is secret; consumers need them in plaintext", name)
		}
		if !strings.Contains(c.key.s, "PRIVATE KEY") {
			t.Errorf("%s KeyPEM is not a private key", name)
		}
	}
	if leaks := testkit.PlaintextLeaks(r.rec.Registrations(), secrets); len(leaks) > 0 {
		for _, l := range leaks {
			t.Error(l)
		}
	}
	for _, g := range r.rec.Registrations() {
		for side, m := range map[string]resource.PropertyMap{"inputs": g.Inputs, "outputs": g.Outputs} {
			for path, s := range testkit.PlainStrings(resource.NewProperty(m)) {
				if strings.Contains(s, "PRIVATE KEY") {
					t.Errorf("%s %s%s holds a private key in plaintext", g.Name, side, path)
				}
			}
		}
	}
}

// Two runs register byte-identical inputs and yield the same certificates: a second `pulumi up` changes
// nothing.
func TestDeterministic(t *testing.T) {
	a, b := runPKI(t, fixtureArgs()), runPKI(t, fixtureArgs())
	if d := cmp.Diff(a.rec.Snapshot(t), b.rec.Snapshot(t)); d != "" {
		t.Errorf("inputs differ between two runs:\n%s", d)
	}
	if a.payment.cert != b.payment.cert || a.vaultCA != b.vaultCA {
		t.Error("certificates differ between two runs")
	}
	if d := cmp.Diff(a.fileHashes, b.fileHashes); d != "" {
		t.Errorf("file hashes differ between two runs:\n%s", d)
	}
}

// Addresses that are not addresses fail the run instead of issuing a certificate no peer accepts.
func TestRejectsANetworkForAnAddress(t *testing.T) {
	args := fixtureArgs()
	args.PaymentIPs = pulumiStrings("203.0.113.20", "2001:db8:20::/64")
	_, err := runErr(args)
	if err == nil || !strings.Contains(err.Error(), `"2001:db8:20::/64"`) {
		t.Fatalf("got %v, want an error naming the bad address", err)
	}
}
