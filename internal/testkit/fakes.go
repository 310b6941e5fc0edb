package testkit

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash/fnv"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/crypto/ssh"
)

// defaultResources answer like the real providers for the types whose outputs the program reads.
var defaultResources = map[string]ResourceFunc{
	"hcloud:index/primaryIp:PrimaryIp":                    fakePrimaryIP,
	"hcloud:index/server:Server":                          numericID,
	"hcloud:index/firewall:Firewall":                      numericID,
	"hcloud:index/placementGroup:PlacementGroup":          numericID,
	"hcloud:index/sshKey:SshKey":                          numericID,
	"tls:index/privateKey:PrivateKey":                     fakePrivateKey,
	"aws:s3/bucket:Bucket":                                fakeBucket,
	"aws:dynamodb/table:Table":                            withARN("arn:aws:dynamodb:eu-central-1:123456789012:table/", "name"),
	"aws:iam/user:User":                                   withARN("arn:aws:iam::123456789012:user/", "name"),
	"aws:iam/role:Role":                                   withARN("arn:aws:iam::123456789012:role/", "name"),
	"aws:iam/policy:Policy":                               withARN("arn:aws:iam::123456789012:policy/", "name"),
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider": fakeOIDCProvider,
	"aws:iam/accessKey:AccessKey":                         fakeAccessKey,
	"aws:kms/key:Key":                                     fakeKMSKey,
}

var defaultCalls = map[string]CallFunc{
	"vault:index/getAuthBackend:getAuthBackend":   fakeAuthBackend,
	"command:local:run":                           fakeSealGuard,
	"aws:iam/getPolicyDocument:getPolicyDocument": fakePolicyDocument,
	"aws:index/getCallerIdentity:getCallerIdentity": func(pulumi.MockCallArgs) (resource.PropertyMap, error) {
		return resource.PropertyMap{"accountId": resource.NewProperty("123456789012"),
			"arn": resource.NewProperty("arn:aws:iam::123456789012:user/ci"), "userId": resource.NewProperty("AIDAMOCK")}, nil
	},
}

// stableNumber derives a small positive number from a name, so fake IDs and addresses are deterministic.
func stableNumber(name string, mod uint32) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()%mod + 1
}

func numericID(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return strconv.Itoa(int(stableNumber(a.TypeToken+a.Name, 9_000_000))), a.Inputs.Copy(), nil
}

// FakeIPv4 is the address the fake primary IP of the given resource name gets (TEST-NET-3).
func FakeIPv4(name string) string { return fmt.Sprintf("203.0.113.%d", stableNumber(name, 250)) }

// FakeIPv6Network is the /64 the fake IPv6 primary IP of the given resource name gets (documentation range).
func FakeIPv6Network(name string) string {
	return fmt.Sprintf("2001:db8:%x::/64", stableNumber(name, 65000))
}

func fakePrimaryIP(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outs, _ := numericID(a)
	if a.Inputs["type"].StringValue() == "ipv6" {
		network := FakeIPv6Network(a.Name)
		outs["ipNetwork"] = resource.NewProperty(network)
		outs["ipAddress"] = resource.NewProperty(strings.TrimSuffix(network, "/64") + "1")
	} else {
		ip := FakeIPv4(a.Name)
		outs["ipAddress"] = resource.NewProperty(ip)
		outs["ipNetwork"] = resource.NewProperty(ip + "/32")
	}
	return id, outs, nil
}

func fakeBucket(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	outs := a.Inputs.Copy()
	name := a.Inputs["bucket"].StringValue()
	outs["arn"] = resource.NewProperty("arn:aws:s3:::" + name)
	outs["bucketRegionalDomainName"] = resource.NewProperty(name + ".s3.eu-central-1.amazonaws.example")
	return name, outs, nil
}

