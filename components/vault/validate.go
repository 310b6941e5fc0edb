package vault

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

var (
	nameRe       = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$`)
	policyPathRe = regexp.MustCompile(`^[A-Za-z0-9_.+*/-]+$`)
	secretPathRe = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$`)
	dataKeyRe    = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	regionRe     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	imageRe      = regexp.MustCompile(`^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$`)
)

// capabilities are Vault's ACL capabilities.
var capabilities = map[string]bool{"create": true, "read": true, "update": true, "patch": true,
	"delete": true, "list": true, "sudo": true, "deny": true, "subscribe": true}

// Validate reports every problem at once; each names the configuration key it comes from.
func (a *Args) Validate() error {
	var errs []error
	bad := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }

	errs = append(errs, a.Host.Problems("hoodcloud:topology: the Vault host")...)
	if a.Address == nil {
		bad("hoodcloud:vaultAddress: expected Vault's API address (https://<ip>:8200), found none")
	} else if s, ok := a.Address.(pulumi.String); ok {
		if u, err := url.Parse(string(s)); err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" {
			bad("hoodcloud:vaultAddress: expected https://<host>:<port>, found %q", string(s))
		}
	}
	for _, c := range []struct {
		what string
		in   pulumi.StringInput
	}{{"CA certificate", a.CACertPEM}, {"server certificate", a.CertPEM}} {
		if c.in == nil {
			bad("hoodcloud:vaultTls: expected the %s, found none", c.what)
		} else if s, ok := c.in.(pulumi.String); ok {
			if err := checkCertPEM(c.what, string(s)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if a.KeyPEM == nil {
		bad("hoodcloud:vaultTls: expected the TLS key, found none")
	} else if s, ok := a.KeyPEM.(pulumi.String); ok {
		if err := checkKeyPEM(string(s)); err != nil {
			errs = append(errs, err)
		}
	}
	if a.Image != "" && (!imageRe.MatchString(a.Image) || !strings.ContainsAny(a.Image, ":@") || strings.HasSuffix(a.Image, ":latest")) {
		bad("hoodcloud:vaultImage: expected an image pinned by tag or digest (not :latest), found %q", a.Image)
	}
	if a.ComposeFile != "" {
		if err := checkComposeFile(a.ComposeFile); err != nil {
			errs = append(errs, err)
		}
	}
	if s := a.storage(); s != "file" && s != "raft" {
		bad("hoodcloud:vaultStorage: expected file or raft, found %q", s)
	}
	errs = append(errs, a.validateKeys()...)
	errs = append(errs, a.validateConsumers()...)
	errs = append(errs, a.validateSecrets()...)
	return errors.Join(errs...)
}

func (a *Args) validateKeys() []error {
	var errs []error
	bad := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }
	shares, threshold := a.shares(), a.threshold()
	if shares < 1 || shares > 255 {
		bad("hoodcloud:vaultKeyShares: expected 1 to 255 key shares, found %d", shares)
	}
	switch {
	case threshold < 1 || threshold > shares:
		bad("hoodcloud:vaultKeyThreshold: expected a threshold between 1 and the %d key shares, found %d", shares, threshold)
	case shares > 1 && threshold == 1:
		bad("hoodcloud:vaultKeyThreshold: expected at least 2 when the key is split into %d shares (Vault refuses 1), found 1", shares)
	}
	if len(a.PGPKeys) > 0 && len(a.PGPKeys) != shares {
		bad("hoodcloud:vaultPgpKeys: expected one PGP public key per key share (%d), found %d", shares, len(a.PGPKeys))
	}
	for i, k := range a.PGPKeys {
		if b, err := base64.StdEncoding.DecodeString(k); err != nil || len(b) == 0 {
			bad("hoodcloud:vaultPgpKeys: expected base64-encoded PGP public keys, key %d is not base64", i+1)
		}
	}
	if a.AutoUnseal != nil {
		au := a.AutoUnseal
		if au.KMSKeyID == nil {
			bad("hoodcloud:vaultAutoUnseal: expected the KMS key ID of the awskms seal, found none")
		}
		if !regionRe.MatchString(au.Region) {
			bad("hoodcloud:vaultAutoUnseal: expected an AWS region like eu-central-1, found %q", au.Region)
		}
		if au.AccessKeyID == nil || au.SecretAccessKey == nil {
			bad("hoodcloud:vaultAutoUnseal: expected the access key ID and secret access key the seal uses, found a missing one")
		}
		if a.UnsealKeys != nil {
			bad("hoodcloud:vaultUnsealKeys: expected none with auto-unseal (AWS KMS unseals Vault), found unseal keys")
		}
	}
	if a.AlreadyInitialized {
		if a.AutoUnseal == nil && a.UnsealKeys == nil {
			bad("hoodcloud:vaultUnsealKeys: expected the unseal keys of the already initialised Vault (hoodcloud:vaultAlreadyInitialized is true), found none")
		}
		if a.RootToken == nil {
			bad("hoodcloud:vaultRootToken: expected a root token of the already initialised Vault (vault operator generate-root), found none")
		}
	}
	return errs
}

func (a *Args) validateConsumers() []error {
	var errs []error
	bad := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }
	seen := map[string]bool{}
	for _, c := range a.Consumers {
		switch {
		case !nameRe.MatchString(c.Name):
			bad("hoodcloud:vaultConsumers: expected a consumer name of lowercase letters, digits and hyphens, found %q", c.Name)
		case ConsumerPrefix+c.Name == ProgramRole:
			bad("hoodcloud:vaultConsumers: expected a consumer name other than %q (the program's own credential), found it", c.Name)
		case seen[c.Name]:
			bad("hoodcloud:vaultConsumers: expected unique consumer names, found %q twice", c.Name)
		}
		seen[c.Name] = true
		errs = append(errs, c.Host.Problems(fmt.Sprintf("hoodcloud:vaultConsumers: the host of consumer %q", c.Name))...)
		if d := c.dir(); !strings.HasPrefix(d, "/opt/hoodcloud/secrets/") || path.Clean(d) != d {
			bad("hoodcloud:vaultConsumers: expected consumer %q's AppRole directory under /opt/hoodcloud/secrets/, found %q", c.Name, d)
		}
		if len(c.Paths) == 0 {
			bad("hoodcloud:vaultConsumers: expected at least one path rule for consumer %q, found none", c.Name)
		}
		for _, p := range c.Paths {
			if !policyPathRe.MatchString(p.Path) {
				bad("hoodcloud:vaultConsumers: expected a Vault path of letters, digits and _ . + * / - for consumer %q, found %q", c.Name, p.Path)
			}
			if len(p.Capabilities) == 0 {
				bad("hoodcloud:vaultConsumers: expected capabilities for path %q of consumer %q, found none", p.Path, c.Name)
			}
			for _, capability := range p.Capabilities {
				if !capabilities[capability] {
					bad("hoodcloud:vaultConsumers: expected a Vault capability (create, read, update, patch, delete, list, sudo, deny, subscribe) for path %q of consumer %q, found %q", p.Path, c.Name, capability)
				}
			}
		}
	}
	return errs
}

