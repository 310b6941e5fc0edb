package vault

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/testkit"
)

const (
	cmdType      = "command:remote:Command"
	providerType = "pulumi:providers:vault"
	mountType    = "vault:index/mount:Mount"
	policyType   = "vault:index/policy:Policy"
	roleType     = "vault:appRole/authBackendRole:AuthBackendRole"
	secretIDType = "vault:appRole/authBackendRoleSecretId:AuthBackendRoleSecretId"
	kvType       = "vault:kv/secretV2:SecretV2"
)

func TestInventory(t *testing.T) {
	r := mustRun(t, nil)
	count := map[string][]string{}
	comp := r.rec.MustNamed(t, TypeToken, "vault").URN
	for _, g := range r.rec.Registrations() {
		if g.Type == TypeToken || strings.HasSuffix(g.Name, "-baseline") {
			continue
		}
		count[g.Type] = append(count[g.Type], g.Name)
		if g.Parent != comp {
			t.Errorf("%s %s: parent %s, want the component", g.Type, g.Name, g.Parent)
		}
	}
	for _, l := range count {
		sort.Strings(l)
	}
	want := map[string][]string{
		cmdType: {"vault-certbot-approle-files", "vault-control-plane-approle-files", "vault-credential", "vault-init",
			"vault-init-escrow-clear", "vault-install", "vault-payment-approle-files", "vault-revoke-root", "vault-unseal"},
		providerType:                      {"vault-provider"},
		"tls:index/privateKey:PrivateKey": {"vault-init-escrow-key"},
		mountType:                         {"vault-kv"},
		kvType:                            {"vault-secret-infra-certbot-cloudflare", "vault-secret-payment-stripe"},
		policyType:                        {"vault-certbot-policy", "vault-control-plane-policy", "vault-payment-policy"},
		roleType:                          {"vault-certbot-role", "vault-control-plane-role", "vault-payment-role"},
		secretIDType:                      {"vault-certbot-secret-id", "vault-control-plane-secret-id", "vault-payment-secret-id"},
	}
	if d := cmp.Diff(want, count); d != "" {
		t.Errorf("inventory (-want +got):\n%s", d)
	}
	// Managed resources go through the component's provider.
	prov := r.rec.MustNamed(t, providerType, "vault-provider")
	for _, typ := range []string{mountType, kvType, policyType, roleType, secretIDType} {
		for _, g := range r.rec.OfType(typ) {
			if !strings.HasPrefix(g.Provider, prov.URN+"::") {
				t.Errorf("%s uses provider %q, want %s", g.Name, g.Provider, prov.URN)
			}
		}
	}
	// Protected: the init step (the only copy of the keys), its escrow key and the KV mount; not the secrets.
	for typ, name := range map[string]string{cmdType: "vault-init", mountType: "vault-kv", "tls:index/privateKey:PrivateKey": "vault-init-escrow-key"} {
		if !r.rec.MustNamed(t, typ, name).Protect {
			t.Errorf("%s not protected", name)
		}
	}
	if r.rec.MustNamed(t, kvType, "vault-secret-payment-stripe").Protect || r.rec.MustNamed(t, cmdType, "vault-install").Protect {
		t.Errorf("unexpected protection")
	}
	init := r.rec.MustNamed(t, cmdType, "vault-init")
	// Frozen: no input may update it, since an update replaces its stdout (the keys) with another's.
	if d := cmp.Diff([]string{"create", "update", "delete", "triggers", "connection", "stdin", "environment", "logging", "addPreviousOutputInEnv"}, init.IgnoreChanges); d != "" {
		t.Errorf("init ignoreChanges (-want +got):\n%s", d)
	}
}

