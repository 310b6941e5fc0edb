package hcloudhost

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/hoodcloud/infra/internal/render"
)

// The host baseline is data, written once here and rendered into two deliveries: cloud-init (first boot)
// and the host-baseline script (every running server). One source, so the two can never drift.

var (
	//go:embed files/sshd-hardening.conf
	sshdHardening string
	//go:embed files/20auto-upgrades
	autoUpgrades string
	//go:embed files/52hoodcloud-unattended-upgrades
	unattendedUpgrades string
	//go:embed files/docker-daemon.json
	dockerDaemon string
	//go:embed files/hoodcloud-block-metadata.service
	blockMetadataUnit string
	//go:embed cloud-init.yaml.tmpl
	cloudInitTemplate string
	//go:embed host-baseline.sh.tmpl
	baselineTemplate string
)

// File is a file the baseline installs, root-owned.
type File struct {
	Path, Mode, Content string
}

// Dir is a directory the baseline creates, root-owned.
type Dir struct {
	Path, Mode string
}

// Packages are installed from the distribution's own archive (Ubuntu ships Docker Engine and the Compose
// v2 plugin), so no third-party apt repository or its host name is involved. openssl seals Vault's init
// escrow; curl carries the root token to Vault's API.
var Packages = []string{"curl", "docker.io", "docker-compose-v2", "openssl", "unattended-upgrades"}

// Files are the baseline's configuration files.
var Files = []File{
	{Path: "/etc/ssh/sshd_config.d/10-hoodcloud.conf", Mode: "0644", Content: sshdHardening},
	{Path: "/etc/apt/apt.conf.d/20auto-upgrades", Mode: "0644", Content: autoUpgrades},
	{Path: "/etc/apt/apt.conf.d/52hoodcloud-unattended-upgrades", Mode: "0644", Content: unattendedUpgrades},
	{Path: DockerDaemonConfig, Mode: "0644", Content: dockerDaemon},
	{Path: "/etc/systemd/system/" + BlockMetadataUnit, Mode: "0644", Content: blockMetadataUnit},
}

// DockerDaemonConfig turns on live-restore: containers (Vault among them, which would come back sealed)
// keep running while the Docker daemon restarts for an upgrade or a configuration reload.
const DockerDaemonConfig = "/etc/docker/daemon.json"

// BlockMetadataUnit keeps containers away from the metadata service (it serves the SSH host key).
const BlockMetadataUnit = "hoodcloud-block-metadata.service"

// AptLockTimeoutSeconds bounds how long the baseline waits for another apt (unattended-upgrades on a fresh
// server) to release the dpkg lock.
const AptLockTimeoutSeconds = 600

// Dirs are the platform's directories. secrets/ is 0711: root lists it, containers running as other users
// can still open the 0644 key files they are given by path (guide 2.3).
var Dirs = []Dir{
	{Path: "/opt/hoodcloud", Mode: "0755"},
	{Path: "/opt/hoodcloud/secrets", Mode: "0711"},
	{Path: "/opt/hoodcloud/scripts", Mode: "0755"},
}

// CloudInitParams are the per-server values of cloud-init.
type CloudInitParams struct {
	ServerName     string
	HostKeyPrivate string // OpenSSH private key: the rendered document is a secret
	HostKeyPublic  string
}

// RenderCloudInit renders the first-boot cloud-config of one server.
func RenderCloudInit(p CloudInitParams) (string, error) {
	if !strings.HasPrefix(p.HostKeyPublic, "ssh-ed25519 ") {
		return "", fmt.Errorf("cloud-init: host public key must be ssh-ed25519, found %.20q", p.HostKeyPublic)
	}
	return render.Template("cloud-init.yaml", cloudInitTemplate, struct {
		CloudInitParams
		Packages []string
		Files    []File
		Dirs     []Dir
	}{
		CloudInitParams: CloudInitParams{ServerName: p.ServerName, HostKeyPrivate: p.HostKeyPrivate,
			HostKeyPublic: strings.TrimSpace(p.HostKeyPublic)},
		Packages: Packages, Files: Files, Dirs: Dirs,
	})
}

// RenderBaselineScript renders the script that re-applies the baseline to a running server.
func RenderBaselineScript() (string, error) {
	for _, f := range Files {
		if !strings.HasSuffix(f.Content, "\n") || strings.Contains(f.Content, "HOODCLOUD_FILE_EOF") {
			return "", fmt.Errorf("baseline file %s must end with a newline and not contain the heredoc marker", f.Path)
		}
	}
	return render.Template("host-baseline.sh", baselineTemplate, struct {
		Packages       []string
		Files          []File
		Dirs           []Dir
		AptLockTimeout int
	}{Packages, Files, Dirs, AptLockTimeoutSeconds})
}
