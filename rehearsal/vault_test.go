package rehearsal

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"github.com/hoodcloud/infra/stacks"
)

// The Vault bootstrap, for real: the vault image pulled through the rehearsal's registry mirror, the
// real Vault 1.20 initialised, unsealed and configured by the program (the real pulumi-vault plugin logs
// in with the program's AppRole), the root token revoked; each consumer's AppRole files on its server read
// its own subtree and nothing else; a second up changes nothing; a Vault that restarted comes back sealed,
// a preview warns, and the next up unseals it and converges.
func TestVaultRehearsal(t *testing.T) {
	ru := start(t, stacks.PhaseVault)
	ru.firstUp(t, "vault: first up", "vault-install", "vault-init", "vault-unseal", "vault-credential", "vault-revoke-root")
	if got := ru.outputAny(t, "vaultRootTokenRevoked"); got != true {
		t.Errorf("vaultRootTokenRevoked = %v", got)
	}
	v := ru.vaultAPI(t)
	var status struct{ Initialized, Sealed bool }
	v.call(t, "GET", "sys/seal-status", "", nil, &status)
	if !status.Initialized || status.Sealed {
		t.Errorf("seal status %+v", status)
	}

	// Least privilege: each consumer logs in with the files on its server and reads only its subtree.
	for consumer, own := range map[string]string{
		stacks.ConsumerControlPlane: "control-plane/hetzner", stacks.ConsumerPayment: "payment/stripe", stacks.ConsumerCertbot: "infra/certbot/cloudflare",
	} {
		h := ru.host(t, ru.hostOf(t, consumer))
		dir := stacks.AppRoleDir(consumer)
		roleID := strings.TrimSpace(h.run(t, "cat", dir+"/role_id"))
		secretID := strings.TrimSpace(h.run(t, "cat", dir+"/secret_id"))
		var login struct {
			Auth struct {
				ClientToken string `json:"client_token"`
			}
		}
		v.call(t, "POST", "auth/approle/login", "", map[string]string{"role_id": roleID, "secret_id": secretID}, &login)
		if code := v.status(t, "secret/data/"+own, login.Auth.ClientToken); code != 200 {
			t.Errorf("%s cannot read its own secret/%s: %d", consumer, own, code)
		}
		for other, path := range map[string]string{"payment": "payment/stripe", "control-plane": "control-plane/hetzner", "certbot": "infra/certbot/cloudflare"} {
			if other == consumer {
				continue
			}
			if code := v.status(t, "secret/data/"+path, login.Auth.ClientToken); code != 403 {
				t.Errorf("%s reads secret/%s: %d, want 403", consumer, path, code)
			}
		}
	}

	if ops := ru.up(t, "vault: second up", optup.ExpectNoChanges()); len(ops) != 0 {
		t.Errorf("a second up did %v", ops)
	}

	// Vault restarts on its own (an OOM kill, a host reboot): it comes back sealed. A preview warns and
	// leaves it sealed; the next up unseals it (the seal guard, on this machine, with the keys the program
	// holds) without changing anything, and the up after that has nothing to do.
	vh := ru.host(t, ru.hostOf(t, "vault"))
	vaultContainer := strings.TrimSpace(vh.run(t, "docker", "ps", "--quiet", "--filter", "label=com.docker.compose.service=vault"))
	vh.run(t, "docker", "restart", vaultContainer)
	v.waitSealed(t)
	ru.r.Phase("vault: preview on a sealed Vault")
	if warnings, err := ru.previewWarnings(t); err != nil || !strings.Contains(strings.Join(warnings, "\n"), "Vault is sealed") {
		t.Errorf("a preview on a sealed Vault: %v, warnings %q", err, warnings)
	}
	v.call(t, "GET", "sys/seal-status", "", nil, &status)
	if !status.Sealed {
		t.Error("a preview unsealed Vault")
	}
	if ops := ru.up(t, "vault: up on a sealed Vault"); len(ops) != 0 {
		t.Errorf("the unsealing up changed %v", ops)
	}
	v.call(t, "GET", "sys/seal-status", "", nil, &status)
	if status.Sealed {
		t.Error("the up left Vault sealed")
	}
	if ops := ru.up(t, "vault: up after the unseal", optup.ExpectNoChanges()); len(ops) != 0 {
		t.Errorf("an up after the unseal did %v", ops)
	}

	// The README's root-token rotation: key holders make a root token, the operator sets vaultRootToken,
	// `up` re-runs the root-only steps once (a new program credential) and they revoke the token; the
	// operator unsets it and the next up is a no-op, not a failure.
	root := v.generateRoot(t, ru.unsealKeys(t))
	ru.set(t, "vaultRootToken", root, true)
	ops := ru.up(t, "vault: up with a new root token")
	for _, step := range []string{"vault-credential", "vault-revoke-root"} {
		if !strings.Contains(ops[step], "replace") {
			t.Errorf("a new root token: %s %q, want a replacement", step, ops[step])
		}
	}
	if code := v.status(t, "auth/token/lookup-self", root); code != 403 {
		t.Errorf("the supplied root token still works after the up: %d", code)
	}
	if err := ru.stack.RemoveConfig(context.Background(), stacks.Namespace+":vaultRootToken"); err != nil {
		t.Fatal(err)
	}
	if ops := ru.up(t, "vault: up after unsetting vaultRootToken", optup.ExpectNoChanges()); len(ops) != 0 {
		t.Errorf("unsetting vaultRootToken did %v", ops)
	}
}