func TestOrdering(t *testing.T) {
	r := mustRun(t, nil)
	urn := func(typ, name string) string { return r.rec.MustNamed(t, typ, name).URN }
	must := []struct{ from, to [2]string }{
		{[2]string{cmdType, "vault-install"}, [2]string{cmdType, "control-plane-baseline"}},
		{[2]string{cmdType, "vault-init"}, [2]string{cmdType, "vault-install"}},
		{[2]string{cmdType, "vault-unseal"}, [2]string{cmdType, "vault-init"}},
		{[2]string{cmdType, "vault-credential"}, [2]string{cmdType, "vault-unseal"}},
		{[2]string{cmdType, "vault-revoke-root"}, [2]string{cmdType, "vault-credential"}},
		{[2]string{providerType, "vault-provider"}, [2]string{cmdType, "vault-credential"}},
		{[2]string{mountType, "vault-kv"}, [2]string{cmdType, "vault-credential"}},
		{[2]string{kvType, "vault-secret-payment-stripe"}, [2]string{mountType, "vault-kv"}},
		{[2]string{policyType, "vault-payment-policy"}, [2]string{cmdType, "vault-credential"}},
		{[2]string{roleType, "vault-payment-role"}, [2]string{policyType, "vault-payment-policy"}},
		{[2]string{secretIDType, "vault-payment-secret-id"}, [2]string{roleType, "vault-payment-role"}},
		{[2]string{cmdType, "vault-payment-approle-files"}, [2]string{secretIDType, "vault-payment-secret-id"}},
		{[2]string{cmdType, "vault-payment-approle-files"}, [2]string{cmdType, "payment-baseline"}},
		{[2]string{cmdType, "vault-certbot-approle-files"}, [2]string{secretIDType, "vault-certbot-secret-id"}},
	}
	for _, m := range must {
		if !r.rec.DependsOn(r.rec.MustNamed(t, m.from[0], m.from[1]), urn(m.to[0], m.to[1])) {
			t.Errorf("%s does not wait for %s", m.from[1], m.to[1])
		}
	}
	// Nothing runs backwards, and revoke waits for nothing but the credential step, init's output and
	// (through the seal guard, which runs after it) the unseal step.
	never := []struct{ from, to string }{
		{"vault-credential", "vault-revoke-root"},
		{"vault-unseal", "vault-credential"},
		{"vault-init", "vault-unseal"},
	}
	for _, n := range never {
		if r.rec.DependsOn(r.rec.MustNamed(t, cmdType, n.from), urn(cmdType, n.to)) {
			t.Errorf("%s waits for %s", n.from, n.to)
		}
	}
	revoke := r.rec.MustNamed(t, cmdType, "vault-revoke-root")
	allowed := map[string]bool{urn(cmdType, "vault-credential"): true, urn(cmdType, "vault-init"): true, urn(cmdType, "vault-unseal"): true}
	for _, d := range append(append([]string{}, revoke.Dependencies...), revoke.PropertyDependencies["stdin"]...) {
		if !allowed[d] {
			t.Errorf("revoke-root depends directly on %s", d)
		}
	}
	if len(revoke.Dependencies) == 0 {
		t.Errorf("revoke-root has no explicit dependency on the credential step")
	}
	if r.rec.DependsOn(revoke, urn(mountType, "vault-kv")) {
		t.Errorf("revoke-root waits for the KV mount")
	}
}

func TestAutoUnsealHasNoUnsealStepAndUsesRecoveryKeys(t *testing.T) {
	r := mustRun(t, func(a *Args) {
		a.AutoUnseal = &AutoUnseal{KMSKeyID: pulumi.String("arn:aws:kms:eu-central-1:123456789012:key/k1"),
			Region: "eu-central-1", AccessKeyID: pulumi.String("AKIAFIXTURE"), SecretAccessKey: secretString(awsSecretFixture)}
	})
	if _, ok := r.rec.Named(cmdType, "vault-unseal"); ok {
		t.Error("an unseal step exists although KMS unseals Vault")
	}
	if !r.rec.DependsOn(r.rec.MustNamed(t, cmdType, "vault-credential"), r.rec.MustNamed(t, cmdType, "vault-init").URN) {
		t.Error("credential does not wait for init")
	}
	create := r.rec.MustNamed(t, cmdType, "vault-init").Inputs["create"].StringValue()
	if !strings.Contains(create, "-recovery-shares=5") {
		t.Errorf("init does not ask for recovery keys")
	}
	for _, l := range leaks(t, r) {
		t.Error(l)
	}
}