func withARN(prefix, nameKey string) ResourceFunc {
	return func(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
		outs := a.Inputs.Copy()
		name := a.Name
		if v, ok := a.Inputs[resource.PropertyKey(nameKey)]; ok && v.IsString() {
			name = v.StringValue()
		}
		outs["arn"] = resource.NewProperty(prefix + name)
		if _, ok := outs["name"]; !ok {
			outs["name"] = resource.NewProperty(name)
		}
		return name, outs, nil
	}
}

func fakeKMSKey(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	outs := a.Inputs.Copy()
	id := fmt.Sprintf("0000beef-0000-4000-8000-%012d", stableNumber(a.Name, 999_999_999))
	outs["keyId"] = resource.NewProperty(id)
	outs["arn"] = resource.NewProperty("arn:aws:kms:eu-central-1:123456789012:key/" + id)
	return id, outs, nil
}

func fakeOIDCProvider(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	outs := a.Inputs.Copy()
	url := strings.TrimPrefix(a.Inputs["url"].StringValue(), "https://")
	arn := "arn:aws:iam::123456789012:oidc-provider/" + url
	outs["arn"] = resource.NewProperty(arn)
	return arn, outs, nil
}

// FakeAWSSecretAccessKey is the secret access key the fake IAM access key returns; the secret sweep looks
// for it in plaintext.
func FakeAWSSecretAccessKey(name string) string { return "fake-aws-secret-access-key-of-" + name }

func fakeAccessKey(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	outs := a.Inputs.Copy()
	id := fmt.Sprintf("AKIAFAKE%08d", stableNumber(a.Name, 99_999_999))
	outs["secret"] = resource.MakeSecret(resource.NewProperty(FakeAWSSecretAccessKey(a.Name)))
	outs["status"] = resource.NewProperty("Active")
	return id, outs, nil
}

// keyCache makes fake keys stable within one test process, so that two runs of the program see the same
// key material (as they would see the same key in real state).
var keyCache sync.Map

type fakeKey struct {
	priv   any
	pubSSH ssh.PublicKey
	// openssh is marshalled once: the OpenSSH format carries a random check word, and a real key's
	// outputs never change once created.
	openssh string
}

func fakePrivateKey(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	alg := a.Inputs["algorithm"].StringValue()
	curve := "P224"
	if v, ok := a.Inputs["ecdsaCurve"]; ok && v.IsString() {
		curve = v.StringValue()
	}
	cacheKey := a.TypeToken + "|" + a.Name + "|" + alg + "|" + curve
	v, ok := keyCache.Load(cacheKey)
	if !ok {
		k, err := newFakeKey(alg, curve)
		if err != nil {
			return "", nil, err
		}
		v, _ = keyCache.LoadOrStore(cacheKey, k)
	}
	k := v.(*fakeKey)
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return "", nil, err
	}
	pkcs8 := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	privPEM := pkcs8
	switch p := k.priv.(type) {
	case *rsa.PrivateKey:
		privPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(p)}))
	case *ecdsa.PrivateKey:
		b, err := x509.MarshalECPrivateKey(p)
		if err != nil {
			return "", nil, err
		}
		privPEM = string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: b}))
	}
	pubDER, err := x509.MarshalPKIXPublicKey(publicOf(k.priv))
	if err != nil {
		return "", nil, err
	}
	pubSSH, fingerprint := "", ""
	if k.pubSSH != nil {
		fp := sha256.Sum256(k.pubSSH.Marshal())
		pubSSH, fingerprint = string(ssh.MarshalAuthorizedKey(k.pubSSH)), "SHA256:"+base64.RawStdEncoding.EncodeToString(fp[:])
	}
	outs := a.Inputs.Copy()
	outs["privateKeyPem"] = resource.MakeSecret(resource.NewProperty(privPEM))
	outs["privateKeyPemPkcs8"] = resource.MakeSecret(resource.NewProperty(pkcs8))
	outs["privateKeyOpenssh"] = resource.MakeSecret(resource.NewProperty(k.openssh))
	outs["publicKeyPem"] = resource.NewProperty(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))
	outs["publicKeyOpenssh"] = resource.NewProperty(pubSSH)
	outs["publicKeyFingerprintSha256"] = resource.NewProperty(fingerprint)
	return a.Name + "-id", outs, nil
}

