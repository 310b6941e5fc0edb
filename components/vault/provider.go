package vault

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi-vault/sdk/v7/go/vault"
	"github.com/pulumi/pulumi-vault/sdk/v7/go/vault/kv"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
)

// configure creates the provider (logged in with the program's AppRole) and everything it manages.
func (v *Vault) configure(ctx *pulumi.Context, name string, args *Args, host *hostSteps) error {
	root := args.ProjectDir
	dir := args.caCertDir()
	caFile := args.CACertPEM.ToStringOutput().ApplyT(func(pemText string) (string, error) {
		if err := checkCertPEM("CA certificate", pemText); err != nil {
			return "", err
		}
		return writeCACertFile(root, dir, pemText)
	}).(pulumi.StringOutput)

	// The provider and the probe wait for the seal guard, which unseals a Vault that restarted (sealguard.go).
	address := host.guardedAddress
	pargs := &vault.ProviderArgs{
		Address:    address,
		CaCertFile: caFile,
		// The provider logs in with the program's AppRole; a child token would need auth/token/create.
		AuthLogin: vault.ProviderAuthLoginArgs{
			Path:       pulumi.String(LoginPath),
			Parameters: host.login,
		},
		SkipChildToken: pulumi.Bool(true),
		// Set explicitly: the SDK would otherwise read them from the operator's environment
		// (VAULT_SKIP_VERIFY, VAULT_MAX_RETRIES, TERRAFORM_VAULT_MAX_TTL), and must never skip TLS checks.
		SkipTlsVerify:      pulumi.Bool(false),
		MaxRetries:         pulumi.Int(2),
		MaxLeaseTtlSeconds: pulumi.Int(1200),
	}
	provider, err := vault.NewProvider(ctx, name+"-provider", pargs, component.Child(v)...)
	if err != nil {
		return err
	}
	v.ProviderResource = provider
	// Every preview and up reads the approle auth method through the provider (after the program's
	// credential exists), after the seal guard: a Vault still sealed (the guard had no keys) or otherwise
	// unusable makes the run fail with Vault's own message instead of reporting success while the services
	// cannot read their secrets (README, troubleshooting). In a preview that found Vault sealed, its path
	// is unknown and the read waits for the up.
	probeOpts := append(upAfter(ctx, host.unseal), pulumi.Provider(provider), pulumi.Parent(v))
	probePath := address.ApplyT(func(string) string { return "approle" }).(pulumi.StringOutput)
	v.AppRoleAccessor = vault.LookupAuthBackendOutput(ctx, vault.LookupAuthBackendOutputArgs{Path: probePath},
		probeOpts...).Accessor()
	managed := func(o ...pulumi.ResourceOption) []pulumi.ResourceOption {
		return component.Child(v, append([]pulumi.ResourceOption{pulumi.Provider(provider)}, o...)...)
	}

	mount, err := vault.NewMount(ctx, name+"-kv", &vault.MountArgs{
		Path:        pulumi.String("secret"),
		Type:        pulumi.String("kv"),
		Options:     pulumi.StringMap{"version": pulumi.String("2")},
		Description: pulumi.String("HoodCloud application secrets (KV v2)"),
	}, managed(pulumi.Protect(args.Protect))...)
	if err != nil {
		return err
	}
	v.KVMountPath = mount.Path
	v.Ready = []pulumi.Resource{host.credential, mount}

	for _, s := range args.Secrets {
		secret, err := kv.NewSecretV2(ctx, name+"-secret-"+slug(s.Path), &kv.SecretV2Args{
			Mount:    mount.Path,
			Name:     pulumi.String(s.Path),
			DataJson: secretJSON(s.Data),
		}, managed()...)
		if err != nil {
			return err
		}
		v.Ready = append(v.Ready, secret)
	}
	return v.consumers(ctx, name, args, managed)
}

// secretJSON builds a KV secret's data document from secret inputs, keys in sorted order; it stays secret.
func secretJSON(data map[string]pulumi.StringInput) pulumi.StringOutput {
	keys := sortedKeys(data)
	values := make([]any, len(keys))
	for i, k := range keys {
		values[i] = data[k]
	}
	doc := pulumi.All(values...).ApplyT(func(x []any) (string, error) {
		m := make(map[string]string, len(keys))
		for i, k := range keys {
			m[k] = x[i].(string)
		}
		b, err := json.Marshal(m) // encoding/json writes map keys sorted
		return string(b), err
	}).(pulumi.StringOutput)
	return pulumi.ToSecret(doc).(pulumi.StringOutput)
}

// caCertPath is the provider's CA file path: named by a prefix of the certificate's SHA-256, so the
// same CA always gives the same path and a rotated CA a new one.
func caCertPath(dir, pemText string) string {
	sum := sha256.Sum256([]byte(pemText))
	return filepath.ToSlash(filepath.Join(dir, hex.EncodeToString(sum[:8])+".pem"))
}

// writeCACertFile writes the public CA certificate where the provider reads it and returns the path
// given to the provider. A relative dir is resolved against the project directory, which is the
// provider plugin's working directory. The file is replaced atomically, and only when it differs.
func writeCACertFile(root, dir, pemText string) (string, error) {
	rel := caCertPath(dir, pemText)
	target := rel
	if !filepath.IsAbs(target) && root != "" {
		target = filepath.Join(root, target)
	}
	if old, err := os.ReadFile(target); err == nil && bytes.Equal(old, []byte(pemText)) {
		return rel, nil
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return "", fmt.Errorf("vault CA file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), ".ca-*.pem")
	if err != nil {
		return "", fmt.Errorf("vault CA file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(pemText); err != nil {
		tmp.Close()
		return "", fmt.Errorf("vault CA file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("vault CA file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", fmt.Errorf("vault CA file: %w", err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return "", fmt.Errorf("vault CA file: %w", err)
	}
	return rel, nil
}
