package nats

import (
	_ "embed"
	"fmt"
	"regexp"

	"github.com/hoodcloud/infra/internal/render"
)

var (
	//go:embed templates/nats.conf.tmpl
	configTemplate string
	//go:embed templates/resolver.conf.tmpl
	resolverTemplate string
)

// Where the server's files are, on the host and inside the container (the control plane's compose file
// mounts TLSDir at ContainerTLSDir and JWTDir at ContainerJWTDir, both read-only).
const (
	// TLSDir holds the certificate the deploy hook copies from certbot's live directory (guide 2.3: under
	// /opt/hoodcloud/secrets, files 0644 for the non-root container).
	TLSDir = "/opt/hoodcloud/secrets/nats"
	// ContainerTLSDir is TLSDir inside the container; TLSCertFile and TLSKeyFile are the paths nats.conf
	// names.
	ContainerTLSDir = "/etc/nats/tls"
	TLSCertFile     = ContainerTLSDir + "/fullchain.pem"
	TLSKeyFile      = ContainerTLSDir + "/privkey.pem"
	// JWTDir holds ResolverConfigName on the host, for an application bundle whose own nats.conf includes
	// ContainerJWTDir/resolver.conf instead of using ServerConfig.
	JWTDir             = "/opt/hoodcloud/secrets/nats-jwt"
	ContainerJWTDir    = "/etc/nats/jwt"
	ResolverConfigName = "resolver.conf"
	// JetStreamStoreDir is JetStream's store inside the container; compose mounts a volume there.
	JetStreamStoreDir = "/data"
	// MonitorAddress is the monitoring endpoint inside the container (/healthz for the health check).
	MonitorAddress = "127.0.0.1:8222"
	// ServerName is the server's name in logs and JetStream metadata.
	ServerName = "hoodcloud-nats"
)

// ConfigParams is everything nats.conf is rendered from.
type ConfigParams struct {
	Hostname string // nats.<domain>, for the comment on the certificate
	TLS      bool
	Identity *Identity
}

// Account is one resolver_preload entry.
type Account struct {
	Name, PublicKey, JWT string
}

// JWTs and public keys are base64url and base32: nothing that could break out of a quoted string.
var (
	jwtRe    = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$`)
	pubKeyRe = regexp.MustCompile(`^[A-Z2-7]{56}$`)
)

// RenderResolverConfig renders the operator-mode part of the configuration (operator, system_account,
// MEMORY resolver with the preloaded accounts): the file a bundle's nats.conf can include. Pure.
func RenderResolverConfig(id *Identity) (string, error) {
	if id == nil {
		return "", fmt.Errorf("render resolver.conf: no identity")
	}
	accounts := []Account{
		{SystemAccountName, id.SystemAccountPublicKey, id.SystemAccountJWT},
		{CtrlAccountName, id.CtrlAccountPublicKey, id.CtrlAccountJWT},
	}
	for _, a := range append([]Account{{OperatorName, id.OperatorPublicKey, id.OperatorJWT}}, accounts...) {
		if !pubKeyRe.MatchString(a.PublicKey) || !jwtRe.MatchString(a.JWT) {
			return "", fmt.Errorf("render resolver.conf: malformed public key or JWT of %s", a.Name)
		}
	}
	return render.Template("resolver.conf", resolverTemplate, struct {
		OperatorJWT, SystemAccount string
		Accounts                   []Account
	}{id.OperatorJWT, id.SystemAccountPublicKey, accounts})
}

// RenderConfig renders the complete nats.conf (listener, monitoring, TLS, JetStream and the resolver
// part inline). Pure.
func RenderConfig(p ConfigParams) (string, error) {
	resolver, err := RenderResolverConfig(p.Identity)
	if err != nil {
		return "", err
	}
	return render.Template("nats.conf", configTemplate, struct {
		ServerName, Hostname, ListenAddress, MonitorAddress string
		ClientPort, ExternalPort                            int
		TLS                                                 bool
		HostTLSDir, ContainerTLSDir, CertFile, KeyFile      string
		StoreDir, Resolver                                  string
	}{ServerName, p.Hostname, listenAddress, MonitorAddress, ClientPort, ExternalPort, p.TLS, TLSDir,
		ContainerTLSDir, TLSCertFile, TLSKeyFile, JetStreamStoreDir, resolver})
}
