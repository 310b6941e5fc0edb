package pki_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"net"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/hoodcloud/infra/components/pki"
)

// leafCase is what one leaf must be: its issuer, names, usages.
type leafCase struct {
	name     string
	c        resolvedCert
	ca       string
	cn       string
	dns, ips []string
	keyUsage x509.KeyUsage
	eku      x509.ExtKeyUsage
}

func leafCases(r *run) []leafCase {
	server := x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	return []leafCase{
		{"vault server", r.vault, r.vaultCA.s, "vault." + domain, []string{"vault." + domain, "localhost"},
			append(append([]string{}, controlPlaneIPs...), "127.0.0.1"), server, x509.ExtKeyUsageServerAuth},
		{"payment server", r.payment, r.paymentCA.s, "payment." + domain, []string{"payment." + domain},
			paymentIPs, server, x509.ExtKeyUsageServerAuth},
		{"control plane payment client", r.client, r.paymentCA.s, pki.ControlPlaneClientName, nil, nil,
			x509.KeyUsageDigitalSignature, x509.ExtKeyUsageClientAuth},
		{"agent gateway server", r.agent, r.agentCA.s, "agents." + domain, []string{"agents." + domain},
			controlPlaneIPs, server, x509.ExtKeyUsageServerAuth},
	}
}

func ipStrings(ips []net.IP) []string {
	var out []string
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	return out
}

func TestLeavesChainToTheirCAWithTheirNamesAndUsages(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	for _, lc := range leafCases(r) {
		t.Run(lc.name, func(t *testing.T) {
			leaf := parseCert(t, lc.c.cert.s)
			if lc.c.ca.s != lc.ca {
				t.Errorf("CAPEM is not the issuing CA's certificate")
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool(t, lc.ca), KeyUsages: []x509.ExtKeyUsage{lc.eku}}); err != nil {
				t.Errorf("does not verify against its CA for %v: %v", lc.eku, err)
			}
			if leaf.Subject.CommonName != lc.cn || !slices.Equal(leaf.Subject.Organization, []string{pki.Organization}) {
				t.Errorf("subject %v, want CN=%s,O=%s", leaf.Subject, lc.cn, pki.Organization)
			}
			if !slices.Equal(leaf.DNSNames, lc.dns) {
				t.Errorf("DNS SANs %v, want %v", leaf.DNSNames, lc.dns)
			}
			if got := ipStrings(leaf.IPAddresses); !slices.Equal(got, lc.ips) {
				t.Errorf("IP SANs %v, want %v", got, lc.ips)
			}
			if leaf.KeyUsage != lc.keyUsage {
				t.Errorf("key usage %b, want %b", leaf.KeyUsage, lc.keyUsage)
			}
			if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{lc.eku}) {
				t.Errorf("extended key usage %v, want only %v", leaf.ExtKeyUsage, lc.eku)
			}
			if leaf.IsCA {
				t.Error("a leaf is a CA")
			}
			if got := leaf.NotAfter.Sub(leaf.NotBefore); got != 2160*time.Hour {
				t.Errorf("leaf validity %v, want 90 days", got)
			}
			if end := lc.c.end.s; end != leaf.NotAfter.UTC().Format(time.RFC3339) {
				t.Errorf("ValidityEndTime %s, certificate ends %s", end, leaf.NotAfter)
			}
			pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
			if !ok || pub.Curve != elliptic.P256() {
				t.Errorf("leaf key is %T, want ECDSA P-256", leaf.PublicKey)
			}
		})
	}
}

// Each trust domain is separate: no leaf verifies against another domain's CA.
func TestTrustDomainsAreSeparate(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	cas := map[string]string{"vault": r.vaultCA.s, "payment": r.paymentCA.s, "agent gateway": r.agentCA.s}
	names := make([]string, 0, len(cas))
	for n := range cas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, lc := range leafCases(r) {
		for _, n := range names {
			if cas[n] == lc.ca {
				continue
			}
			leaf := parseCert(t, lc.c.cert.s)
			_, err := leaf.Verify(x509.VerifyOptions{Roots: pool(t, cas[n]), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			if err == nil {
				t.Errorf("%s verifies against the %s CA", lc.name, n)
			}
		}
	}
}

func TestCAsAreTenYearSigningOnlyCAs(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	for name, pem := range map[string]string{"vault": r.vaultCA.s, "payment": r.paymentCA.s, "agent gateway": r.agentCA.s} {
		ca := parseCert(t, pem)
		if !ca.IsCA || !ca.BasicConstraintsValid {
			t.Errorf("%s CA: IsCA=%v BasicConstraintsValid=%v", name, ca.IsCA, ca.BasicConstraintsValid)
		}
		want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
		if ca.KeyUsage != want {
			t.Errorf("%s CA key usage %b, want %b", name, ca.KeyUsage, want)
		}
		if got := ca.NotAfter.Sub(ca.NotBefore); got != 87600*time.Hour {
			t.Errorf("%s CA validity %v, want 10 years", name, got)
		}
		if err := ca.CheckSignatureFrom(ca); err != nil {
			t.Errorf("%s CA is not self-signed: %v", name, err)
		}
		if ca.Subject.CommonName == "" || !slices.Equal(ca.Subject.Organization, []string{pki.Organization}) {
			t.Errorf("%s CA subject %v", name, ca.Subject)
		}
	}
	if parseCert(t, r.vaultCA.s).NotAfter.Before(parseCert(t, r.vault.cert.s).NotAfter) {
		t.Error("the Vault leaf outlives its CA")
	}
}

// Validity settings flow through: shorter leaves, a shorter CA.
func TestValiditySettingsApply(t *testing.T) {
	args := fixtureArgs()
	args.LeafValidityHours, args.RenewBeforeHours, args.CAValidityHours = 48, 24, 1000
	r := runPKI(t, args)
	if got := parseCert(t, r.payment.cert.s); got.NotAfter.Sub(got.NotBefore) != 48*time.Hour {
		t.Errorf("leaf validity %v, want 48h", got.NotAfter.Sub(got.NotBefore))
	}
	if got := parseCert(t, r.paymentCA.s); got.NotAfter.Sub(got.NotBefore) != 1000*time.Hour {
		t.Errorf("CA validity %v, want 1000h", got.NotAfter.Sub(got.NotBefore))
	}
}
