package rehearsal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
)

// buildImage builds an image FROM scratch: the Dockerfile and files of dir (tools/rehearsal/images/<name>)
// plus the given files (context name → path of a built binary). The tag is a hash of everything in the
// context, so an unchanged image is not built again.
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
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		if err := copyFile(all[name], filepath.Join(work, name), h); err != nil {
			return "", err
		}
		io.WriteString(h, "\x00"+name+"\x00")
	}
	image := repo + ":" + hex.EncodeToString(h.Sum(nil))[:16]
	if _, err := command(ctx, "", "docker", "image", "inspect", image); err == nil {
		return image, nil
	}
	_, err = command(ctx, "", "docker", "build", "--quiet", "--tag", image, work)
	return image, err
}

// copyFile copies src to dst, executable, and feeds its bytes to h.
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
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// goBinary builds a static binary of a package of this repository into dir.
func goBinary(ctx context.Context, repoRoot, pkg, dir string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkg))
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if _, err := runCmd(cmd, "go", args); err != nil {
		return "", err
	}
	return out, nil
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
