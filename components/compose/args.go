package compose

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/hoodcloud/infra/internal/remotestep"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/platform"
)

// Defaults of the deploy.
const (
	// StacksDir holds one directory per compose project on a host.
	StacksDir = "/opt/hoodcloud/stacks"
	// DefaultWaitAttempts × DefaultWaitInterval seconds bound each wait (data healthy, health matrix):
	// Temporal's first start creates its schema and takes a while.
	DefaultWaitAttempts = 90
	DefaultWaitInterval = 2
)

var (
	projectRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	serviceRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]*$`)
	hostRe    = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$`)
	userRe    = regexp.MustCompile(`^[A-Za-z0-9._@+-]+$`)
	dirRe     = regexp.MustCompile(`^/[A-Za-z0-9._/-]+$`)
	fileRe    = regexp.MustCompile(`^[A-Za-z0-9._][A-Za-z0-9._/-]*$`)
)

// RegistryAuth logs the host in to a private registry before the deploy pulls.
type RegistryAuth struct {
	Server   string // hoodcloud:registryServer
	Username string // hoodcloud:registryUsername
	// Password is secret (hoodcloud:registryPassword); it travels only on the login step's stdin.
	Password pulumi.StringInput
}

// Args configures one compose stack on one host. The embedded Layout says what the bundle holds and in
// which order it starts (ControlPlane(), Payment()).
type Args struct {
	Layout
	// Host is where the stack runs.
	Host remotestep.Target
	// Project is the compose project name (`docker compose -p`).
	Project string
	// BundleDir is the local bundle directory (hoodcloud:bundleDir, resolved against the project).
	BundleDir string
	// RemoteDir is the project directory on the host; empty means StacksDir/<Project>.
	RemoteDir string
	// Env are the plain, non-secret .env variables (AppEnv.Vars()), known at preview time.
	Env map[string]string
	// EnvInputs are further non-secret variables known only from resources (an address). They are
	// interpolated as "unknown" when the bundle is checked, so they must not decide a published port.
	EnvInputs map[string]pulumi.StringInput
	// RegistryAuth, when set, logs the host in before the deploy.
	RegistryAuth *RegistryAuth
	// ExtraHashes re-run the deploy when they change (the hashes of the certificates the stack mounts),
	// and their digest labels every service bind-mounting a path under HostSecretsDir, so that the
	// redeploy recreates exactly those services to load the new files.
	ExtraHashes []pulumi.StringInput
	// Prepared, when set, is the bundle already read and checked by Prepare with these same BundleDir,
	// Project, Layout and Env; New then does not load the compose files again.
	Prepared *Prepared
	// HostReady are what the project directory, the upload and the registry login need: the host's
	// baseline (Docker, the directories). Nothing else, so they run as early as the host allows.
	HostReady []pulumi.Resource
	// DependsOn are what the deploy needs besides the upload: the files its services mount
	// (certificates, credentials), Vault's secrets, NATS.
	DependsOn []pulumi.Resource
	// WaitAttempts and WaitInterval (seconds) bound each wait; zero means the defaults.
	WaitAttempts, WaitInterval int
	// Protect protects the stack's anchor: a production stack cannot be removed from the program (or
	// destroyed) without an explicit unprotect. Nothing in this component ever stops containers or
	// removes volumes.
	Protect bool
}

