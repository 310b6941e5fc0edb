package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// A new server's seed is what Hetzner's metadata service would give it: its user data as given, its SSH
// keys as the NoCloud public keys, and the rehearsal's registry as Docker's mirror; the user data (it
// holds the host private key) is root-only.
func TestSeedArchive(t *testing.T) {
	b, err := seedArchive("42", "hoodcloud-staging-control-plane", "#cloud-config\n", []string{"ssh-ed25519 AAAAk1 a", "ssh-ed25519 AAAAk2 b"}, settings{RegistryMirror: "172.30.0.2:5000", InsecureRegistries: []string{"172.30.0.2:5000", "172.30.0.3:5000"}, TrustedCA: "-----BEGIN CERTIFICATE-----\n"})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	modes := map[string]int64{}
	r := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r)
		files[h.Name], modes[h.Name] = string(body), h.Mode
	}
	meta := files["var/lib/cloud/seed/nocloud/meta-data"]
	for _, want := range []string{"instance-id: hcloud-42\n", "local-hostname: hoodcloud-staging-control-plane\n", "  - \"ssh-ed25519 AAAAk1 a\"\n", "  - \"ssh-ed25519 AAAAk2 b\"\n"} {
		if !strings.Contains(meta, want) {
			t.Errorf("meta-data lacks %q:\n%s", want, meta)
		}
	}
	if files["var/lib/cloud/seed/nocloud/user-data"] != "#cloud-config\n" || modes["var/lib/cloud/seed/nocloud/user-data"] != 0o600 {
		t.Errorf("user-data %q mode %o", files["var/lib/cloud/seed/nocloud/user-data"], modes["var/lib/cloud/seed/nocloud/user-data"])
	}
	if !strings.Contains(files["etc/default/docker"], `DOCKER_OPTS="--mtu 1400 --registry-mirror http://172.30.0.2:5000 --insecure-registry 172.30.0.2:5000 --insecure-registry 172.30.0.3:5000"`) {
		t.Errorf("docker options: %q", files["etc/default/docker"])
	}
	if files["usr/local/share/ca-certificates/hoodcloud-rehearsal.crt"] != "-----BEGIN CERTIFICATE-----\n" {
		t.Errorf("the rehearsal's CA must be seeded for the trust store, found %q", files["usr/local/share/ca-certificates/hoodcloud-rehearsal.crt"])
	}
}

// Primary IPs get distinct addresses of the rehearsal's subnet from .20 up, and a deleted one's address
// is free again.
func TestPrimaryIPAddresses(t *testing.T) {
	dir := t.TempDir()
	settings := filepath.Join(dir, "rehearsal.json")
	if err := os.WriteFile(settings, []byte(`{"network":"n","subnet":"172.30.5.0/24","image":"i","label":"l=x","run":"r"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := newServers(settings)
	if err != nil {
		t.Fatal(err)
	}
	ipv4 := resource.PropertyMap{"type": resource.NewProperty("ipv4")}
	addr := func(id string) string {
		outs := resource.PropertyMap{}
		if err := s.created("hcloud:index/primaryIp:PrimaryIp", id, ipv4, outs); err != nil {
			t.Fatal(err)
		}
		return outs["ipAddress"].StringValue()
	}
	a, b := addr("1"), addr("2")
	if a != "172.30.5.20" || b != "172.30.5.21" {
		t.Errorf("addresses %s, %s", a, b)
	}
	if err := s.deleted("hcloud:index/primaryIp:PrimaryIp", "1", nil); err != nil {
		t.Fatal(err)
	}
	if c := addr("3"); c != "172.30.5.20" {
		t.Errorf("a freed address was not reused: %s", c)
	}
	got, err := s.serverAddress(resource.PropertyMap{"publicNets": resource.NewProperty([]resource.PropertyValue{
		resource.NewProperty(resource.PropertyMap{"ipv4": resource.NewProperty(2.0)})})})
	if err != nil || got != "172.30.5.21" {
		t.Errorf("server address %q, %v", got, err)
	}
}
