package nats

import (
	"crypto/ed25519"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/testkit"
)

const (
	keyType = "tls:index/privateKey:PrivateKey"
	cmdType = "command:remote:Command"
	sshKey  = "fixture-ssh-private-key-6b0e"
)

func conn(host string) remote.ConnectionInput {
	return remote.ConnectionArgs{Host: pulumi.String(host), User: pulumi.String("root"),
		PrivateKey: pulumi.ToSecret(pulumi.String(sshKey)).(pulumi.StringOutput)}
}

func fixtureArgs() *Args {
	return &Args{
		Domain:             "example.com",
		Host:               testkit.Target(conn("203.0.113.10")),
		CloudflareAPIToken: pulumi.ToSecret(pulumi.String(fakeCloudflareToken)).(pulumi.StringOutput),
		ACMEEmail:          "ops@example.com",
		ACMEServer:         LetsEncryptDirectory,
		VaultAddress:       pulumi.String(fakeVaultAddr),
		Protect:            true,
	}
}

// outputs are the component's outputs resolved inside the run, with their secretness.
type outputs map[string]struct {
	value  string
	secret bool
}

type run struct {
	rec         *testkit.Recorder
	n           *NATS
	out         outputs
	baselineURN string
}

func runNATS(t testing.TB, mutate func(a *Args)) (*run, error) {
	t.Helper()
	r := &run{rec: testkit.NewRecorder("hoodcloud", "test"), out: outputs{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		// Stand-in for the host baseline the certbot steps must wait for.
		baseline, err := remote.NewCommand(ctx, "control-plane-baseline", &remote.CommandArgs{
			Connection: conn("203.0.113.10"), Create: pulumi.String("true")})
		if err != nil {
			return err
		}
		args := fixtureArgs()
		args.DependsOn = []pulumi.Resource{baseline}
		if mutate != nil {
			mutate(args)
		}
		n, err := New(ctx, "nats", args)
		if err != nil {
			return err
		}
		r.n = n
		for name, o := range map[string]pulumi.StringOutput{
			"serverConfig": n.ServerConfig, "resolverConfig": n.ResolverConfig, "serverConfigHash": n.ServerConfigHash, "operatorJwt": n.OperatorJWT,
			"operatorPublicKey": n.OperatorPublicKey, "systemAccountPublicKey": n.SystemAccountPublicKey,
			"ctrlAccountPublicKey": n.CtrlAccountPublicKey, "ctrlSigningPublicKey": n.CtrlSigningPublicKey,
			"ctrlSigningSeed": n.CtrlSigningSeed, "paymentCreds": n.PaymentCreds, "paymentCredsHash": n.PaymentCredsHash,
		} {
			v, secret, err := testkit.Await(o)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			s, _ := v.(string)
			r.out[name] = struct {
				value  string
				secret bool
			}{s, secret}
		}
		return nil
	}, pulumi.WithMocks("hoodcloud", "test", r.rec))
	if g, ok := r.rec.Named(cmdType, "control-plane-baseline"); ok {
		r.baselineURN = g.URN
	}
	return r, err
}

