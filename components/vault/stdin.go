package vault

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hoodcloud/infra/internal/contenthash"
)

// What travels on the steps' stdin, and what their stdout says. These functions see secrets: their
// errors describe what is wrong without ever quoting the value.

// encodeBundle frames files for the install step: one `<name> <base64>` line per file, in the layout's
// order. Base64 keeps a PEM's newlines inside one line.
func encodeBundle(l layout, contents map[string]string) (string, error) {
	var b strings.Builder
	for _, f := range l.files() {
		c, ok := contents[f.Name]
		if !ok {
			return "", fmt.Errorf("install bundle: no content for %s", f.Name)
		}
		b.WriteString(f.Name + " " + base64.StdEncoding.EncodeToString([]byte(c)) + "\n")
	}
	return b.String(), nil
}

// bundleHash is the content hash of the install step's files: a new certificate, key or configuration
// re-runs install (and the unseal step after it).
func bundleHash(contents map[string]string) string { return contenthash.OfFiles(contents) }

// initResult is what the init step prints: vault's `operator init -format=json`, or the marker of an
// already initialised Vault.
type initResult struct {
	UnsealKeysB64      []string `json:"unseal_keys_b64"`
	RecoveryKeysB64    []string `json:"recovery_keys_b64"`
	RootToken          string   `json:"root_token"`
	AlreadyInitialized bool     `json:"already_initialized"`
}

// parseInit parses the init step's stdout; empty stdout (no step output yet) is an empty result.
func parseInit(stdout string) (initResult, error) {
	var r initResult
	if strings.TrimSpace(stdout) == "" {
		return r, nil
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		return r, errors.New("the init step's output is not vault's JSON")
	}
	return r, nil
}

// unsealInput is the unseal step's stdin: one key per line. Keys set in configuration win (they are the
// operators' decision, and the only usable ones when init encrypted its keys with PGP); otherwise the
// keys init printed. Empty when there are none, which the script reports if Vault is sealed.
func unsealInput(initStdout string, configured []string, pgpEncrypted bool) (string, error) {
	keys := configured
	if len(keys) == 0 {
		r, err := parseInit(initStdout)
		if err != nil {
			return "", err
		}
		if !pgpEncrypted {
			keys = r.UnsealKeysB64
		}
	}
	for i, k := range keys {
		if k == "" || strings.ContainsAny(k, " \t\r\n") {
			return "", fmt.Errorf("hoodcloud:vaultUnsealKeys: expected unseal keys without whitespace, key %d is empty or has whitespace", i+1)
		}
	}
	if len(keys) == 0 {
		return "", nil
	}
	return strings.Join(keys, "\n") + "\n", nil
}

// rootTokenInput is the stdin of the steps that need the root token: the configured one (a token made
// with `vault operator generate-root` after the first was revoked) or the one init printed.
func rootTokenInput(initStdout, configured string) (string, error) {
	token := configured
	if token == "" {
		r, err := parseInit(initStdout)
		if err != nil {
			return "", err
		}
		token = r.RootToken
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return "", errors.New("hoodcloud:vaultRootToken: expected a token without whitespace, found whitespace")
	}
	if token == "" {
		return "", nil
	}
	return token + "\n", nil
}

// parseCredential turns the credential step's stdout into the provider's AppRole login parameters.
func parseCredential(stdout string) (map[string]string, error) {
	var c struct {
		RoleID   string `json:"role_id"`
		SecretID string `json:"secret_id"`
	}
	if strings.TrimSpace(stdout) == "" {
		return map[string]string{}, nil
	}
	if err := json.Unmarshal([]byte(stdout), &c); err != nil || c.RoleID == "" || c.SecretID == "" {
		return nil, errors.New("the credential step's output lacks role_id or secret_id")
	}
	return map[string]string{"role_id": c.RoleID, "secret_id": c.SecretID}, nil
}

// parseRevoked reads the revoke step's stdout.
func parseRevoked(stdout string) bool {
	var r struct {
		Revoked bool `json:"revoked"`
	}
	return json.Unmarshal([]byte(stdout), &r) == nil && r.Revoked
}

// appRoleFilesInput is the stdin of a consumer's file step.
func appRoleFilesInput(roleID, secretID string) string {
	return "role_id " + roleID + "\nsecret_id " + secretID + "\n"
}

// envFile is vault.env: the awskms seal's credentials, or a comment when auto-unseal is off.
func envFile(au *resolvedAutoUnseal) (string, error) {
	if au == nil {
		return "# auto-unseal is off: no environment\n", nil
	}
	for _, v := range []string{au.AccessKeyID, au.SecretAccessKey, au.Region} {
		if v == "" || strings.ContainsAny(v, " \t\r\n\"'") {
			return "", errors.New("hoodcloud:vaultAutoUnseal: expected the access key ID, secret access key and region as single words, found an empty value or one with whitespace or quotes")
		}
	}
	return "AWS_REGION=" + au.Region + "\nAWS_ACCESS_KEY_ID=" + au.AccessKeyID + "\nAWS_SECRET_ACCESS_KEY=" + au.SecretAccessKey + "\n", nil
}

// resolvedAutoUnseal is AutoUnseal with its inputs resolved.
type resolvedAutoUnseal struct {
	KMSKeyID, Region, AccessKeyID, SecretAccessKey string
}
