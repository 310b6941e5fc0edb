package compose

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/hoodcloud/infra/internal/render"
)

//go:embed templates/env.tmpl
var envTemplate string

// EnvFileName is the rendered .env's name in the remote project directory.
const EnvFileName = ".env"

var (
	envKeyRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	// plainValueRe are values written unquoted: nothing compose's dotenv parser would interpret.
	plainValueRe = regexp.MustCompile(`^[A-Za-z0-9_./:@,+=%-]*$`)
	// secretWords mark a key as naming a secret; a key that names a file, path or public key is fine.
	secretWords      = []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN", "SEED", "CREDENTIALS", "PRIVATE"}
	secretExemptLast = map[string]bool{"FILE": true, "PATH": true, "DIR": true, "PUB": true}
)

// AppEnv is the typed, non-secret environment of the HoodCloud bundle: every ${VAR} the fixture bundle's
// compose files interpolate. Secrets are not here by construction: services read them from files under
// /opt/hoodcloud/secrets/ or from Vault with their AppRole credentials.
type AppEnv struct {
	Domain            string // DOMAIN: base domain (api., auth., grafana., status., nats.)
	ImageRegistry     string // IMAGE_REGISTRY: registry and namespace of HoodCloud's own images
	Version           string // HOODCLOUD_VERSION: tag of HoodCloud's own images (pinned, never "latest")
	VaultAddr         string // VAULT_ADDR: https URL of Vault's API
	AWSRegion         string // AWS_REGION
	StateBucket       string // TF_STATE_BUCKET: Terraform state bucket
	LockTable         string // TF_LOCK_TABLE: Terraform lock table
	ChainConfigBucket string // CHAIN_CONFIG_BUCKET
	PaymentGRPCAddr   string // PAYMENT_GRPC_ADDR: host:port of the payment service's gRPC (mTLS) port
	// NATSCtrlAccountPub is NATS_CTRL_ACCOUNT_PUB: the CTRL account's public key (guide, Troubleshooting).
	NATSCtrlAccountPub string
	// NATSHostIP is NATS_HOST_IP: the control plane's address, which the payment stack maps nats.<domain>
	// to (extra_hosts), so the payment service reaches NATS before any DNS record exists.
	NATSHostIP string
	LogLevel   string // LOG_LEVEL; empty means info
	// Extra are further plain variables; a key that AppEnv already sets is an error in Vars.
	Extra map[string]string
}

// Vars returns the variables of the .env. It refuses Extra keys that collide with a typed field.
func (e AppEnv) Vars() (map[string]string, error) {
	level := e.LogLevel
	if level == "" {
		level = "info"
	}
	vars := map[string]string{
		"DOMAIN":                e.Domain,
		"IMAGE_REGISTRY":        e.ImageRegistry,
		"HOODCLOUD_VERSION":     e.Version,
		"VAULT_ADDR":            e.VaultAddr,
		"AWS_REGION":            e.AWSRegion,
		"TF_STATE_BUCKET":       e.StateBucket,
		"TF_LOCK_TABLE":         e.LockTable,
		"CHAIN_CONFIG_BUCKET":   e.ChainConfigBucket,
		"PAYMENT_GRPC_ADDR":     e.PaymentGRPCAddr,
		"NATS_CTRL_ACCOUNT_PUB": e.NATSCtrlAccountPub,
		"NATS_HOST_IP":          e.NATSHostIP,
		"LOG_LEVEL":             level,
	}
	var errs []string
	for _, k := range sortedKeys(e.Extra) {
		if _, ok := vars[k]; ok {
			errs = append(errs, k)
			continue
		}
		vars[k] = e.Extra[k]
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("hoodcloud:bundleDir: .env: expected extra keys distinct from the typed ones, found %s set twice", strings.Join(errs, ", "))
	}
	if e.Version == "" || e.Version == "latest" {
		return nil, fmt.Errorf("hoodcloud:bundleDir: .env HOODCLOUD_VERSION: expected a pinned image tag, found %q", e.Version)
	}
	return vars, nil
}

// CheckEnv reports every key or value that cannot go into the .env: malformed keys, keys named like a
// secret (a .env is plain text on disk and in state), values with line breaks or quotes we cannot write.
func CheckEnv(vars map[string]string) error {
	var errs []string
	for _, k := range sortedKeys(vars) {
		if why := checkEnvKey(k); why != "" {
			errs = append(errs, fmt.Sprintf("hoodcloud:bundleDir: .env key %q: %s", k, why))
			continue
		}
		if _, err := quoteEnvValue(vars[k]); err != nil {
			errs = append(errs, fmt.Sprintf("hoodcloud:bundleDir: .env key %s: %v", k, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

func checkEnvKey(k string) string {
	if !envKeyRe.MatchString(k) {
		return "expected upper-case letters, digits and underscores starting with a letter"
	}
	words := strings.Split(k, "_")
	if secretExemptLast[words[len(words)-1]] {
		return ""
	}
	for _, w := range words {
		for _, s := range secretWords {
			if w == s {
				return fmt.Sprintf("expected no secrets in .env (mount a file under /opt/hoodcloud/secrets/ and pass %s_FILE, or read it from Vault), found a key named like a secret", k)
			}
		}
	}
	if strings.HasSuffix(k, "_KEY") || k == "KEY" {
		return fmt.Sprintf("expected no secrets in .env (pass %s_FILE or read it from Vault), found a key named like a secret key", k)
	}
	return ""
}

// quoteEnvValue writes v so that compose's dotenv parser reads back exactly v: plain when safe, else in
// single quotes (literal: no interpolation).
func quoteEnvValue(v string) (string, error) {
	if plainValueRe.MatchString(v) {
		return v, nil
	}
	// In single quotes compose's parser still treats \' as an escaped quote, so neither a quote nor a
	// backslash can be written literally; no plain setting needs them.
	if strings.ContainsAny(v, "'\\\n\r\x00") {
		return "", fmt.Errorf("expected a value without single quotes, backslashes, line breaks or NUL bytes, found %q", v)
	}
	return "'" + v + "'", nil
}

// RenderEnv renders the .env: one KEY=value line per variable, keys sorted, so the same variables always
// give the same bytes (and the same hash).
func RenderEnv(vars map[string]string) (string, error) {
	if err := CheckEnv(vars); err != nil {
		return "", err
	}
	lines := make([]string, 0, len(vars))
	for _, k := range sortedKeys(vars) {
		q, _ := quoteEnvValue(vars[k]) // checked above
		lines = append(lines, k+"="+q)
	}
	return render.Template("env", envTemplate, struct{ Lines []string }{lines})
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