func newFakeKey(alg, curve string) (*fakeKey, error) {
	var priv any
	switch alg {
	case "ED25519":
		_, p, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		priv = p
	case "ECDSA":
		c := map[string]elliptic.Curve{"P224": elliptic.P224(), "P256": elliptic.P256(), "P384": elliptic.P384(), "P521": elliptic.P521()}[curve]
		if c == nil {
			return nil, fmt.Errorf("testkit: unknown ECDSA curve %q", curve)
		}
		p, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			return nil, err
		}
		priv = p
	case "RSA":
		p, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		priv = p
	default:
		return nil, fmt.Errorf("testkit: unknown key algorithm %q", alg)
	}
	k := &fakeKey{priv: priv}
	// P224 keys have no SSH form; the provider returns empty OpenSSH keys for them.
	if pub, err := ssh.NewPublicKey(publicOf(priv)); err == nil {
		k.pubSSH = pub
		block, err := ssh.MarshalPrivateKey(priv, "")
		if err != nil {
			return nil, err
		}
		k.openssh = string(pem.EncodeToMemory(block))
	}
	return k, nil
}

func publicOf(priv any) any {
	switch p := priv.(type) {
	case ed25519.PrivateKey:
		return p.Public()
	case *ecdsa.PrivateKey:
		return &p.PublicKey
	case *rsa.PrivateKey:
		return &p.PublicKey
	}
	return nil
}

// CachedPrivateKey returns the fake private key issued to the tls PrivateKey resource of the given name,
// for tests that sign or verify with it.
func CachedPrivateKey(name string) (any, bool) {
	var found any
	keyCache.Range(func(k, v any) bool {
		if strings.HasPrefix(k.(string), "tls:index/privateKey:PrivateKey|"+name+"|") {
			found = v.(*fakeKey).priv
			return false
		}
		return true
	})
	return found, found != nil
}

// fakePolicyDocument renders the statements of aws.iam.getPolicyDocument to JSON, as the provider does,
// so that tests can assert the actions and resources a policy grants.
func fakePolicyDocument(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
	args := a.Args.Mappable()
	type stmt map[string]any
	var statements []stmt
	raw, _ := args["statements"].([]any)
	for _, s := range raw {
		in := s.(map[string]any)
		out := stmt{"Effect": "Allow"}
		if v, ok := in["effect"].(string); ok && v != "" {
			out["Effect"] = v
		}
		if v, ok := in["sid"].(string); ok && v != "" {
			out["Sid"] = v
		}
		if v, ok := in["actions"]; ok {
			out["Action"] = sortedStrings(v)
		}
		if v, ok := in["resources"]; ok {
			out["Resource"] = sortedStrings(v)
		}
		if ps, ok := in["principals"].([]any); ok {
			pr := map[string]any{}
			for _, p := range ps {
				pm := p.(map[string]any)
				pr[pm["type"].(string)] = sortedStrings(pm["identifiers"])
			}
			out["Principal"] = pr
		}
		if cs, ok := in["conditions"].([]any); ok {
			cond := map[string]map[string]any{}
			for _, c := range cs {
				cm := c.(map[string]any)
				test := cm["test"].(string)
				if cond[test] == nil {
					cond[test] = map[string]any{}
				}
				cond[test][cm["variable"].(string)] = sortedStrings(cm["values"])
			}
			out["Condition"] = cond
		}
		statements = append(statements, out)
	}
	doc, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(doc)
	return resource.PropertyMap{
		"json":         resource.NewProperty(string(doc)),
		"minifiedJson": resource.NewProperty(string(doc)),
		"id":           resource.NewProperty(fmt.Sprint(binary.BigEndian.Uint32(sum[:4]))),
		"statements":   a.Args["statements"],
	}, nil
}