func TestProviderLogsInWithTheAppRoleNeverTheRootToken(t *testing.T) {
	r := mustRun(t, nil)
	p := r.rec.MustNamed(t, providerType, "vault-provider")
	if _, ok := p.Inputs["token"]; ok {
		t.Errorf("the provider has a token input")
	}
	login := testkit.Plain(p.Inputs["authLogin"])
	if login.IsString() { // providers may receive object config JSON-encoded
		var m map[string]any
		if err := json.Unmarshal([]byte(login.StringValue()), &m); err != nil {
			t.Fatal(err)
		}
		login = resource.NewPropertyValue(m)
	}
	if !login.IsObject() {
		t.Fatalf("authLogin = %v", login)
	}
	lm := login.ObjectValue()
	if got := testkit.Plain(lm["path"]); !got.IsString() || got.StringValue() != LoginPath {
		t.Errorf("authLogin.path = %v, want %s", got, LoginPath)
	}
	params := testkit.Plain(lm["parameters"]).ObjectValue()
	if testkit.Plain(params["role_id"]).StringValue() != mockProgramRole || testkit.Plain(params["secret_id"]).StringValue() != mockProgramSecret {
		t.Errorf("authLogin.parameters = %v", params)
	}
	if !p.Inputs["authLogin"].ContainsSecrets() {
		t.Errorf("authLogin (holding the secret_id) is not secret")
	}
	for k, want := range map[string]bool{"skipChildToken": true, "skipTlsVerify": false} {
		if v := testkit.Plain(p.Inputs[resource.PropertyKey(k)]); !v.IsBool() || v.BoolValue() != want {
			t.Errorf("%s = %v, want %v", k, v, want)
		}
	}
	for path, s := range map[string]resource.PropertyValue{"inputs": resource.NewProperty(p.Inputs), "outputs": resource.NewProperty(p.Outputs)} {
		if strings.Contains(deepString(s), mockRootToken) {
			t.Errorf("provider %s carry the root token", path)
		}
	}
	caFile := testkit.Plain(p.Inputs["caCertFile"]).StringValue()
	if !regexp.MustCompile(`/[0-9a-f]{16}\.pem$`).MatchString(caFile) {
		t.Errorf("caCertFile = %q", caFile)
	}
	if b, err := os.ReadFile(caFile); err != nil || string(b) != fixtureTLS(t).CA {
		t.Errorf("CA file %s: %v (content matches: %v)", caFile, err, string(b) == fixtureTLS(t).CA)
	}
	if testkit.Plain(p.Inputs["address"]).StringValue() != "https://203.0.113.10:8200" {
		t.Errorf("address = %v", p.Inputs["address"])
	}
}

func TestCACertPathIsDeterministicAndRelative(t *testing.T) {
	a, b := caCertPath(DefaultCACertDir, "pem-1"), caCertPath(DefaultCACertDir, "pem-1")
	if a != b || !strings.HasPrefix(a, ".vault-ca/") || caCertPath(DefaultCACertDir, "pem-2") == a {
		t.Errorf("paths %q %q", a, b)
	}
	dir := t.TempDir()
	rel, err := writeCACertFile(dir, DefaultCACertDir, "pem-1")
	if err != nil || rel != a {
		t.Fatalf("rel %q, %v", rel, err)
	}
	if b, err := os.ReadFile(dir + "/" + rel); err != nil || string(b) != "pem-1" {
		t.Errorf("file under the project dir: %q %v", b, err)
	}
}

