package vault

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/testkit"
)

// Fixture secrets of the mock tests; the sweep looks for each in every plaintext input and output.
const (
	cloudflareToken   = "cf-fixture-token-9d2b71"
	stripeKey         = "sk_live_fixture_4eC39HqLyjWDarjtT1zdp7dc"
	stripeWebhook     = "whsec_fixture_77a1c3"
	mockRootToken     = "hvs.MOCKROOTTOKENb81e44"
	mockProgramSecret = "program-secret-id-c0ffee42"
	mockProgramRole   = "program-role-id-5150"
	sshKeyFixture     = "fixture-ssh-private-key-31d7"
	awsSecretFixture  = "fixture-aws-secret-key-0a9e"
)

var mockUnsealKeys = []string{"TU9DSy11bnNlYWwtMQ==", "TU9DSy11bnNlYWwtMg==", "TU9DSy11bnNlYWwtMw==",
	"TU9DSy11bnNlYWwtNA==", "TU9DSy11bnNlYWwtNQ=="}

// tlsFixture is a real CA, server certificate and key, made once so that every run sees the same.
type tlsFixture struct{ CA, Cert, Key string }

var (
	tlsOnce sync.Once
	tlsFix  tlsFixture
	tlsErr  error
)

func fixtureTLS(t testing.TB) tlsFixture {
	t.Helper()
	tlsOnce.Do(func() { tlsFix, tlsErr = newTLSFixture() })
	if tlsErr != nil {
		t.Fatal(tlsErr)
	}
	return tlsFix
}

func newTLSFixture() (tlsFixture, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tlsFixture{}, err
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "HoodCloud Vault CA"},
		NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(2000000000, 0), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return tlsFixture{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tlsFixture{}, err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "vault"},
		NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(2000000000, 0),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("203.0.113.10")}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return tlsFixture{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tlsFixture{}, err
	}
	return tlsFixture{
		CA:   string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})),
		Cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})),
		Key:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
	}, nil
}

func mockInitJSON() string {
	return `{"unseal_keys_b64":["` + strings.Join(mockUnsealKeys, `","`) + `"],"unseal_shares":5,"unseal_threshold":3,"root_token":"` + mockRootToken + `"}`
}

// fakeCommand answers the bootstrap steps as Vault does.
var fakeCommand = testkit.CommandStdout(map[string]string{
	"-init":        mockInitJSON(),
	"-credential":  `{"role_id":"` + mockProgramRole + `","secret_id":"` + mockProgramSecret + `"}`,
	"-revoke-root": `{"revoked":true,"already_revoked":false}`,
})

func consumerSecretID(name string) string { return "consumer-secret-id-of-" + name }

func fakeRole(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	outs := a.Inputs.Copy()
	outs["roleId"] = resource.NewProperty("role-id-of-" + a.Inputs["roleName"].StringValue())
	return a.Name + "-id", outs, nil
}

func fakeSecretID(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	outs := a.Inputs.Copy()
	outs["secretId"] = resource.MakeSecret(resource.NewProperty(consumerSecretID(a.Name)))
	outs["accessor"] = resource.NewProperty("accessor-of-" + a.Name)
	return a.Name + "-id", outs, nil
}

func newRecorder() *testkit.Recorder {
	rec := testkit.NewRecorder("hoodcloud", "test")
	rec.Resources["command:remote:Command"] = fakeCommand
	rec.Resources["vault:appRole/authBackendRole:AuthBackendRole"] = fakeRole
	rec.Resources["vault:appRole/authBackendRoleSecretId:AuthBackendRoleSecretId"] = fakeSecretID
	return rec
}

func conn(host string) remote.ConnectionArgs {
	return remote.ConnectionArgs{
		Host:       pulumi.String(host),
		User:       pulumi.String("root"),
		PrivateKey: pulumi.ToSecret(pulumi.String(sshKeyFixture)).(pulumi.StringOutput),
		HostKey:    pulumi.String("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureHostKey"),
	}
}

func secretString(s string) pulumi.StringInput {
	return pulumi.ToSecret(pulumi.String(s)).(pulumi.StringOutput)
}

