package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// servers is the hcloud stand-in's container mode, for the rehearsal (HOODCLOUD_REHEARSAL names its
// settings file): a server is a container of the rehearsal's host image on the rehearsal's Docker
// network, its primary IPv4 is an address on that network, and its user data reaches cloud-init in the
// container as a NoCloud seed, with the server's SSH keys as the seed's public keys — what Hetzner's
// metadata service gives a new server. Everything else hcloud answers stays the plain stand-in's.
type servers struct {
	settings
	// state holds what the container mode must remember across provider processes: the public key of
	// each SSH key ID and the address of each primary IP ID.
	state string
}

// settings are the rehearsal's, written by package rehearsal.
type settings struct {
	// Network is the Docker network the servers join; Subnet its IPv4 prefix (addresses are allocated
	// from .20 upwards).
	Network string `json:"network"`
	Subnet  string `json:"subnet"`
	// Image is the host image (tools/rehearsal/hostimage).
	Image string `json:"image"`
	// RegistryMirror is the rehearsal registry's address (host:port), every server's Docker mirror.
	RegistryMirror string `json:"registryMirror"`
	// InsecureRegistries are the rehearsal's registries, served over plain HTTP on its network.
	InsecureRegistries []string `json:"insecureRegistries"`
	// Label marks every container and volume the rehearsal makes, for its cleanup.
	Label string `json:"label"`
	// Run names the rehearsal run: its servers' containers are <Run>-<server>, so two runs on one machine
	// never touch each other's.
	Run string `json:"run"`
	// TrustedCA is the PEM of the rehearsal's CA, which signs its stand-ins of public HTTPS services (the
	// ACME server, the Cloudflare API): installed in each server's system trust store, as the public CAs
	// that sign the real ones are on a real server.
	TrustedCA string `json:"trustedCa"`
	// ExtraHosts are name:address entries of each server's /etc/hosts (api.cloudflare.com → its stand-in),
	// the rehearsal's DNS for public names.
	ExtraHosts []string `json:"extraHosts"`
}

func newServers(settingsFile string) (*servers, error) {
	b, err := os.ReadFile(settingsFile)
	if err != nil {
		return nil, err
	}
	var s settings
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", settingsFile, err)
	}
	if _, err := netip.ParsePrefix(s.Subnet); err != nil || s.Network == "" || s.Image == "" || s.Label == "" || s.Run == "" {
		return nil, fmt.Errorf("%s: expected network, subnet, image, label and run, found %+v", settingsFile, s)
	}
	state := filepath.Join(filepath.Dir(settingsFile), "hcloud-state")
	for _, d := range []string{"sshkeys", "ips", "addresses"} {
		if err := os.MkdirAll(filepath.Join(state, d), 0o700); err != nil {
			return nil, err
		}
	}
	return &servers{settings: s, state: state}, nil
}

// created adjusts what the cloud answers for a new resource and makes what it stands for.
func (s *servers) created(typ, id string, inputs, outs resource.PropertyMap) error {
	switch typ {
	case "hcloud:index/sshKey:SshKey":
		return os.WriteFile(filepath.Join(s.state, "sshkeys", id), []byte(inputs["publicKey"].StringValue()), 0o600)
	case "hcloud:index/primaryIp:PrimaryIp":
		if inputs["type"].StringValue() != "ipv4" {
			return nil
		}
		addr, err := s.allocate(id)
		if err != nil {
			return err
		}
		outs["ipAddress"] = resource.NewProperty(addr)
		outs["ipNetwork"] = resource.NewProperty(addr + "/32")
	case "hcloud:index/server:Server":
		addr, err := s.serverAddress(inputs)
		if err != nil {
			return err
		}
		if err := s.run(id, inputs, addr); err != nil {
			return err
		}
		outs["ipv4Address"] = resource.NewProperty(addr)
	}
	return nil
}

// deleted removes the container of a deleted server and frees a deleted primary IP's address.
func (s *servers) deleted(typ, id string, olds resource.PropertyMap) error {
	switch typ {
	case "hcloud:index/server:Server":
		name := s.container(olds["name"].StringValue())
		if out, err := exec.Command("docker", "rm", "--force", "--volumes", name).CombinedOutput(); err != nil {
			return fmt.Errorf("docker rm %s: %v: %s", name, err, out)
		}
		if out, err := exec.Command("docker", "volume", "rm", "--force", name+"-varlib").CombinedOutput(); err != nil {
			return fmt.Errorf("docker volume rm %s-varlib: %v: %s", name, err, out)
		}
	case "hcloud:index/primaryIp:PrimaryIp":
		b, err := os.ReadFile(filepath.Join(s.state, "ips", id))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		_ = os.Remove(filepath.Join(s.state, "addresses", string(b)))
		return os.Remove(filepath.Join(s.state, "ips", id))
	}
	return nil
}

// allocate gives the primary IP id the first free address of the subnet from .20 (the gateway and the
// rehearsal's own services sit below). A file per address, created exclusively, makes it safe across the
// provider processes of one `up`.
func (s *servers) allocate(id string) (string, error) {
	prefix := netip.MustParsePrefix(s.Subnet)
	addr := prefix.Addr()
	for range 20 {
		addr = addr.Next()
	}
	for ; prefix.Contains(addr); addr = addr.Next() {
		f, err := os.OpenFile(filepath.Join(s.state, "addresses", addr.String()), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.WriteString(id)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", err
		}
		return addr.String(), os.WriteFile(filepath.Join(s.state, "ips", id), []byte(addr.String()), 0o600)
	}
	return "", fmt.Errorf("no free address left in %s", s.Subnet)
}