func TestConsumersGetExactlyTheirPaths(t *testing.T) {
	r := mustRun(t, nil)
	pol := r.rec.MustNamed(t, policyType, "vault-certbot-policy")
	if pol.Inputs["name"].StringValue() != "hoodcloud-certbot" {
		t.Errorf("policy name %v", pol.Inputs["name"])
	}
	text := pol.Inputs["policy"].StringValue()
	if got := regexp.MustCompile(`path "([^"]+)"`).FindAllStringSubmatch(text, -1); len(got) != 1 || got[0][1] != "secret/data/infra/certbot/cloudflare" {
		t.Errorf("certbot policy paths %v:\n%s", got, text)
	}
	if !strings.Contains(text, `capabilities = ["read"]`) {
		t.Errorf("certbot capabilities:\n%s", text)
	}
	role := r.rec.MustNamed(t, roleType, "vault-payment-role")
	if got := testkit.Plain(role.Inputs["tokenPolicies"]).ArrayValue(); len(got) != 1 || testkit.Plain(got[0]).StringValue() != "hoodcloud-payment" {
		t.Errorf("payment role policies = %v", got)
	}
	if role.Inputs["backend"].StringValue() != "approle" || role.Inputs["secretIdTtl"].NumberValue() != 0 {
		t.Errorf("payment role = %v", role.Inputs)
	}
	files := r.rec.MustNamed(t, cmdType, "vault-payment-approle-files")
	if host := testkit.Plain(files.Inputs["connection"]).ObjectValue()["host"]; testkit.Plain(host).StringValue() != "203.0.113.20" {
		t.Errorf("payment files go to %v", host)
	}
	if !strings.Contains(files.Inputs["create"].StringValue(), "'/opt/hoodcloud/secrets/vault-approle/payment'") {
		t.Errorf("payment files script does not target its directory")
	}
	want := AppRoleFiles{Dir: "/opt/hoodcloud/secrets/vault-approle/payment",
		RoleID: "/opt/hoodcloud/secrets/vault-approle/payment/role_id", SecretID: "/opt/hoodcloud/secrets/vault-approle/payment/secret_id"}
	if r.v.AppRoleFiles["payment"] != want {
		t.Errorf("AppRoleFiles[payment] = %+v", r.v.AppRoleFiles["payment"])
	}
	if d := cmp.Diff(map[string]string{"certbot": "role-id-of-hoodcloud-certbot", "control-plane": "role-id-of-hoodcloud-control-plane",
		"payment": "role-id-of-hoodcloud-payment"}, r.roleIDs); d != "" {
		t.Errorf("ConsumerRoleIDs (-want +got):\n%s", d)
	}
	if len(r.v.ConsumerReady["payment"]) != 1 {
		t.Errorf("ConsumerReady[payment] = %v", r.v.ConsumerReady["payment"])
	}
}

func TestSecretsAreKVv2AndStaySecret(t *testing.T) {
	r := mustRun(t, nil)
	m := r.rec.MustNamed(t, mountType, "vault-kv")
	if m.Inputs["path"].StringValue() != "secret" || m.Inputs["type"].StringValue() != "kv" ||
		m.Inputs["options"].ObjectValue()["version"].StringValue() != "2" {
		t.Errorf("mount = %v", m.Inputs)
	}
	s := r.rec.MustNamed(t, kvType, "vault-secret-payment-stripe")
	data := s.Inputs["dataJson"]
	if !data.ContainsSecrets() {
		t.Fatalf("dataJson is not secret")
	}
	want := `{"secret_key":"` + stripeKey + `","webhook_secret":"` + stripeWebhook + `"}`
	if got := testkit.Plain(data).StringValue(); got != want {
		t.Errorf("dataJson = %s, want %s", got, want)
	}
	if testkit.Plain(s.Inputs["name"]).StringValue() != "payment/stripe" || testkit.Plain(s.Inputs["mount"]).StringValue() != "secret" {
		t.Errorf("secret = %v", s.Inputs)
	}
}

func TestOutputs(t *testing.T) {
	r := mustRun(t, nil)
	if !r.initSecret || r.initOutput != mockInitJSON() {
		t.Errorf("InitOutput secret=%v value=%v", r.initSecret, r.initOutput)
	}
	if r.revoked != true || r.revokedSecret {
		t.Errorf("RootTokenRevoked = %v (secret %v), want plain true", r.revoked, r.revokedSecret)
	}
}

