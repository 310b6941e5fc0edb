// Package preflight checks, in well under a second and before any engine starts, that a stack can be
// previewed from this directory: its stack file, every secret Pulumi.yaml requires, the provider
// credentials and the passphrase. It lists everything missing in one message, each with the command that
// sets it, so `make preview STACK=prod` without credentials fails at once with what to do, instead of
// minutes into a preview with the first of several errors.
package preflight

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// DemoStack is the stack that previews with no account: its secrets are samples encrypted under
// DemoPassphrase, which is published on purpose. It is never deployed.
const DemoStack = "demo"

// DemoPassphrase unlocks the demo stack's sample secrets; it protects nothing.
const DemoPassphrase = "hoodcloud-demo-only-not-a-secret"

// Env is what the engine needs to preview the stack.
type Env struct {
	Passphrase string
	BackendURL string
}

type projectFile struct {
	Name   string `yaml:"name"`
	Config map[string]struct {
		Secret  bool `yaml:"secret"`
		Default any  `yaml:"default"`
	} `yaml:"config"`
}

type stackFile struct {
	SecretsProvider string         `yaml:"secretsprovider"`
	EncryptionSalt  string         `yaml:"encryptionsalt"`
	Config          map[string]any `yaml:"config"`
}

// Check reads dir/Pulumi.yaml and dir/Pulumi.<stack>.yaml and the environment (getenv).
func Check(dir, stack string, getenv func(string) string) (Env, error) {
	var proj projectFile
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return Env{}, fmt.Errorf("expected Pulumi.yaml in %s (run from the project directory), found none", dir)
	}
	if err := yaml.Unmarshal(b, &proj); err != nil {
		return Env{}, fmt.Errorf("Pulumi.yaml: %w", err)
	}
	env := Env{Passphrase: getenv("PULUMI_CONFIG_PASSPHRASE"), BackendURL: getenv("PULUMI_BACKEND_URL")}
	if env.BackendURL == "" {
		env.BackendURL = "file://" + filepath.Join(dir, ".pulumi-local")
	}
	if stack == DemoStack && env.Passphrase == "" {
		env.Passphrase = DemoPassphrase
	}

	var missing []string
	var sf stackFile
	name := "Pulumi." + stack + ".yaml"
	b, err = os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		missing = append(missing, fmt.Sprintf("the stack file %s: pulumi stack init %s, then the keys below", name, stack))
	} else if err := yaml.Unmarshal(b, &sf); err != nil {
		return Env{}, fmt.Errorf("%s: %w", name, err)
	}
	if env.Passphrase == "" && getenv("PULUMI_CONFIG_PASSPHRASE_FILE") == "" && !strings.Contains(sf.SecretsProvider, "://") {
		missing = append(missing, "the passphrase of the stack's secrets: export PULUMI_CONFIG_PASSPHRASE=… (or PULUMI_CONFIG_PASSPHRASE_FILE)")
	}
	secure := func(key string) bool {
		m, ok := sf.Config[key].(map[string]any)
		return ok && m["secure"] != nil
	}
	var keys []string
	for k, decl := range proj.Config {
		if decl.Secret && decl.Default == nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !secure(proj.Name + ":" + k) {
			missing = append(missing, fmt.Sprintf("%s:%s: pulumi config set --stack %s --secret %s …", proj.Name, k, stack, k))
		}
	}
	if user, _ := sf.Config[proj.Name+":registryUsername"].(string); user != "" && !secure(proj.Name+":registryPassword") {
		missing = append(missing, fmt.Sprintf("%s:registryPassword (registryUsername is %q): pulumi config set --stack %s --secret registryPassword …", proj.Name, user, stack))
	}
	if !secure("hcloud:token") {
		missing = append(missing, fmt.Sprintf("hcloud:token (a Hetzner Cloud API token): pulumi config set --stack %s --secret hcloud:token …", stack))
	}
	if !awsCredentials(sf, getenv) {
		missing = append(missing, "AWS credentials: export AWS_PROFILE=… (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or pulumi config set aws:profile …")
	}
	if len(missing) > 0 {
		return env, errors.New("stack " + stack + " cannot be previewed yet; set:\n  - " + strings.Join(missing, "\n  - "))
	}
	return env, nil
}

// awsCredentials reports whether the aws provider will find credentials: in the environment, a profile,
// or (the demo stack) explicit keys with credential validation skipped.
func awsCredentials(sf stackFile, getenv func(string) string) bool {
	if getenv("AWS_PROFILE") != "" || (getenv("AWS_ACCESS_KEY_ID") != "" && getenv("AWS_SECRET_ACCESS_KEY") != "") {
		return true
	}
	if sf.Config["aws:profile"] != nil {
		return true
	}
	return sf.Config["aws:accessKey"] != nil && sf.Config["aws:secretKey"] != nil
}
