// Package engine drives the real Pulumi engine over the program (stacks.Program) as an Automation-API
// inline program: no Go language host is needed, only the pulumi CLI and the provider plugins that
// scripts/engine-toolchain.sh makes. The engine tests and `make preview` (cmd/preview) both open stacks
// through it, so what the tests prove about preview and up is what operators run.
package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Plugins selects a plugin set of the toolchain.
type Plugins string

const (
	// Real is the real command, tls, hcloud and vault plugins (and the aws stand-in: there is no AWS here);
	// what `preview` runs with.
	Real Plugins = "real"
	// StandIn keeps the real tls plugin and stands in for aws, hcloud, command and vault, whose real
	// plugins would need the clouds, SSH hosts and a live Vault; what the engine tests' `up` runs with.
	StandIn Plugins = "standin"
	// Rehearsal is the real command, tls and vault plugins with the stand-ins of aws and hcloud, the latter
	// making each server a container (`make rehearse`, package rehearsal).
	Rehearsal Plugins = "rehearsal"
)

// Toolchain is a directory made by scripts/engine-toolchain.sh.
type Toolchain struct{ Dir string }

// DefaultToolchainDir is where scripts/engine-toolchain.sh puts the toolchain unless told otherwise.
func DefaultToolchainDir() string {
	if d := os.Getenv("HOODCLOUD_ENGINE_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".cache", "hoodcloud-engine", "toolchain")
}

// FindToolchain returns the toolchain at dir, or says what is missing and how to make it.
func FindToolchain(dir string) (Toolchain, error) {
	t := Toolchain{Dir: dir}
	var errs []error
	for _, p := range []string{t.pulumiBin(), t.Home(Real), t.Home(StandIn)} {
		if _, err := os.Stat(p); err != nil {
			errs = append(errs, fmt.Errorf("expected %s, found nothing", p))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return t, fmt.Errorf("engine toolchain in %s is incomplete (make it with scripts/engine-toolchain.sh): %w", dir, err)
	}
	return t, nil
}

func (t Toolchain) pulumiBin() string { return filepath.Join(t.Dir, "bin", "pulumi") }

// StandInAWS reports whether the real plugin set's aws plugin is the stand-in (offline toolchains: the
// real aws plugin cannot be built here).
func (t Toolchain) StandInAWS() bool {
	_, err := os.Stat(filepath.Join(t.Home(Real), "STANDIN-AWS"))
	return err == nil
}

// Home is the PULUMI_HOME holding the plugin set p.
func (t Toolchain) Home(p Plugins) string { return filepath.Join(t.Dir, "home-"+string(p)) }

// Options opens one stack of the program.
type Options struct {
	Toolchain Toolchain
	Plugins   Plugins
	// ProjectDir holds Pulumi.yaml and Pulumi.<Stack>.yaml; the engine runs there and the plugins use it
	// as their working directory.
	ProjectDir string
	Stack      string
	// BackendURL is the state backend, e.g. file:///tmp/state.
	BackendURL string
	// Passphrase unlocks the stack's passphrase secrets provider.
	Passphrase string
	// Env is added to the environment of the CLI and the plugins it starts.
	Env map[string]string
}

// Open creates or selects the stack with the program as its inline source. The caller must run in
// o.ProjectDir: an inline program gets no root directory from the engine and resolves project-relative
// paths (bundleDir, the Vault provider's CA file) against the working directory, as the plugins do.
func Open(ctx context.Context, o Options, program pulumi.RunFunc) (auto.Stack, error) {
	wd, err := os.Getwd()
	if err != nil {
		return auto.Stack{}, err
	}
	if same, err := sameDir(wd, o.ProjectDir); err != nil || !same {
		return auto.Stack{}, fmt.Errorf("engine: run from the project directory %s, not %s", o.ProjectDir, wd)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: o.Toolchain.Dir})
	if err != nil {
		return auto.Stack{}, fmt.Errorf("pulumi CLI of the engine toolchain: %w", err)
	}
	env := map[string]string{
		"PULUMI_BACKEND_URL":       o.BackendURL,
		"PULUMI_CONFIG_PASSPHRASE": o.Passphrase,
		// The plugins are installed; nothing may be fetched (and nothing can be, offline).
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_SKIP_CONFIRMATIONS":                   "true",
	}
	for k, v := range o.Env {
		env[k] = v
	}
	return auto.UpsertStackInlineSource(ctx, o.Stack, "", program,
		auto.WorkDir(o.ProjectDir),
		auto.Pulumi(cmd),
		auto.PulumiHome(o.Toolchain.Home(o.Plugins)),
		auto.SecretsProvider("passphrase"),
		auto.EnvVars(env),
	)
}

func sameDir(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ia, ib), nil
}
