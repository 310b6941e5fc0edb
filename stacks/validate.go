package stacks

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hoodcloud/infra/components/nats"
	"github.com/hoodcloud/infra/internal/dnsname"

	"golang.org/x/crypto/ssh"
)

// hetznerLocations are the Hetzner Cloud locations that offer the shared vCPU types this program uses.
var hetznerLocations = []string{"ash", "fsn1", "hel1", "hil", "nbg1", "sin"}

var (
	serverTypeRe = regexp.MustCompile(`^[a-z]+[0-9]+[a-z0-9-]*$`)
	imageRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9.\-]*$`)
	bucketRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	tableRe      = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	githubRepoRe = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)
	oidcARNRe    = regexp.MustCompile(`^arn:aws:iam::[0-9]{12}:oidc-provider/token\.actions\.githubusercontent\.com$`)
	githubRefRe  = regexp.MustCompile(`^refs/(heads|tags)/[A-Za-z0-9._/*-]+$`)
	// dockerTagRe and imageRepoRe are Docker's reference grammar (distribution/reference): a tag, and a
	// registry host (optional port) followed by lower-case path components.
	dockerTagRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	imageRepoRe = regexp.MustCompile(`^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)+$`)
	// hetznerTokenRe is the alphabet of Hetzner Cloud API tokens.
	hetznerTokenRe = regexp.MustCompile(`^[A-Za-z0-9]*$`)
)

// hetznerTokenShape checks an hcloud:token as the hcloud provider does (exactly 64 characters), here,
// before any resource is registered, instead of after the AWS resources were planned or created. The
// message gives the length and the kinds of character found, never the token.
func hetznerTokenShape(token string) (expected, found string) {
	if len(token) == 64 && hetznerTokenRe.MatchString(token) {
		return "", ""
	}
	what := fmt.Sprintf("%d characters", len(token))
	if !hetznerTokenRe.MatchString(token) {
		what += " including characters other than letters and digits"
	}
	return "a Hetzner Cloud API token of exactly 64 letters and digits", what
}

// Validate reports every problem of the configuration at once; each message names the key, what was
// expected and what was found.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, expected, found string) {
		errs = append(errs, fmt.Errorf("%s:%s: expected %s, found %s", Namespace, key, expected, found))
	}
	if _, ok := topologies[c.Topology]; !ok {
		bad("topology", "one of "+strings.Join(topologyNames(), ", "), strconv.Quote(string(c.Topology)))
	}
	if err := dnsname.Problem(c.Domain); err != "" {
		bad("domain", "a DNS domain such as hoodcloud.io", strconv.Quote(c.Domain)+" ("+err+")")
	}
	if len(c.AdminCIDRs) == 0 {
		bad("adminCidrs", "at least one CIDR that may reach SSH and Vault", "none")
	}
	for i, cidr := range c.AdminCIDRs {
		p, err := netip.ParsePrefix(cidr)
		switch {
		case err != nil:
			bad(fmt.Sprintf("adminCidrs[%d]", i), "an IPv4 or IPv6 CIDR such as 203.0.113.7/32", strconv.Quote(cidr))
		case p.Bits() == 0:
			bad(fmt.Sprintf("adminCidrs[%d]", i), "a CIDR narrower than the whole internet (SSH is never world-open)", strconv.Quote(cidr))
		case p.Masked() != p:
			bad(fmt.Sprintf("adminCidrs[%d]", i), "a CIDR with no host bits set ("+p.Masked().String()+")", strconv.Quote(cidr))
		}
	}
	if len(c.SSHPublicKeys) == 0 {
		bad("sshPublicKeys", "at least one operator SSH public key", "none")
	}
	for i, k := range c.SSHPublicKeys {
		// One line per entry: authorized_keys is line-based, and a line break would smuggle in a second key
		// (ParseAuthorizedKey reads the first line and ignores the rest).
		if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k)); err != nil || strings.ContainsAny(k, "\r\n") {
			bad(fmt.Sprintf("sshPublicKeys[%d]", i), "one OpenSSH public key line (ssh-ed25519 AAAA… comment), no line break", abbreviate(k))
		}
	}
	if !serverTypeRe.MatchString(c.ServerType) {
		bad("serverType", "a Hetzner server type such as cpx31", strconv.Quote(c.ServerType))
	}
	if !slices.Contains(hetznerLocations, c.Location) {
		bad("location", "one of "+strings.Join(hetznerLocations, ", "), strconv.Quote(c.Location))
	}
	if !imageRe.MatchString(c.Image) {
		bad("image", "a Hetzner image name such as ubuntu-24.04", strconv.Quote(c.Image))
	}
	for _, b := range []struct{ key, name string }{{"stateBucketName", c.StateBucket}, {"chainConfigBucketName", c.ChainConfigBucket}} {
		if why := checkBucket(b.name); why != "" {
			bad(b.key, "an S3 bucket name ("+why+")", strconv.Quote(b.name))
		}
	}
	if c.StateBucket == c.ChainConfigBucket {
		bad("chainConfigBucketName", "a bucket other than hoodcloud:stateBucketName", strconv.Quote(c.ChainConfigBucket))
	}
	if !tableRe.MatchString(c.LockTable) {
		bad("lockTableName", "a DynamoDB table name of 3-255 characters [A-Za-z0-9_.-]", strconv.Quote(c.LockTable))
	}
	if c.DeployKeyGeneration < 1 {
		bad("deployKeyGeneration", "a generation from 1", strconv.Itoa(c.DeployKeyGeneration))
	}
	if c.NoncurrentVersionDays < 1 || c.NoncurrentVersionDays > 3650 {
		bad("noncurrentVersionExpirationDays", "a number of days from 1 to 3650", strconv.Itoa(c.NoncurrentVersionDays))
	}
	if c.GitHubRepository != "" {
		if !githubRepoRe.MatchString(c.GitHubRepository) {
			bad("githubRepository", "owner/repository, or empty to disable GitHub OIDC", strconv.Quote(c.GitHubRepository))
		}
		if len(c.GitHubReleaseRefs) == 0 {
			bad("githubReleaseRefs", "at least one git ref the release workflow runs on", "none")
		}
		for i, ref := range c.GitHubReleaseRefs {
			if !githubRefRe.MatchString(ref) {
				bad(fmt.Sprintf("githubReleaseRefs[%d]", i), "a ref such as refs/tags/chain-configs-* or refs/heads/main", strconv.Quote(ref))
			}
		}
	}
	if c.InfraRepository != "" {
		if !githubRepoRe.MatchString(c.InfraRepository) {
			bad("infraRepository", "owner/repository of this infrastructure repository, or empty to create no CI roles", strconv.Quote(c.InfraRepository))
		}
		for i, reader := range c.StackOutputReaders {
			if !githubRepoRe.MatchString(reader) {
				bad(fmt.Sprintf("stackOutputReaders[%d]", i), "owner/repository", strconv.Quote(reader))
			}
		}
		if why := checkBucket(c.PulumiStateBucket); why != "" {
			bad("pulumiStateBucket", "the Pulumi state backend's S3 bucket name ("+why+"), because hoodcloud:infraRepository is set", strconv.Quote(c.PulumiStateBucket))
		} else if c.PulumiStateBucket == c.StateBucket || c.PulumiStateBucket == c.ChainConfigBucket {
			bad("pulumiStateBucket", "a bucket of its own (the program cannot manage the bucket its state lives in)", strconv.Quote(c.PulumiStateBucket))
		}
	}
	if c.GitHubOIDCProviderARN != "" && !oidcARNRe.MatchString(c.GitHubOIDCProviderARN) {
		bad("githubOidcProviderArn", "the ARN of the account's GitHub OIDC provider, or empty to create one", strconv.Quote(c.GitHubOIDCProviderARN))
	}
	errs = append(errs, c.validateVault()...)
	errs = append(errs, c.validateDeploys()...)
	return errors.Join(errs...)
}

// validateVault checks the Vault bootstrap settings.
func (c *Config) validateVault() []error {
	var errs []error
	bad := func(key, expected, found string) {
		errs = append(errs, fmt.Errorf("%s:%s: expected %s, found %s", Namespace, key, expected, found))
	}
	if _, ok := topologies[c.Topology]; ok && c.VaultHost != "" {
		var names []string
		for _, h := range topologies[c.Topology] {
			names = append(names, h.Name)
		}
		if !slices.Contains(names, c.VaultHost) {
			bad("vaultHost", "empty or one of the topology's servers ("+strings.Join(names, ", ")+")", strconv.Quote(c.VaultHost))
		}
	}
	if c.VaultKeyShares < 1 || c.VaultKeyShares > 255 {
		bad("vaultKeyShares", "1 to 255 shares", strconv.Itoa(c.VaultKeyShares))
	}
	switch {
	case c.VaultKeyThreshold < 1 || c.VaultKeyThreshold > c.VaultKeyShares:
		bad("vaultKeyThreshold", fmt.Sprintf("1 to hoodcloud:vaultKeyShares (%d)", c.VaultKeyShares), strconv.Itoa(c.VaultKeyThreshold))
	case c.VaultKeyShares > 1 && c.VaultKeyThreshold < 2:
		bad("vaultKeyThreshold", "at least 2 when there are several shares (Vault refuses 1 of n)", strconv.Itoa(c.VaultKeyThreshold))
	}
	if c.VaultAlreadyInitialized {
		if !c.HasRootToken {
			bad("vaultRootToken", "a root token of the adopted Vault (vault operator generate-root), because hoodcloud:vaultAlreadyInitialized is true", "nothing")
		}
		if !c.HasUnsealKeys && !c.VaultAutoUnseal {
			bad("vaultUnsealKeys", "the unseal keys of the adopted Vault, because hoodcloud:vaultAlreadyInitialized is true", "nothing")
		}
	}
	if len(c.VaultPGPKeys) != 0 && len(c.VaultPGPKeys) != c.VaultKeyShares {
		bad("vaultPgpKeys", fmt.Sprintf("one key per share (%d)", c.VaultKeyShares), fmt.Sprintf("%d keys", len(c.VaultPGPKeys)))
	}
	for i, k := range c.VaultPGPKeys {
		if b, err := base64.StdEncoding.DecodeString(k); err != nil || len(b) < 32 {
			bad(fmt.Sprintf("vaultPgpKeys[%d]", i), "a base64-encoded binary PGP public key (gpg --export KEY | base64 -w0)", abbreviate(k))
		}
	}
	return errs
}

// validateDeploys checks the application bundle and the deploy settings.
func (c *Config) validateDeploys() []error {
	var errs []error
	bad := func(key, expected, found string) {
		errs = append(errs, fmt.Errorf("%s:%s: expected %s, found %s", Namespace, key, expected, found))
	}
	if c.BundleDir == "" {
		bad("bundleDir", "the application bundle directory", "nothing")
	} else if st, err := os.Stat(c.BundlePath()); err != nil || !st.IsDir() {
		bad("bundleDir", "an existing directory (relative to the project)", strconv.Quote(c.BundleDir))
	}
	// Each value below lands in a sink with a grammar of its own (.env, image references, certbot's
	// command line): it is checked against that grammar here, before anything is registered.
	if !dockerTagRe.MatchString(c.AppVersion) || c.AppVersion == "latest" {
		bad("appVersion", "a pinned image tag such as v1.42.0 (Docker's tag grammar, at most 128 of [A-Za-z0-9_.-]; never latest)", strconv.Quote(c.AppVersion))
	}
	if !imageRepoRe.MatchString(c.ImageRegistry) {
		bad("imageRegistry", "a registry and namespace such as registry.example/hoodcloud (Docker's reference grammar, lower-case path)", strconv.Quote(c.ImageRegistry))
	}
	if a, err := mail.ParseAddress(c.ACMEEmail); err != nil || a.Address != c.ACMEEmail || a.Name != "" || strings.ContainsAny(c.ACMEEmail, " \t\r\n") {
		bad("acmeEmail", "a bare e-mail address for the Let's Encrypt account (no name, no spaces)", strconv.Quote(c.ACMEEmail))
	}
	if c.ACMEServer != "" {
		if !nats.ValidACMEServer(c.ACMEServer) {
			bad("acmeServer", nats.ACMEServerExpected+", or empty for Let's Encrypt", strconv.Quote(c.ACMEServer))
		}
		if c.ACMEStaging {
			bad("acmeServer", "empty when hoodcloud:acmeStaging is true (both choose the ACME CA, which is ambiguous: "+
				"set hoodcloud:acmeServer alone, or hoodcloud:acmeStaging alone for Let's Encrypt's staging CA)", strconv.Quote(c.ACMEServer))
		}
	}
	if c.RegistryServer != "" {
		if !validRegistryServer(c.RegistryServer) {
			bad("registryServer", "a registry host name, optionally with a port (registry.example or registry.example:5000)", strconv.Quote(c.RegistryServer))
		}
		if c.RegistryUsername == "" {
			bad("registryUsername", "a user name for "+c.RegistryServer, "nothing")
		}
		if !c.HasRegistryLogin {
			bad("registryPassword", "a secret password for "+c.RegistryServer, "nothing")
		}
	} else if c.HasRegistryLogin || c.RegistryUsername != "" {
		bad("registryServer", "a registry host name because registryUsername/registryPassword are set", "nothing")
	}
	return errs
}

// BundlePath is the bundle directory resolved against the project root.
func (c *Config) BundlePath() string {
	if filepath.IsAbs(c.BundleDir) || c.RootDir == "" {
		return c.BundleDir
	}
	return filepath.Join(c.RootDir, c.BundleDir)
}

// checkBucket returns why name is a bucket name S3 would reject (or that breaks TLS), or "".
func checkBucket(name string) string {
	switch {
	case len(name) < 3 || len(name) > 63:
		return "3 to 63 characters"
	case !bucketRe.MatchString(name):
		return "lowercase letters, digits and hyphens, starting and ending with a letter or digit; no dots, which break TLS"
	case strings.HasPrefix(name, "xn--") || strings.HasPrefix(name, "sthree-"):
		return "no reserved prefix xn-- or sthree-"
	case strings.HasSuffix(name, "-s3alias") || strings.HasSuffix(name, "--ol-s3"):
		return "no reserved suffix -s3alias or --ol-s3"
	case net.ParseIP(name) != nil:
		return "not an IP address"
	}
	return ""
}

// abbreviate shortens a long value for an error message.
func abbreviate(s string) string {
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strconv.Quote(s)
}

// validRegistryServer reports whether s is what `docker login` takes: a host name (or IPv4 address) and
// an optional port, as self-hosted registries often listen on 5000.
func validRegistryServer(s string) bool {
	host := s
	if h, port, ok := strings.Cut(s, ":"); ok {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return false
		}
		host = h
	}
	return dnsname.Problem(host) == ""
}
