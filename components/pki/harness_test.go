package pki_test

import (
	"crypto/x509"
	"encoding/pem"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/components/pki"
	"github.com/hoodcloud/infra/internal/platform"
	"github.com/hoodcloud/infra/internal/testkit"
)

const domain = "hoodcloud.example"

// Prod's layout: Vault on the control plane server, the payment service on its own.
var (
	controlPlaneIPs = []string{"203.0.113.10", "2001:db8:10::1"}
	paymentIPs      = []string{"203.0.113.20", "2001:db8:20::1"}
)

func fixtureArgs() *pki.Args {
	return &pki.Args{
		Domain:          domain,
		VaultIPs:        pulumi.ToStringArray(controlPlaneIPs),
		PaymentIPs:      pulumi.ToStringArray(paymentIPs),
		ControlPlaneIPs: pulumi.ToStringArray(controlPlaneIPs),
	}
}

// value is one resolved output.
type value struct {
	s      string
	secret bool
}

// resolvedCert is a pki.Certificate after the run.
type resolvedCert struct{ cert, key, ca, end value }

// resolvedFile is a pki.File after the run.
type resolvedFile struct {
	pki.File
	content, hash value
}

// run is one mocked deployment of the component with everything it outputs resolved.
type run struct {
	rec                                     *testkit.Recorder
	vaultCA, paymentCA, agentCA, agentCAKey value
	vault, payment, client, agent           resolvedCert
	files                                   map[platform.Role][]resolvedFile
	fileHashes                              map[string]string
	// prodControlPlaneHost is FilesForRoles of prod's control plane server (control plane + Vault);
	// hashFor is HashFor of those roles in both orders.
	prodControlPlaneHost []resolvedFile
	hashFor              [2]value
}

var prodControlPlaneRoles = []platform.Role{platform.ControlPlane, platform.Vault}

func await(t testing.TB, o pulumi.Output) value {
	t.Helper()
	v, secret, err := testkit.Await(o)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("output resolved to %T, want string", v)
	}
	return value{s, secret}
}

func runPKI(t testing.TB, args *pki.Args) *run {
	t.Helper()
	r := &run{rec: testkit.NewRecorder("hoodcloud", "test")}
	var p *pki.PKI
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var err error
		p, err = pki.New(ctx, "pki", args)
		return err
	}, pulumi.WithMocks("hoodcloud", "test", r.rec))
	if err != nil {
		t.Fatal(err)
	}
	cert := func(c pki.Certificate) resolvedCert {
		return resolvedCert{await(t, c.CertPEM), await(t, c.KeyPEM), await(t, c.CAPEM), await(t, c.ValidityEndTime)}
	}
	r.vaultCA, r.paymentCA, r.agentCA = await(t, p.VaultCAPEM), await(t, p.PaymentCAPEM), await(t, p.AgentGatewayCAPEM)
	r.agentCAKey = await(t, p.AgentGatewayCAKeyPEM)
	r.vault, r.payment = cert(p.VaultServer), cert(p.PaymentServer)
	r.client, r.agent = cert(p.ControlPlanePaymentClient), cert(p.AgentGatewayServer)
	r.files = map[platform.Role][]resolvedFile{}
	for _, role := range platform.AllRoles {
		for _, f := range p.FilesFor(role) {
			r.files[role] = append(r.files[role], resolvedFile{File: f, content: await(t, f.Content), hash: await(t, f.Hash)})
		}
	}
	for _, f := range p.FilesForRoles(prodControlPlaneRoles) {
		r.prodControlPlaneHost = append(r.prodControlPlaneHost, resolvedFile{File: f, content: await(t, f.Content), hash: await(t, f.Hash)})
	}
	r.hashFor[0] = await(t, p.HashFor(prodControlPlaneRoles))
	r.hashFor[1] = await(t, p.HashFor([]platform.Role{platform.Vault, platform.ControlPlane}))
	hv, _, err := testkit.Await(p.FileHashes)
	if err != nil {
		t.Fatal(err)
	}
	r.fileHashes = hv.(map[string]string)
	return r
}

func parseCert(t testing.TB, s string) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", s)
	}
	if len(rest) != 0 {
		t.Fatalf("trailing data after the certificate: %q", rest)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pool(t testing.TB, caPEM string) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM([]byte(caPEM)) {
		t.Fatalf("CA PEM does not parse: %q", caPEM)
	}
	return p
}

func pulumiStrings(s ...string) pulumi.StringArray { return pulumi.ToStringArray(s) }

// runErr runs the component and returns what was registered and the run's error.
func runErr(args *pki.Args) (*testkit.Recorder, error) {
	rec := testkit.NewRecorder("hoodcloud", "test")
	return rec, pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := pki.New(ctx, "pki", args)
		return err
	}, pulumi.WithMocks("hoodcloud", "test", rec))
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