func sortedStrings(v any) []string {
	raw, _ := v.([]any)
	out := make([]string, 0, len(raw))
	for _, x := range raw {
		out = append(out, fmt.Sprint(x))
	}
	sort.Strings(out)
	return out
}

// FakeResource returns the answer of the fake provider for a resource type, for the engine tests' stand-in
// plugins (tools/standin-provider), which answer the real engine exactly as these fakes answer the mocks.
func FakeResource(typeToken string) (ResourceFunc, bool) {
	f, ok := defaultResources[typeToken]
	return f, ok
}

// FakeCall returns the answer of the fake provider for an invoke (data source).
func FakeCall(token string) (CallFunc, bool) {
	f, ok := defaultCalls[token]
	return f, ok
}

// FakeVaultSealedEnv names a marker file: while it exists, the fake Vault answers every read as a sealed
// Vault does, and the stand-in host's unseal step removes it (for the stand-in plugins, whose
// environment the engine tests set).
const FakeVaultSealedEnv = "HOODCLOUD_FAKE_VAULT_SEALED"

// FakeVaultSealed reports whether the fake Vault is sealed.
func FakeVaultSealed() bool {
	marker := os.Getenv(FakeVaultSealedEnv)
	if marker == "" {
		return false
	}
	_, err := os.Stat(marker)
	return err == nil
}

// FakeVaultUnseal is what the unseal step does to the fake Vault.
func FakeVaultUnseal() {
	if marker := os.Getenv(FakeVaultSealedEnv); marker != "" {
		_ = os.Remove(marker)
	}
}

// fakeSealGuard answers the one local command the program runs, components/vault's seal guard (its mode is
// the command), as the guard does against the fake Vault: a sealed one is reported in a preview (which
// must be given no keys) and unsealed in an up (which must be given the keys on stdin).
func fakeSealGuard(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
	env, mode := a.Args["environment"], a.Args["command"]
	if !env.IsObject() || !env.ObjectValue()["HOODCLOUD_VAULT_ADDR"].IsString() || !mode.IsString() {
		return nil, fmt.Errorf("testkit: no fake for this local command (only the Vault seal guard has one)")
	}
	stdin := ""
	if v := a.Args["stdin"]; v.IsString() {
		stdin = v.StringValue()
	}
	answer := "unsealed"
	switch mode.StringValue() {
	case "report":
		if stdin != "" {
			return nil, fmt.Errorf("seal guard: a preview was given the unseal keys")
		}
		if FakeVaultSealed() {
			answer = "sealed"
			if hk := env.ObjectValue()["HOODCLOUD_VAULT_HAS_KEYS"]; !hk.IsString() || hk.StringValue() != "true" {
				answer = "sealed-nokeys"
			}
		}
	case "unseal":
		if FakeVaultSealed() {
			if strings.TrimSpace(stdin) == "" {
				return nil, fmt.Errorf("seal guard: Vault is sealed and the program holds no unseal keys")
			}
			FakeVaultUnseal()
			answer = "unsealed-now"
		}
	default:
		return nil, fmt.Errorf("seal guard: unknown mode %q", mode.StringValue())
	}
	return resource.PropertyMap{"stdout": resource.NewProperty(answer + "\n"), "stderr": resource.NewProperty("")}, nil
}

// fakeAuthBackend answers vault.LookupAuthBackend like Vault: the mount's type and accessor, or Vault's
// error when it is sealed.
func fakeAuthBackend(a pulumi.MockCallArgs) (resource.PropertyMap, error) {
	if FakeVaultSealed() {
		return nil, fmt.Errorf("error reading from Vault: Error making API request.\n\nCode: 503. Errors:\n\n* Vault is sealed")
	}
	path := a.Args["path"].StringValue()
	return resource.PropertyMap{"path": resource.NewProperty(path), "type": resource.NewProperty("approle"),
		"accessor": resource.NewProperty("auth_approle_" + strconv.Itoa(int(stableNumber(path, 99999)))), "id": resource.NewProperty(path)}, nil
}