// fixtureArgs is a production-like bootstrap: three consumers, two secrets, protected.
func fixtureArgs(t testing.TB, caDir string) *Args {
	f := fixtureTLS(t)
	cp, pay := conn("203.0.113.10"), conn("203.0.113.20")
	return &Args{
		Host:      testkit.Target(cp),
		Address:   pulumi.String("https://203.0.113.10:8200"),
		CACertPEM: pulumi.String(f.CA),
		CertPEM:   pulumi.String(f.Cert),
		KeyPEM:    secretString(f.Key),
		Consumers: []Consumer{
			{Name: "control-plane", Host: testkit.Target(cp), Paths: []PathRule{
				{Path: "secret/data/control-plane/*", Capabilities: []string{"read"}},
				{Path: "secret/data/nats/*", Capabilities: []string{"read"}},
			}},
			{Name: "payment", Host: testkit.Target(pay), Paths: []PathRule{
				{Path: "secret/data/payment/*", Capabilities: []string{"read"}},
			}},
			{Name: "certbot", Host: testkit.Target(cp), Paths: []PathRule{
				{Path: "secret/data/infra/certbot/cloudflare", Capabilities: []string{"read"}},
			}},
		},
		Secrets: []Secret{
			{Path: "infra/certbot/cloudflare", Data: map[string]pulumi.StringInput{"api_token": secretString(cloudflareToken)}},
			{Path: "payment/stripe", Data: map[string]pulumi.StringInput{
				"webhook_secret": secretString(stripeWebhook), "secret_key": secretString(stripeKey)}},
		},
		CACertDir: caDir,
		Protect:   true,
	}
}

// fixtureSecrets is every secret of a fixture run, for the sweep.
func fixtureSecrets(t testing.TB) map[string]string {
	m := map[string]string{
		"cloudflare token": cloudflareToken, "stripe key": stripeKey, "stripe webhook": stripeWebhook,
		"root token": mockRootToken, "program secret id": mockProgramSecret, "ssh key": sshKeyFixture,
		"tls key": strings.Split(fixtureTLS(t).Key, "\n")[1], "aws secret": awsSecretFixture,
	}
	for i, k := range mockUnsealKeys {
		m["unseal key "+string(rune('1'+i))] = k
	}
	for _, c := range []string{"control-plane", "payment", "certbot"} {
		m["secret id of "+c] = consumerSecretID("vault-" + c + "-secret-id")
	}
	return m
}

type result struct {
	rec *testkit.Recorder
	v   *Vault
	// resolved outputs of the component
	initOutput       any
	initSecret       bool
	revoked          any
	revokedSecret    bool
	roleIDs          any
	baselineURN      string
	payBaselineURN   string
	providerInputMap resource.PropertyMap
}

// runVault runs New inside a mocked program and resolves the outputs the tests look at.
func runVault(t testing.TB, mutate func(a *Args)) (*result, error) {
	t.Helper()
	rec := newRecorder()
	r := &result{rec: rec}
	// Not t.TempDir: a run that fails early returns while the CA file's write may still be under way, and
	// the test's cleanup would race it. The files are removed with the package's directory (TestMain).
	caDir, err := os.MkdirTemp(caRoot, "ca-")
	if err != nil {
		t.Fatal(err)
	}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		// Stand-ins for the hosts' baseline steps, which the install and file steps must wait for.
		baseline, err := remote.NewCommand(ctx, "control-plane-baseline", &remote.CommandArgs{Connection: conn("203.0.113.10"), Create: pulumi.String("true")})
		if err != nil {
			return err
		}
		payBaseline, err := remote.NewCommand(ctx, "payment-baseline", &remote.CommandArgs{Connection: conn("203.0.113.20"), Create: pulumi.String("true")})
		if err != nil {
			return err
		}
		args := fixtureArgs(t, caDir)
		args.DependsOn = []pulumi.Resource{baseline}
		for i := range args.Consumers {
			args.Consumers[i].DependsOn = []pulumi.Resource{baseline}
			if args.Consumers[i].Name == "payment" {
				args.Consumers[i].DependsOn = []pulumi.Resource{payBaseline}
			}
		}
		if mutate != nil {
			mutate(args)
		}
		v, err := New(ctx, "vault", args)
		if err != nil {
			return err
		}
		r.v = v
		if r.initOutput, r.initSecret, err = testkit.Await(v.InitOutput); err != nil {
			return err
		}
		if r.revoked, r.revokedSecret, err = testkit.Await(v.RootTokenRevoked); err != nil {
			return err
		}
		if r.roleIDs, _, err = testkit.Await(v.ConsumerRoleIDs); err != nil {
			return err
		}
		return nil
	}, pulumi.WithMocks("hoodcloud", "test", rec))
	if err != nil {
		return r, err
	}
	if g, ok := rec.Named("command:remote:Command", "control-plane-baseline"); ok {
		r.baselineURN = g.URN
	}
	if g, ok := rec.Named("command:remote:Command", "payment-baseline"); ok {
		r.payBaselineURN = g.URN
	}
	return r, nil
}

func mustRun(t testing.TB, mutate func(a *Args)) *result {
	t.Helper()
	r, err := runVault(t, mutate)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testkitLeaks(r *result, secrets map[string]string) []string {
	var out []string
	for _, l := range testkit.PlaintextLeaks(r.rec.Registrations(), secrets) {
		out = append(out, l.String())
	}
	return out
}

// caRoot holds the CA files the runs write; removed after every test has finished.
var caRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hoodcloud-vault-ca-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	caRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
