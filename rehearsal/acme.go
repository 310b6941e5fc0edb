package rehearsal

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hoodcloud/infra/internal/testkit"
)

// PebbleVersion is the ACME server the rehearsal builds from the Go module proxy.
const PebbleVersion = "v2.9.0"

// ACME is the public side of certbot's DNS-01 challenge, stood in for on the rehearsal network: pebble,
// the ACME server (.12), and the Cloudflare API with the DNS of its zones (.13), which pebble asks for
// the challenge's TXT record. Both serve HTTPS with certificates of the rehearsal's CA, which the servers
// trust; api.cloudflare.com resolves to the stand-in in each server's /etc/hosts.
type ACME struct {
	// Directory is the ACME directory URL (the stack's hoodcloud:acmeServer).
	Directory string
	// management is pebble's management API (its issuing roots).
	management string
	ca         *testkit.TestCA
}

// The addresses of the ACME stand-ins on the rehearsal network.
const (
	pebbleHost     = 12
	cloudflareHost = 13
)

// StartACME starts pebble and the Cloudflare stand-in, which owns zone and accepts only token, and makes
// the servers created from now on trust the rehearsal's CA and find api.cloudflare.com.
func (r *Rehearsal) StartACME(ctx context.Context, zone, token string) (*ACME, error) {
	r.Phase("acme (pebble, cloudflare)")
	o := r.opts
	// The rehearsal's own CA, living as long as a rehearsal may (make rehearse's test timeout).
	authority, err := testkit.NewCA("HoodCloud rehearsal CA", 24*time.Hour)
	if err != nil {
		return nil, err
	}
	pebbleIP, cfIP := hostAddr(r.Subnet, pebbleHost), hostAddr(r.Subnet, cloudflareHost)

	// The Cloudflare API and the zone's DNS.
	cfDir := filepath.Join(o.WorkDir, "cloudflare")
	cfCert, cfKey, err := authority.IssueLeaf(testkit.Leaf{CommonName: "api.cloudflare.com", DNSNames: []string{"api.cloudflare.com"},
		IPs: []net.IP{net.ParseIP(cfIP)}, Usage: x509.ExtKeyUsageServerAuth, Serial: 2})
	if err != nil {
		return nil, err
	}
	if err := writeFiles(cfDir, map[string][]byte{"cert.pem": cfCert, "key.pem": cfKey, "token": []byte(token)}, 0o600); err != nil {
		return nil, err
	}
	cfBin, err := goBinary(ctx, o.RepoRoot, "github.com/hoodcloud/infra/tools/rehearsal/cloudflare", o.WorkDir)
	if err != nil {
		return nil, err
	}
	cfImage, err := buildImage(ctx, "hoodcloud-rehearsal/cloudflare", filepath.Join(o.RepoRoot, "tools/rehearsal/images/cloudflare"),
		map[string]string{"cloudflare": cfBin})
	if err != nil {
		return nil, err
	}
	if err := r.runContainer(ctx, "cloudflare", cfIP, cfImage, nil, []string{"--volume", cfDir + ":/config:ro"}, "-api-listen", ":443", "-dns-listen", ":53",
		"-cert", "/config/cert.pem", "-key", "/config/key.pem", "-token-file", "/config/token", "-zone", zone); err != nil {
		return nil, err
	}

	// pebble, validating DNS-01 against the stand-in's DNS.
	pebbleDir := filepath.Join(o.WorkDir, "pebble")
	pCert, pKey, err := authority.IssueLeaf(testkit.Leaf{CommonName: "pebble", DNSNames: []string{"pebble"},
		IPs: []net.IP{net.ParseIP(pebbleIP)}, Usage: x509.ExtKeyUsageServerAuth, Serial: 3})
	if err != nil {
		return nil, err
	}
	var conf struct {
		Pebble map[string]any `json:"pebble"`
	}
	conf.Pebble = map[string]any{
		"listenAddress": "0.0.0.0:14000", "managementListenAddress": "0.0.0.0:15000",
		"certificate": "/config/cert.pem", "privateKey": "/config/key.pem", "httpPort": 5002, "tlsPort": 5001,
		"retryAfter": map[string]int{"authz": 1, "order": 1},
		"profiles":   map[string]any{"default": map[string]any{"description": "90 days", "validityPeriod": 7776000}},
	}
	confJSON, err := json.Marshal(conf)
	if err != nil {
		return nil, err
	}
	if err := writeFiles(pebbleDir, map[string][]byte{"cert.pem": pCert, "key.pem": pKey, "pebble.json": confJSON}, 0o600); err != nil {
		return nil, err
	}
	pebbleImage, err := toolImage(ctx, o, "github.com/letsencrypt/pebble/v2/cmd/pebble", PebbleVersion, "pebble")
	if err != nil {
		return nil, err
	}
	// No nonce rejections and no sleeps: pebble's defaults test clients' retries, not the program's.
	if err := r.runContainer(ctx, "pebble", pebbleIP, pebbleImage, map[string]string{"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"},
		[]string{"--volume", pebbleDir + ":/config:ro"}, "-dnsserver", cfIP+":53"); err != nil {
		return nil, err
	}
	a := &ACME{Directory: "https://" + pebbleIP + ":14000/dir", management: "https://" + pebbleIP + ":15000", ca: authority}
	if err := waitHTTP(ctx, a.client(), a.Directory, 30*time.Second, func(status int) bool { return status == http.StatusOK }); err != nil {
		return nil, err
	}
	r.settings["trustedCa"] = string(authority.PEM)
	r.settings["extraHosts"] = []string{"api.cloudflare.com:" + cfIP}
	return a, r.writeSettings()
}

// runContainer runs one of the rehearsal's own containers (<run>-<role>) at ip on the rehearsal network,
// labelled for Close: dockerArgs go to `docker run`, cmdArgs to the image.
func (r *Rehearsal) runContainer(ctx context.Context, role, ip, image string, env map[string]string, dockerArgs []string, cmdArgs ...string) error {
	run := []string{"run", "--detach", "--name", r.Name + "-" + role, "--label", "org.hoodcloud.rehearsal=" + r.Name,
		"--network", r.Network, "--ip", ip}
	for k, v := range env {
		run = append(run, "--env", k+"="+v)
	}
	run = append(append(run, dockerArgs...), image)
	_, err := command(ctx, "", "docker", append(run, cmdArgs...)...)
	return err
}

// client is an HTTPS client that trusts the rehearsal's CA.
func (a *ACME) client() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: a.ca.Pool()}}}
}

// Roots is the pool of pebble's issuing root: what a NATS client must trust to verify the certificate
// certbot obtained (as clients trust Let's Encrypt's roots).
func (a *ACME) Roots(ctx context.Context) (*x509.CertPool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.management+"/roots/0", nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.client().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if resp.StatusCode != http.StatusOK || !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("pebble's root: %s %q", resp.Status, b)
	}
	return pool, nil
}

// writeFiles writes files (name → content) into dir with mode: the containers that mount it run as root.
func writeFiles(dir string, files map[string][]byte, mode os.FileMode) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, mode); err != nil {
			return err
		}
	}
	return nil
}