// serverAddress is the address of the server's primary IPv4.
func (s *servers) serverAddress(inputs resource.PropertyMap) (string, error) {
	nets := inputs["publicNets"]
	if !nets.IsArray() || len(nets.ArrayValue()) == 0 || !nets.ArrayValue()[0].IsObject() {
		return "", errors.New("the rehearsal needs a server with a primary IPv4 (publicNets[0].ipv4)")
	}
	ip := nets.ArrayValue()[0].ObjectValue()["ipv4"]
	if !ip.IsNumber() {
		return "", errors.New("the rehearsal needs a server with a primary IPv4 (publicNets[0].ipv4)")
	}
	b, err := os.ReadFile(filepath.Join(s.state, "ips", strconv.Itoa(int(ip.NumberValue()))))
	if err != nil {
		return "", fmt.Errorf("primary IP %v was not made by this rehearsal: %w", ip.NumberValue(), err)
	}
	return string(b), nil
}

// container is the container name of a server in this run.
func (s *servers) container(server string) string { return s.Run + "-" + server }

// run starts the server's container with the flags ../shared/reference/containers-as-servers.md measured
// (never --privileged, never the host's cgroups), after writing its NoCloud seed and Docker options.
func (s *servers) run(id string, inputs resource.PropertyMap, addr string) error {
	server := inputs["name"].StringValue()
	name := s.container(server)
	var keys []string
	if ids := inputs["sshKeys"]; ids.IsArray() {
		for _, v := range ids.ArrayValue() {
			b, err := os.ReadFile(filepath.Join(s.state, "sshkeys", v.StringValue()))
			if err != nil {
				return fmt.Errorf("SSH key %s was not made by this rehearsal: %w", v.StringValue(), err)
			}
			keys = append(keys, strings.TrimSpace(string(b)))
		}
	}
	seed, err := seedArchive(id, server, inputs["userData"].StringValue(), keys, s.settings)
	if err != nil {
		return err
	}
	args := []string{"create", "--name", name, "--hostname", server,
		"--label", s.Label, "--label", "org.hoodcloud.rehearsal.server=" + server, "--network", s.Network, "--ip", addr,
		// Every capability systemd and a nested Docker use, none that reaches past the container's
		// namespaces into the host: the clock, kernel modules, reboot, the kernel log, raw I/O, MAC policy.
		"--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE", "--cap-drop", "SYS_TIME", "--cap-drop", "SYS_MODULE",
		"--cap-drop", "SYS_BOOT", "--cap-drop", "SYSLOG", "--cap-drop", "SYS_RAWIO", "--cap-drop", "MAC_ADMIN",
		"--cap-drop", "MAC_OVERRIDE",
		"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
		"--cgroupns=private", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--stop-signal", "SIGRTMIN+3",
		"--volume", name + "-varlib:/var/lib/docker"}
	for _, h := range s.ExtraHosts {
		args = append(args, "--add-host", h)
	}
	args = append(args, s.Image)
	if out, err := exec.Command("docker", "volume", "create", "--label", s.Label, name+"-varlib").CombinedOutput(); err != nil {
		return fmt.Errorf("docker volume create: %v: %s", err, out)
	}
	if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("docker create %s: %v: %s", name, err, out)
	}
	cp := exec.Command("docker", "cp", "-", name+":/")
	cp.Stdin = bytes.NewReader(seed)
	if out, err := cp.CombinedOutput(); err != nil {
		return fmt.Errorf("docker cp seed into %s: %v: %s", name, err, out)
	}
	if out, err := exec.Command("docker", "start", name).CombinedOutput(); err != nil {
		return fmt.Errorf("docker start %s: %v: %s", name, err, out)
	}
	return nil
}

// seedArchive is the tar stream copied into a new server: cloud-init's NoCloud seed (meta-data with the
// server's keys, the user data as given), dockerd's options with the rehearsal's registry mirror, and the
// rehearsal's CA for the system trust store (tools/rehearsal/hostimage/rehearsal-init installs it at boot).
func seedArchive(id, hostname, userData string, keys []string, st settings) ([]byte, error) {
	mirror, insecure := st.RegistryMirror, st.InsecureRegistries
	var meta strings.Builder
	fmt.Fprintf(&meta, "instance-id: hcloud-%s\nlocal-hostname: %s\npublic-keys:\n", id, hostname)
	for _, k := range keys {
		b, _ := json.Marshal(k) // a JSON string is a YAML string
		fmt.Fprintf(&meta, "  - %s\n", b)
	}
	opts := "--mtu 1400"
	if mirror != "" {
		opts += " --registry-mirror http://" + mirror
	}
	for _, r := range insecure {
		opts += " --insecure-registry " + r
	}
	files := []struct {
		path, body string
		mode       int64
	}{
		{"var/lib/cloud/seed/nocloud/meta-data", meta.String(), 0o644},
		// The user data holds the server's SSH host private key.
		{"var/lib/cloud/seed/nocloud/user-data", userData, 0o600},
		{"etc/default/docker", "# written by the rehearsal's hcloud stand-in\nDOCKER_OPTS=\"" + opts + "\"\n", 0o644},
	}
	dirs := []string{"var/", "var/lib/", "var/lib/cloud/", "var/lib/cloud/seed/", "var/lib/cloud/seed/nocloud/", "etc/", "etc/default/"}
	if st.TrustedCA != "" {
		dirs = append(dirs, "usr/", "usr/local/", "usr/local/share/", "usr/local/share/ca-certificates/")
		files = append(files, struct {
			path, body string
			mode       int64
		}{"usr/local/share/ca-certificates/hoodcloud-rehearsal.crt", st.TrustedCA, 0o644})
	}
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, d := range dirs {
		if err := w.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755}); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		if err := w.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.path, Mode: f.mode, Size: int64(len(f.body))}); err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(f.body)); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), w.Close()
}