// unsealKeys are the key holders' keys, from init's answer in the outputs.
func (ru *run) unsealKeys(t *testing.T) []string {
	t.Helper()
	var init struct {
		Keys []string `json:"unseal_keys_b64"`
	}
	if err := json.Unmarshal([]byte(ru.output(t, "vaultInitJson")), &init); err != nil || len(init.Keys) == 0 {
		t.Fatalf("vaultInitJson: %v", err)
	}
	return init.Keys
}

// generateRoot is `vault operator generate-root` as key holders run it: start an attempt, give keys
// until Vault has its threshold, decode the answer with the attempt's one-time password.
func (v vaultClient) generateRoot(t *testing.T, keys []string) string {
	t.Helper()
	var attempt struct {
		Nonce string `json:"nonce"`
		OTP   string `json:"otp"`
	}
	v.call(t, "PUT", "sys/generate-root/attempt", "", map[string]string{}, &attempt)
	var progress struct {
		Complete     bool   `json:"complete"`
		EncodedToken string `json:"encoded_token"`
	}
	for _, k := range keys {
		v.call(t, "PUT", "sys/generate-root/update", "", map[string]string{"key": k, "nonce": attempt.Nonce}, &progress)
		if progress.Complete {
			break
		}
	}
	if !progress.Complete {
		t.Fatal("generate-root did not complete with every key")
	}
	enc, err := base64.RawStdEncoding.DecodeString(progress.EncodedToken)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != len(attempt.OTP) {
		t.Fatalf("encoded token of %d bytes for an OTP of %d", len(enc), len(attempt.OTP))
	}
	token := make([]byte, len(enc))
	for i := range enc {
		token[i] = enc[i] ^ attempt.OTP[i]
	}
	return string(token)
}

// vault is Vault's HTTP API as the operator's machine reaches it, trusting only the stack's Vault CA.
type vaultClient struct {
	base   string
	client *http.Client
}

func (ru *run) vaultAPI(t *testing.T) vaultClient {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(ru.output(t, "vaultCaCert"))) {
		t.Fatal("vaultCaCert holds no certificate")
	}
	return vaultClient{base: ru.output(t, "vaultAddress") + "/v1/", client: &http.Client{
		Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}}
}

func (v vaultClient) do(t *testing.T, method, path, token string, body any) *http.Response {
	t.Helper()
	var in io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		in = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, v.base+path, in)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// call makes a request that must succeed and decodes its answer into out.
func (v vaultClient) call(t *testing.T, method, path, token string, body, out any) {
	t.Helper()
	resp := v.do(t, method, path, token, body)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// status is the HTTP status of a GET.
func (v vaultClient) status(t *testing.T, path, token string) int {
	t.Helper()
	resp := v.do(t, "GET", path, token, nil)
	resp.Body.Close()
	return resp.StatusCode
}

// waitSealed waits until Vault answers again, sealed.
func (v vaultClient) waitSealed(t *testing.T) {
	t.Helper()
	sealed := waitUntil(60*time.Second, time.Second, func() bool {
		req, _ := http.NewRequest("GET", v.base+"sys/seal-status", nil)
		resp, err := v.client.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var s struct{ Sealed bool }
		return json.NewDecoder(resp.Body).Decode(&s) == nil && s.Sealed
	})
	if !sealed {
		t.Fatal("vault did not come back sealed within a minute")
	}
}