// Validate reports every problem at once.
func (a *Args) Validate() error {
	var errs []error
	bad := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }
	errs = append(errs, a.Host.Problems(fmt.Sprintf("hoodcloud:bundleDir: compose stack %q", a.Project))...)
	if !projectRe.MatchString(a.Project) {
		bad("hoodcloud:bundleDir: expected a compose project name of lower-case letters, digits, - and _, found %q", a.Project)
	}
	if a.BundleDir == "" {
		bad("hoodcloud:bundleDir: expected the application bundle directory, found nothing")
	}
	if a.RemoteDir != "" && (!dirRe.MatchString(a.RemoteDir) || path.Clean(a.RemoteDir) != a.RemoteDir || a.RemoteDir == "/") {
		bad("hoodcloud:bundleDir: compose stack %q: expected a clean absolute remote directory without spaces, found %q", a.Project, a.RemoteDir)
	}
	if len(a.ComposeFiles) == 0 {
		bad("hoodcloud:bundleDir: compose stack %q: expected at least one compose file, found none", a.Project)
	}
	for _, f := range a.ComposeFiles {
		if !fileRe.MatchString(f) || path.Clean(f) != f || strings.HasPrefix(f, "../") || f == ".." {
			bad("hoodcloud:bundleDir: compose stack %q: expected compose files as clean relative paths inside the bundle, found %q", a.Project, f)
		}
	}
	if !knownRole(a.Role) {
		bad("hoodcloud:bundleDir: compose stack %q: expected a platform role (%v), found %q", a.Project, platform.AllRoles, a.Role)
	}
	if len(a.AppServices) == 0 {
		bad("hoodcloud:bundleDir: compose stack %q: expected at least one application service, found none", a.Project)
	}
	names := append(append([]string(nil), a.DataServices...), a.AppServices...)
	if a.MigrateService != "" {
		names = append(names, a.MigrateService)
	}
	for _, h := range a.Health {
		names = append(names, h.Service)
		if _, _, err := h.endpoint(); err != nil {
			bad("hoodcloud:bundleDir: compose stack %q: health check %q: %v", a.Project, h.String(), err)
		}
	}
	for _, n := range names {
		if !serviceRe.MatchString(n) {
			bad("hoodcloud:bundleDir: compose stack %q: expected service names of letters, digits, ., _ and -, found %q", a.Project, n)
		}
	}
	if a.WaitAttempts < 0 || a.WaitInterval < 0 {
		bad("hoodcloud:bundleDir: compose stack %q: expected non-negative wait bounds, found %d attempts every %ds", a.Project, a.WaitAttempts, a.WaitInterval)
	}
	for _, k := range sortedKeys(a.EnvInputs) {
		if _, dup := a.Env[k]; dup {
			bad("hoodcloud:bundleDir: .env key %s: expected it in Env or EnvInputs, found it in both", k)
		}
		if a.EnvInputs[k] == nil {
			bad("hoodcloud:bundleDir: .env key %s: expected a value, found none", k)
		}
	}
	if err := CheckEnv(a.previewEnv()); err != nil {
		errs = append(errs, err)
	}
	if r := a.RegistryAuth; r != nil {
		if !hostRe.MatchString(r.Server) {
			bad("hoodcloud:registryServer: expected a registry host name, found %q", r.Server)
		}
		if !userRe.MatchString(r.Username) {
			bad("hoodcloud:registryUsername: expected a user name of letters, digits and . _ @ + -, found %q", r.Username)
		}
		if r.Password == nil {
			bad("hoodcloud:registryPassword: expected a secret password for %s, found none", r.Server)
		}
	}
	return errors.Join(errs...)
}

func knownRole(r platform.Role) bool {
	for _, k := range platform.AllRoles {
		if k == r {
			return true
		}
	}
	return false
}

// unknownValue stands for an EnvInputs value when the bundle is checked at preview time.
const unknownValue = "unknown"

// previewEnv is the .env as known at preview time: Env, and EnvInputs as placeholders.
func (a *Args) previewEnv() map[string]string {
	env := make(map[string]string, len(a.Env)+len(a.EnvInputs))
	for k, v := range a.Env {
		env[k] = v
	}
	for k := range a.EnvInputs {
		env[k] = unknownValue
	}
	return env
}

func (a *Args) remoteDir() string {
	if a.RemoteDir != "" {
		return a.RemoteDir
	}
	return StacksDir + "/" + a.Project
}

func (a *Args) waits() (attempts, interval int) {
	attempts, interval = a.WaitAttempts, a.WaitInterval
	if attempts == 0 {
		attempts = DefaultWaitAttempts
	}
	if interval == 0 {
		interval = DefaultWaitInterval
	}
	return attempts, interval
}
