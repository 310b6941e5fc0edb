// Package rehearsal runs the program for real on one machine: the real engine and the real command, tls
// and vault plugins, against servers that are containers (systemd, sshd, cloud-init and a Docker Engine
// inside, tools/rehearsal/hostimage) made by the hcloud stand-in's container mode on a Docker network the
// rehearsal creates. Only AWS and the Hetzner API are stood in for; every remote step runs over SSH on a
// host that booted from the program's own user data. Traffic goes only to those containers.
//
// The scenarios are the package's tests, opt-in (`make rehearse`, or `go test ./rehearsal -rehearse`).
package rehearsal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hoodcloud/infra/components/vault"
	"github.com/hoodcloud/infra/internal/engine"
)

// Rehearsal is the machinery of one run: its host image, network and the settings the hcloud stand-in
// reads. Close removes every container, volume and network it made.
type Rehearsal struct {
	// Name labels the run's Docker objects (org.hoodcloud.rehearsal=<Name>).
	Name string
	// Network and Subnet are the Docker network the servers join.
	Network, Subnet string
	// Image is the host image.
	Image string
	// Settings is the file HOODCLOUD_REHEARSAL points the hcloud stand-in to.
	Settings string
	// Toolchain is the engine toolchain whose rehearsal plugin set runs the program.
	Toolchain engine.Toolchain
	// Registries serve every image the servers pull.
	Registries *Registries
	// settings are what Settings holds.
	settings map[string]any
	opts     Options
	log      io.Writer
	started  time.Time
}

// Options configure a rehearsal.
type Options struct {
	// RepoRoot is this repository (tools/rehearsal/hostimage lives there).
	RepoRoot string
	// WorkDir holds the run's settings and the stand-in's state.
	WorkDir string
	// ComposePlugin is the Compose v2 CLI plugin the host image ships as docker-compose-v2.
	ComposePlugin string
	// CacheDir keeps what is built once per machine (the registry binary).
	CacheDir string
	// Services starts the registries and pushes the services' images (every phase after hosts).
	Services bool
	// Log receives the progress of each phase.
	Log io.Writer
}

// Start builds (or reuses) the host image and creates the run's network, registries and images. On an
// error it returns what it made so far, for Close.
func Start(ctx context.Context, o Options) (*Rehearsal, error) {
	tc, err := engine.FindToolchain(engine.DefaultToolchainDir())
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(tc.Home(engine.Rehearsal)); err != nil {
		return nil, fmt.Errorf("the engine toolchain has no rehearsal plugin set (%w); rerun scripts/engine-toolchain.sh", err)
	}
	r := &Rehearsal{Name: fmt.Sprintf("hoodcloud-rehearsal-%d", os.Getpid()), Toolchain: tc, log: o.Log, started: time.Now(), opts: o}
	r.Phase("host image")
	out, err := command(ctx, "", filepath.Join(o.RepoRoot, "tools/rehearsal/hostimage/build.sh"), "hoodcloud-rehearsal/host", o.ComposePlugin)
	if err != nil {
		return nil, err
	}
	r.Image = strings.TrimSpace(out)
	r.Phase("network")
	if err := r.createNetwork(ctx); err != nil {
		return r, err
	}
	r.settings = map[string]any{
		"network": r.Network, "subnet": r.Subnet, "image": r.Image, "label": "org.hoodcloud.rehearsal=" + r.Name, "run": r.Name,
	}
	r.Settings = filepath.Join(o.WorkDir, "rehearsal.json")
	if o.Services {
		if r.Registries, err = r.startRegistries(ctx, o); err != nil {
			return r, err
		}
		r.Phase("images")
		vaultImg, err := vaultImage(ctx, o, filepath.Join(tc.Dir, "bin", "vault"))
		if err != nil {
			return r, err
		}
		if err := r.Registries.push(ctx, r.Registries.Mirror, vaultImg, vault.DefaultImage); err != nil {
			return r, err
		}
		r.settings["registryMirror"] = r.Registries.Mirror.Addr
		r.settings["insecureRegistries"] = []string{r.Registries.Mirror.Addr, r.Registries.Private.Addr}
	}
	return r, r.writeSettings()
}

// writeSettings writes the settings the hcloud stand-in reads when it creates a server.
func (r *Rehearsal) writeSettings() error {
	b, err := json.Marshal(r.settings)
	if err != nil {
		return err
	}
	return os.WriteFile(r.Settings, b, 0o600)
}

// createNetwork makes the run's bridge network on the first free /24 of 172.30.0.0/16.
func (r *Rehearsal) createNetwork(ctx context.Context) error {
	r.Network = r.Name
	var errs []error
	for i := 0; i < 256; i++ {
		subnet := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 30, byte(i), 0}), 24)
		_, err := command(ctx, "", "docker", "network", "create", "--driver", "bridge", "--subnet", subnet.String(),
			"--label", "org.hoodcloud.rehearsal="+r.Name, r.Network)
		if err == nil {
			r.Subnet = subnet.String()
			return nil
		}
		errs = append(errs, err)
		if !strings.Contains(err.Error(), "overlap") {
			break
		}
	}
	return fmt.Errorf("rehearsal network: %w", errors.Join(errs...))
}

// Env is what the engine's plugins need to play the rehearsal's clouds.
func (r *Rehearsal) Env() map[string]string {
	return map[string]string{"HOODCLOUD_REHEARSAL": r.Settings}
}

// Phase prints the start of a phase with the time since the run began.
func (r *Rehearsal) Phase(name string) {
	if r.log != nil {
		fmt.Fprintf(r.log, "rehearsal [%6.1fs] %s\n", time.Since(r.started).Seconds(), name)
	}
}

// Servers lists the run's server containers (running or not), the ones the hcloud stand-in made.
func (r *Rehearsal) Servers(ctx context.Context) ([]string, error) {
	out, err := command(ctx, "", "docker", "ps", "--all", "--quiet", "--filter", "label=org.hoodcloud.rehearsal="+r.Name,
		"--filter", "label=org.hoodcloud.rehearsal.server")
	return strings.Fields(out), err
}

// Close removes every container, volume and network of the run.
func (r *Rehearsal) Close(ctx context.Context) error {
	var errs []error
	out, err := command(ctx, "", "docker", "ps", "--all", "--quiet", "--filter", "label=org.hoodcloud.rehearsal="+r.Name)
	ids := strings.Fields(out)
	errs = append(errs, err)
	if len(ids) > 0 {
		_, err := command(ctx, "", "docker", append([]string{"rm", "--force", "--volumes"}, ids...)...)
		errs = append(errs, err)
	}
	vols, err := command(ctx, "", "docker", "volume", "ls", "--quiet", "--filter", "label=org.hoodcloud.rehearsal="+r.Name)
	errs = append(errs, err)
	if v := strings.Fields(vols); len(v) > 0 {
		_, err := command(ctx, "", "docker", append([]string{"volume", "rm", "--force"}, v...)...)
		errs = append(errs, err)
	}
	if r.Network != "" {
		_, err := command(ctx, "", "docker", "network", "rm", r.Network)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// command runs a program and returns its stdout; its error carries stderr.
func command(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	return runCmd(cmd, name, args)
}

// commandIn runs a program with extra environment and stdin.
func commandIn(ctx context.Context, env []string, stdin, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	return runCmd(cmd, name, args)
}

func runCmd(cmd *exec.Cmd, name string, args []string) (string, error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}