func (a *Args) validateSecrets() []error {
	var errs []error
	bad := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }
	seen := map[string]string{}
	for _, s := range a.Secrets {
		if !secretPathRe.MatchString(s.Path) || strings.Contains(s.Path, "..") {
			bad("hoodcloud:vaultSecrets: expected a secret path like infra/certbot/cloudflare, found %q", s.Path)
		}
		if prev, ok := seen[slug(s.Path)]; ok {
			bad("hoodcloud:vaultSecrets: expected unique secret paths, found %q and %q (same resource name)", prev, s.Path)
		}
		seen[slug(s.Path)] = s.Path
		if len(s.Data) == 0 {
			bad("hoodcloud:vaultSecrets: expected at least one key for secret %q, found none", s.Path)
		}
		for _, k := range sortedKeys(s.Data) {
			if !dataKeyRe.MatchString(k) {
				bad("hoodcloud:vaultSecrets: expected keys of letters, digits and _ . - in secret %q, found %q", s.Path, k)
			}
			if s.Data[k] == nil {
				bad("hoodcloud:vaultSecrets: expected a value for key %q of secret %q, found none", k, s.Path)
			}
		}
	}
	return errs
}

// checkComposeFile checks that a replacement compose file defines what the steps rely on.
func checkComposeFile(content string) error {
	var doc struct {
		Services map[string]struct {
			Profiles []string `yaml:"profiles"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(content), &doc); err != nil {
		return fmt.Errorf("hoodcloud:vaultComposeFile: expected a compose YAML document, found one that does not parse: %v", err)
	}
	svc, ok := doc.Services[Service]
	if !ok {
		return fmt.Errorf("hoodcloud:vaultComposeFile: expected a service %q, found services %v", Service, sortedKeys(doc.Services))
	}
	for _, p := range svc.Profiles {
		if p == Profile {
			return nil
		}
	}
	return fmt.Errorf("hoodcloud:vaultComposeFile: expected service %q in profile %q, found profiles %v", Service, Profile, svc.Profiles)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