func mustRunNATS(t testing.TB, mutate func(a *Args)) *run {
	t.Helper()
	r, err := runNATS(t, mutate)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// plain unwraps secrets and outputs to the string inside.
func plain(v resource.PropertyValue) string {
	if v = testkit.Plain(v); v.IsString() {
		return v.StringValue()
	}
	return ""
}

func TestInventoryAndParents(t *testing.T) {
	r := mustRunNATS(t, nil)
	comp := r.rec.MustNamed(t, TypeToken, "nats")
	got := map[string][]string{}
	for _, g := range r.rec.Registrations() {
		if g.URN == comp.URN || g.Name == "control-plane-baseline" {
			continue
		}
		got[g.Type] = append(got[g.Type], g.Name)
		if g.Parent != comp.URN {
			t.Errorf("%s %s: parent %q, want the component", g.Type, g.Name, g.Parent)
		}
	}
	for _, v := range got {
		sort.Strings(v)
	}
	want := map[string][]string{
		keyType: {"nats-ctrl-account-nkey", "nats-ctrl-signing-nkey", "nats-operator-nkey", "nats-payment-user-nkey", "nats-sys-account-nkey"},
		cmdType: {"nats-certbot-install", "nats-certbot-issue", "nats-certbot-vault-addr"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("inventory (-want +got):\n%s", d)
	}
	for _, g := range r.rec.OfType(keyType) {
		if g.Inputs["algorithm"].StringValue() != "ED25519" {
			t.Errorf("%s: algorithm %v", g.Name, g.Inputs["algorithm"])
		}
		if !g.Protect {
			t.Errorf("%s is not protected with Protect set", g.Name)
		}
	}
	for _, g := range r.rec.OfType(cmdType) {
		if g.Protect {
			t.Errorf("%s: a step is protected", g.Name)
		}
	}
	unprotected := mustRunNATS(t, func(a *Args) { a.Protect = false })
	for _, g := range unprotected.rec.OfType(keyType) {
		if g.Protect {
			t.Errorf("%s protected without Protect", g.Name)
		}
	}
}

func TestStepsScriptsStdinAndOrder(t *testing.T) {
	r := mustRunNATS(t, nil)
	f, err := renderCertbot(hostLayout, certbotParams{Hostname: "nats.example.com", Email: "ops@example.com",
		Server: LetsEncryptDirectory, ComposeService: "nats"})
	if err != nil {
		t.Fatal(err)
	}
	install := r.rec.MustNamed(t, cmdType, "nats-certbot-install")
	addr := r.rec.MustNamed(t, cmdType, "nats-certbot-vault-addr")
	issue := r.rec.MustNamed(t, cmdType, "nats-certbot-issue")
	for _, c := range []struct {
		g      testkit.Registration
		script string
		stdin  string
	}{{install, f.Install, ""}, {addr, f.VaultAddr, fakeVaultAddr}, {issue, f.Issue, fakeCloudflareToken}} {
		if got := plain(c.g.Inputs["create"]); got != c.script {
			t.Errorf("%s: create is not the rendered script", c.g.Name)
		}
		if tr := c.g.Inputs["triggers"]; !tr.IsArray() || plain(tr.ArrayValue()[0]) != contenthash.Of(c.script, "") {
			t.Errorf("%s: triggers %v do not start with the script's hash", c.g.Name, tr)
		}
		stdin, ok := c.g.Inputs["stdin"]
		if c.stdin == "" {
			if ok {
				t.Errorf("%s has stdin", c.g.Name)
			}
			continue
		}
		if !ok || !stdin.ContainsSecrets() || plain(stdin) != c.stdin {
			t.Errorf("%s: stdin must be the secret %q, found %v", c.g.Name, c.stdin, stdin)
		}
		if plain(c.g.Inputs["logging"]) != "none" {
			t.Errorf("%s: logging %v, want none", c.g.Name, c.g.Inputs["logging"])
		}
	}
	if !r.rec.DependsOn(issue, install.URN) {
		t.Errorf("the issue step does not wait for the install step (it runs the deploy hook)")
	}
	for _, g := range []testkit.Registration{install, addr, issue} {
		if !r.rec.DependsOn(g, r.baselineURN) {
			t.Errorf("%s does not wait for Args.DependsOn", g.Name)
		}
	}
	if len(r.n.TLSReady) != 1 {
		t.Errorf("TLSReady %v", r.n.TLSReady)
	}
	if r.n.Hostname != "nats.example.com" || r.n.URL != "tls://nats.example.com:4222" || r.n.PaymentURL != "tls://nats.example.com:4223" {
		t.Errorf("names %q %q %q", r.n.Hostname, r.n.URL, r.n.PaymentURL)
	}
}

// The ACME directory reaches the issue step's script; changing it changes that step alone (its script is
// its trigger, so a CA switch re-runs issuance), not the install step or the renewal wrapper it installs.
func TestACMEServerReachesOnlyTheIssueStep(t *testing.T) {
	const pebble = "https://pebble.rehearsal:14000/dir"
	a := mustRunNATS(t, nil)
	b := mustRunNATS(t, func(a *Args) { a.ACMEServer = pebble })
	for _, name := range []string{"nats-certbot-install", "nats-certbot-vault-addr", "nats-certbot-issue"} {
		sa := plain(a.rec.MustNamed(t, cmdType, name).Inputs["create"])
		sb := plain(b.rec.MustNamed(t, cmdType, name).Inputs["create"])
		if changed := sa != sb; changed != (name == "nats-certbot-issue") {
			t.Errorf("%s: script changed with the ACME server: %v", name, changed)
		}
	}
	issue := plain(b.rec.MustNamed(t, cmdType, "nats-certbot-issue").Inputs["create"])
	if !strings.Contains(issue, "\nserver='"+pebble+"'\n") {
		t.Errorf("the issue script does not carry %s:\n%s", pebble, issue)
	}
	if !strings.Contains(plain(a.rec.MustNamed(t, cmdType, "nats-certbot-issue").Inputs["create"]), "\nserver='"+LetsEncryptDirectory+"'\n") {
		t.Errorf("the default fixture's issue script does not carry %s", LetsEncryptDirectory)
	}
}

// keyOf derives the nkey the component derives from the fake tls key of the given resource name.
func keyOf(t testing.TB, name string, prefix nkeys.PrefixByte) nkeys.KeyPair {
	t.Helper()
	k, ok := testkit.CachedPrivateKey(name)
	if !ok {
		t.Fatalf("no fake key %s", name)
	}
	kp, err := nkeys.FromRawSeed(prefix, k.(ed25519.PrivateKey).Seed())
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func TestOutputsComeFromTheKeysAndKeepSecretsSecret(t *testing.T) {
	r := mustRunNATS(t, nil)
	for name, o := range r.out {
		wantSecret := name == "ctrlSigningSeed" || name == "paymentCreds"
		if o.secret != wantSecret {
			t.Errorf("%s: secret %v, want %v", name, o.secret, wantSecret)
		}
		if o.value == "" {
			t.Errorf("%s is empty", name)
		}
	}
	ctrlPub, _ := keyOf(t, "nats-ctrl-account-nkey", nkeys.PrefixByteAccount).PublicKey()
	if r.out["ctrlAccountPublicKey"].value != ctrlPub {
		t.Errorf("CtrlAccountPublicKey %s, want the key of nats-ctrl-account-nkey %s", r.out["ctrlAccountPublicKey"].value, ctrlPub)
	}
	signingSeed, _ := keyOf(t, "nats-ctrl-signing-nkey", nkeys.PrefixByteAccount).Seed()
	if r.out["ctrlSigningSeed"].value != string(signingSeed) {
		t.Errorf("CtrlSigningSeed is not the seed of nats-ctrl-signing-nkey")
	}
	op, err := jwt.DecodeOperatorClaims(r.out["operatorJwt"].value)
	if err != nil {
		t.Fatal(err)
	}
	opPub, _ := keyOf(t, "nats-operator-nkey", nkeys.PrefixByteOperator).PublicKey()
	if op.Subject != opPub || op.SystemAccount != r.out["systemAccountPublicKey"].value {
		t.Errorf("operator %s system account %s", op.Subject, op.SystemAccount)
	}
	conf := r.out["serverConfig"].value
	if !strings.Contains(conf, `operator: "`+r.out["operatorJwt"].value+`"`) || !strings.Contains(conf, ctrlPub+`: "`) ||
		!strings.Contains(conf, "tls {") {
		t.Errorf("server config does not carry the identity and TLS:\n%s", conf)
	}
	if res := r.out["resolverConfig"].value; !strings.Contains(conf, res) || !strings.HasPrefix(res, "# HoodCloud NATS operator-mode") {
		t.Errorf("the resolver config is not the operator part of the server config:\n%s", res)
	}
	if r.out["serverConfigHash"].value != contenthash.Of(conf) {
		t.Errorf("serverConfigHash is not the hash of serverConfig")
	}
	userJWT, err := jwt.ParseDecoratedJWT([]byte(r.out["paymentCreds"].value))
	if err != nil || r.out["paymentCredsHash"].value != contenthash.Of(userJWT) {
		t.Errorf("paymentCredsHash is not the hash of the user JWT (%v)", err)
	}
}

func TestNoSecretInPlaintext(t *testing.T) {
	r := mustRunNATS(t, nil)
	secrets := map[string]string{
		"cloudflare token": fakeCloudflareToken,
		"ssh key":          sshKey,
		"signing seed":     r.out["ctrlSigningSeed"].value,
		"payment creds":    r.out["paymentCreds"].value,
	}
	for _, k := range keyRoles {
		seed, _ := keyOf(t, "nats-"+k.Suffix, k.Prefix).Seed()
		secrets["seed of "+k.Suffix] = string(seed)
		raw, _ := testkit.CachedPrivateKey("nats-" + k.Suffix)
		secrets["raw seed of "+k.Suffix] = string(raw.(ed25519.PrivateKey).Seed())
	}
	if leaks := testkit.PlaintextLeaks(r.rec.Registrations(), secrets); len(leaks) > 0 {
		for _, l := range leaks {
			t.Error(l)
		}
	}
	// The sweep must be able to fail: the user seed is in the creds, which are secret.
	if !strings.Contains(r.out["paymentCreds"].value, "SU") {
		t.Fatal("fixture creds without a user seed")
	}
}

func TestDeterministicAcrossRuns(t *testing.T) {
	a := mustRunNATS(t, nil)
	b := mustRunNATS(t, nil)
	ra, rb := a.rec.Registrations(), b.rec.Registrations()
	if len(ra) != len(rb) {
		t.Fatalf("%d vs %d registrations", len(ra), len(rb))
	}
	for i := range ra {
		if ra[i].URN != rb[i].URN || !ra[i].Inputs.DeepEquals(rb[i].Inputs) {
			t.Errorf("%s: inputs differ between runs", ra[i].URN)
		}
	}
	if d := cmp.Diff(a.out, b.out, cmp.AllowUnexported(struct {
		value  string
		secret bool
	}{})); d != "" {
		t.Errorf("outputs differ between runs (-a +b):\n%s", d)
	}
	// A different iat is a different (still valid) set of JWTs: the iat is the only clock.
	c := mustRunNATS(t, func(a *Args) { a.IssuedAt = DefaultIssuedAt + 1 })
	if c.out["operatorJwt"].value == a.out["operatorJwt"].value || c.out["ctrlAccountPublicKey"] != a.out["ctrlAccountPublicKey"] {
		t.Errorf("IssuedAt must change the JWTs and nothing else")
	}
}

func TestWithoutTLS(t *testing.T) {
	r := mustRunNATS(t, func(a *Args) {
		*a = Args{Domain: "example.com", DisableTLS: true}
	})
	if cmds := r.rec.OfType(cmdType); len(cmds) != 1 { // the baseline stand-in only
		t.Errorf("steps without TLS: %d", len(cmds))
	}
	if conf := r.out["serverConfig"].value; strings.Contains(conf, "tls {") || !strings.Contains(conf, "resolver: MEMORY") {
		t.Errorf("config without TLS:\n%s", conf)
	}
	if len(r.n.TLSReady) != 0 {
		t.Errorf("TLSReady without TLS")
	}
}

func TestInvalidArgsRegisterNothing(t *testing.T) {
	r, err := runNATS(t, func(a *Args) { a.Domain = "Not A Domain"; a.CloudflareAPIToken = nil })
	if err == nil {
		t.Fatal("accepted invalid args")
	}
	for _, want := range []string{TypeToken, "hoodcloud:domain", "hoodcloud:cloudflareApiToken"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if regs := r.rec.Registrations(); len(regs) != 1 {
		t.Errorf("registered %d resources besides the baseline", len(regs)-1)
	}
	if _, err := runNATS(t, func(a *Args) { *a = Args{} }); err == nil {
		t.Error("accepted empty args")
	}
}