// The unseal and credential steps receive the init output's keys and token on stdin, secret.
func TestStepsReceiveKeysAndTokenOnStdin(t *testing.T) {
	r := mustRun(t, nil)
	unseal := r.rec.MustNamed(t, cmdType, "vault-unseal").Inputs["stdin"]
	if !unseal.ContainsSecrets() || testkit.Plain(unseal).StringValue() != strings.Join(mockUnsealKeys, "\n")+"\n" {
		t.Errorf("unseal stdin = %v", unseal)
	}
	for _, name := range []string{"vault-credential", "vault-revoke-root"} {
		in := r.rec.MustNamed(t, cmdType, name).Inputs["stdin"]
		if !in.ContainsSecrets() || testkit.Plain(in).StringValue() != mockRootToken+"\n" {
			t.Errorf("%s stdin = %v", name, in)
		}
	}
	// A configured root token (Vault initialised elsewhere) wins over init's.
	r = mustRun(t, func(a *Args) {
		a.AlreadyInitialized = true
		a.RootToken = secretString("hvs.CONFIGUREDTOKEN")
		a.UnsealKeys = pulumi.ToSecret(pulumi.StringArray{pulumi.String("a2V5LTE="), pulumi.String("a2V5LTI=")}).(pulumi.StringArrayOutput)
	})
	if got := testkit.Plain(r.rec.MustNamed(t, cmdType, "vault-credential").Inputs["stdin"]).StringValue(); got != "hvs.CONFIGUREDTOKEN\n" {
		t.Errorf("credential stdin = %q", got)
	}
	if got := testkit.Plain(r.rec.MustNamed(t, cmdType, "vault-unseal").Inputs["stdin"]).StringValue(); got != "a2V5LTE=\na2V5LTI=\n" {
		t.Errorf("unseal stdin = %q", got)
	}
	// While a token is set, a connection-only change (a rotated deploy key) must not run the root steps
	// with the token their last run revoked: their update command fails at once, saying what to do.
	for _, name := range []string{"vault-credential", "vault-revoke-root"} {
		if got := r.rec.MustNamed(t, cmdType, name).Inputs["update"].StringValue(); got != rootTokenStillSet {
			t.Errorf("%s update command = %q, want the root-token-still-set guard", name, got)
		}
	}
	guard := exec.Command("bash", "-c", rootTokenStillSet)
	if out, err := guard.CombinedOutput(); err == nil || !strings.Contains(string(out), "pulumi config rm vaultRootToken") {
		t.Errorf("the guard: %v %s", err, out)
	}
	// Files for install: the bundle carries every file, the key among them, and is secret.
	install := r.rec.MustNamed(t, cmdType, "vault-install")
	if !install.Inputs["stdin"].ContainsSecrets() || !strings.Contains(testkit.Plain(install.Inputs["stdin"]).StringValue(), "key.pem ") {
		t.Errorf("install stdin = %v", install.Inputs["stdin"])
	}
	if tr := install.Inputs["triggers"].ArrayValue(); len(tr) != 2 {
		t.Errorf("install triggers = %v, want script hash and content hash", tr)
	}
}

func TestNoSecretInPlaintext(t *testing.T) {
	for _, l := range leaks(t, mustRun(t, nil)) {
		t.Error(l)
	}
}

func leaks(t *testing.T, r *result) []string { return testkitLeaks(r, fixtureSecrets(t)) }

func TestDeterminism(t *testing.T) {
	dir := t.TempDir()
	same := func(a *Args) { a.CACertDir = dir }
	a, b := mustRun(t, same), mustRun(t, same)
	ra, rb := a.rec.Registrations(), b.rec.Registrations()
	if len(ra) != len(rb) {
		t.Fatalf("%d vs %d registrations", len(ra), len(rb))
	}
	for i := range ra {
		x, y := ra[i], rb[i]
		if x.URN != y.URN || !reflect.DeepEqual(x.Inputs, y.Inputs) || !reflect.DeepEqual(x.Dependencies, y.Dependencies) ||
			!reflect.DeepEqual(x.PropertyDependencies, y.PropertyDependencies) {
			t.Errorf("%s differs between runs:\n%s", x.URN, cmp.Diff(deepString(resource.NewProperty(x.Inputs)), deepString(resource.NewProperty(y.Inputs))))
		}
	}
}

func deepString(v resource.PropertyValue) string {
	b, _ := json.Marshal(plainMappable(v))
	return string(b)
}

// plainMappable turns a property value into plain Go values, secrets included (for comparisons only).
func plainMappable(v resource.PropertyValue) any {
	v = testkit.Plain(v)
	switch {
	case v.IsObject():
		m := map[string]any{}
		for k, e := range v.ObjectValue() {
			m[string(k)] = plainMappable(e)
		}
		return m
	case v.IsArray():
		var a []any
		for _, e := range v.ArrayValue() {
			a = append(a, plainMappable(e))
		}
		return a
	case v.IsComputed():
		return "<computed>"
	}
	return v.V
}
