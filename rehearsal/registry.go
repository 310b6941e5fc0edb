package rehearsal

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// RegistryVersion is the distribution registry the rehearsal builds from the Go module proxy.
const RegistryVersion = "v3.0.0"

// Registry is one of the rehearsal's registries: its address on the rehearsal network (what servers pull
// from) and on loopback (what this machine's Docker pushes to: loopback registries need no TLS).
type Registry struct {
	Addr, Push string
}

// Registries are the run's two registries. Mirror holds the images the bundles name on Docker Hub
// (library/postgres, hashicorp/vault, ...) and is every server's registry mirror, so image names stay as
// they are. Private holds HoodCloud's own images behind htpasswd, so the program's registry login runs.
type Registries struct {
	Mirror, Private Registry
	// User and Password are the private registry's login.
	User, Password string
	// dockerConfig keeps this machine's pushes' login out of the operator's ~/.docker.
	dockerConfig string
}

// hostAddr is the address of the subnet's n-th host (.1 is the gateway; servers start at .20).
func hostAddr(subnet string, n int) string {
	a := netip.MustParsePrefix(subnet).Addr()
	for range n {
		a = a.Next()
	}
	return a.String()
}

// startRegistries builds the registry image and runs the mirror (.10) and the private registry (.11).
func (r *Rehearsal) startRegistries(ctx context.Context, o Options) (*Registries, error) {
	r.Phase("registries")
	image, err := toolImage(ctx, o, "github.com/distribution/distribution/v3/cmd/registry", RegistryVersion, "registry")
	if err != nil {
		return nil, err
	}
	regs := &Registries{User: "rehearsal", Password: "rehearsal-registry-password", dockerConfig: filepath.Join(o.WorkDir, "docker-config")}
	if err := os.MkdirAll(regs.dockerConfig, 0o700); err != nil {
		return nil, err
	}
	if regs.Mirror, err = r.runRegistry(ctx, image, "mirror", 10, nil); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(regs.Password), bcrypt.MinCost)
	if err != nil {
		return nil, err
	}
	htpasswd := filepath.Join(o.WorkDir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(regs.User+":"+string(hash)+"\n"), 0o600); err != nil {
		return nil, err
	}
	if regs.Private, err = r.runRegistry(ctx, image, "private", 11, map[string]string{
		"REGISTRY_AUTH":                "htpasswd",
		"REGISTRY_AUTH_HTPASSWD_REALM": "hoodcloud-rehearsal",
		"REGISTRY_AUTH_HTPASSWD_PATH":  "/auth/htpasswd",
	}, "--volume", htpasswd+":/auth/htpasswd:ro"); err != nil {
		return nil, err
	}
	if _, err := commandIn(ctx, []string{"DOCKER_CONFIG=" + regs.dockerConfig}, regs.Password, "docker", "login",
		"--username", regs.User, "--password-stdin", regs.Private.Push); err != nil {
		return nil, err
	}
	return regs, nil
}

// runRegistry runs one registry container at the subnet's n-th address, published on a loopback port.
func (r *Rehearsal) runRegistry(ctx context.Context, image, role string, n int, env map[string]string, extra ...string) (Registry, error) {
	name := r.Name + "-registry-" + role
	ip := hostAddr(r.Subnet, n)
	if err := r.runContainer(ctx, "registry-"+role, ip, image, env, append([]string{"--publish", "127.0.0.1::5000"}, extra...)); err != nil {
		return Registry{}, err
	}
	out, err := command(ctx, "", "docker", "port", name, "5000/tcp")
	if err != nil {
		return Registry{}, err
	}
	port := strings.TrimSpace(strings.Split(out, "\n")[0])
	reg := Registry{Addr: ip + ":5000", Push: strings.Replace(port, "0.0.0.0", "127.0.0.1", 1)}
	// Any answer will do: an authenticating registry answers 401.
	return reg, waitHTTP(ctx, http.DefaultClient, "http://"+reg.Push+"/v2/", 30*time.Second, func(int) bool { return true })
}

// waitHTTP waits until url answers through client with a status ready accepts.
func waitHTTP(ctx context.Context, client *http.Client, url string, limit time.Duration, ready func(status int) bool) error {
	deadline := time.Now().Add(limit)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if ready(resp.StatusCode) {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %s: %w", url, limit, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// push puts a local image into reg under ref (a repository path and tag, e.g. hashicorp/vault:1.20.0).
func (regs *Registries) push(ctx context.Context, reg Registry, local, ref string) error {
	target := reg.Push + "/" + ref
	if _, err := command(ctx, "", "docker", "tag", local, target); err != nil {
		return err
	}
	_, err := commandIn(ctx, []string{"DOCKER_CONFIG=" + regs.dockerConfig}, "", "docker", "push", "--quiet", target)
	if _, rmErr := command(ctx, "", "docker", "rmi", target); err == nil {
		err = rmErr
	}
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	return nil
}
