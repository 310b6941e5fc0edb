// Command standin-provider is a test double of the clouds the engine tests cannot reach: installed into a
// test PULUMI_HOME as pulumi-resource-aws (always), and as pulumi-resource-hcloud, -command and -vault for
// `up` (where the real plugins would need the Hetzner API, SSH hosts and a live Vault). It is a double of
// the cloud API, never of Pulumi: the real engine drives it through the real provider protocol, and it
// answers as the cloud would — computed outputs the program reads (IDs, ARNs, addresses, an access key
// whose secret comes back secret), no diff on equal inputs, a diff naming the changed properties otherwise,
// replacement where the real provider replaces.
//
// It learns which provider it plays from its file name (pulumi-resource-<name>) and its version from the
// plugin directory it is installed in (resource-<name>-v<version>), so one binary serves every package.
//
// Environment (read by every stand-in process the engine starts):
//
//	HOODCLOUD_STANDIN_JOURNAL  file that gets one line per create, update and delete (and "run" lines for
//	                           the commands a remote step would execute), so tests count what `up` did
//	HOODCLOUD_STANDIN_STDOUT   JSON object: resource-name suffix → stdout a remote step prints
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func main() {
	name, version, err := identity(os.Args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "standin-provider:", err)
		os.Exit(2)
	}
	cloud, err := newCloud(name, os.Getenv("HOODCLOUD_STANDIN_STDOUT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "standin-provider:", err)
		os.Exit(2)
	}
	srv := &server{name: name, version: version, cloud: cloud, journal: journal(os.Getenv("HOODCLOUD_STANDIN_JOURNAL"))}
	if err := provider.Main(name, func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return srv, nil
	}); err != nil {
		fmt.Fprintln(os.Stderr, "standin-provider:", err)
		os.Exit(1)
	}
}

// identity reads the provider name from the executable's name and its version from its directory.
func identity(argv0 string) (name, version string, err error) {
	exe, err := filepath.EvalSymlinks(argv0)
	if err != nil {
		exe = argv0
	}
	base := filepath.Base(argv0)
	name, ok := strings.CutPrefix(base, "pulumi-resource-")
	if !ok || name == "" {
		return "", "", fmt.Errorf("expected to be installed as pulumi-resource-<name>, found %q", base)
	}
	dir := filepath.Base(filepath.Dir(argv0))
	if v, ok := strings.CutPrefix(dir, "resource-"+name+"-v"); ok {
		return name, v, nil
	}
	if v, ok := strings.CutPrefix(filepath.Base(filepath.Dir(exe)), "resource-"+name+"-v"); ok {
		return name, v, nil
	}
	return "", "", fmt.Errorf("expected to be installed in a directory resource-%s-v<version>, found %q", name, dir)
}
