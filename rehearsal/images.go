package rehearsal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
)

// buildImage builds an image FROM scratch: the Dockerfile and files of dir (tools/rehearsal/images/<name>)
// plus the given files (context name → path of a built binary).
func buildImage(ctx context.Context, repo, dir string, files map[string]string) (string, error) {
	work, err := os.MkdirTemp("", "hoodcloud-rehearsal-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	all := map[string]string{}
	for _, e := range entries {
		all[e.Name()] = filepath.Join(dir, e.Name())
	}
	for name, path := range files {
		all[name] = path
	}
	for name, path := range all {
		if err := copyFile(path, filepath.Join(work, name), nil); err != nil {
			return "", err
		}
	}
	return buildContext(ctx, repo, work)
}

// buildContext builds the build context dir as repo:<hash of everything in it>, so that an unchanged image
// is not built again (and two contexts that differ only in their Dockerfile share the layers before it).
func buildContext(ctx context.Context, repo, dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%o\x00", rel, info.Mode())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			io.WriteString(h, target)
			return err
		case info.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(h, f)
			return err
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	image := repo + ":" + hex.EncodeToString(h.Sum(nil))[:16]
	if _, err := command(ctx, "", "docker", "image", "inspect", image); err == nil {
		return image, nil
	}
	_, err = command(ctx, "", "docker", "build", "--quiet", "--tag", image, dir)
	return image, err
}

// copyFile copies src to dst, executable, and feeds its bytes to h (when not nil).
func copyFile(src, dst string, h io.Writer) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	w := io.Writer(out)
	if h != nil {
		w = io.MultiWriter(out, h)
	}
	if _, err := io.Copy(w, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// goBinary builds a static binary of a package of this repository into dir/bin.
func goBinary(ctx context.Context, repoRoot, pkg, dir string) (string, error) {
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "bin", filepath.Base(pkg))
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if _, err := runCmd(cmd, "go", args); err != nil {
		return "", err
	}
	return out, nil
}

// cachedTool is the static binary name of a module's command pkg at version, built once per machine into
// the cache (registry, pebble, nats-server).
func cachedTool(ctx context.Context, o Options, pkg, version, name string) (string, error) {
	bin := filepath.Join(o.CacheDir, name+"-"+version)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	return bin, goInstall(ctx, o, pkg+"@"+version, name, bin)
}

// toolImage is the image of tools/rehearsal/images/<name> around name, the module command pkg at version
// (the registry, pebble).
func toolImage(ctx context.Context, o Options, pkg, version, name string) (string, error) {
	bin, err := cachedTool(ctx, o, pkg, version, name)
	if err != nil {
		return "", err
	}
	return buildImage(ctx, "hoodcloud-rehearsal/"+name, filepath.Join(o.RepoRoot, "tools/rehearsal/images", name),
		map[string]string{name: bin})
}

// goInstall builds a static binary of a module's command (module@version) once per machine, as bin. It
// builds into a directory of its own and renames, so two rehearsals on one machine never see half a binary.
func goInstall(ctx context.Context, o Options, pkgAtVersion, name, bin string) error {
	if err := os.MkdirAll(o.CacheDir, 0o755); err != nil {
		return err
	}
	gobin, err := os.MkdirTemp(o.CacheDir, "gobin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(gobin)
	if _, err := commandIn(ctx, []string{"GOBIN=" + gobin, "CGO_ENABLED=0"}, "", "go", "install", "-trimpath", "-ldflags=-s -w", pkgAtVersion); err != nil {
		return err
	}
	return os.Rename(filepath.Join(gobin, name), bin)
}

// vaultImage is the rehearsal's hashicorp/vault: the engine toolchain's real static Vault server and
// tools/rehearsal/vault-entrypoint.
func vaultImage(ctx context.Context, o Options, vaultBin string) (string, error) {
	entry, err := goBinary(ctx, o.RepoRoot, "github.com/hoodcloud/infra/tools/rehearsal/vault-entrypoint", o.WorkDir)
	if err != nil {
		return "", err
	}
	return buildImage(ctx, "hoodcloud-rehearsal/vault", filepath.Join(o.RepoRoot, "tools/rehearsal/images/vault"),
		map[string]string{"vault": vaultBin, "vault-entrypoint": entry})
}
