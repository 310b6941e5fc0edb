package pki

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/dnsname"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:pki:PKI"

// Validity defaults, used where the Args field is zero: CAs outlive many leaf rotations; leaves follow the
// guide's 90 days and are replaced by any `pulumi up` in their last 30.
const (
	DefaultCAValidityHours   = 87600 // 10 years
	DefaultLeafValidityHours = 2160  // 90 days
	DefaultRenewBeforeHours  = 720   // 30 days
)

// Args configures the PKI.
type Args struct {
	// Domain names the services: vault.<domain>, payment.<domain>, agents.<domain>.
	Domain string
	// Protect protects the CA keys and certificates: replacing a CA invalidates every certificate issued by
	// it, agents' included. Leaves are never protected, or they could not rotate.
	Protect bool

	// VaultIPs, PaymentIPs and ControlPlaneIPs are the public addresses (IPv4 and IPv6) of the servers
	// hosting those roles; they become IP SANs, since peers dial the servers by address.
	VaultIPs        pulumi.StringArrayInput
	PaymentIPs      pulumi.StringArrayInput
	ControlPlaneIPs pulumi.StringArrayInput

	// Validity in hours; zero means the Default above.
	CAValidityHours   int
	LeafValidityHours int
	RenewBeforeHours  int
}

// hours are the effective validity settings.
type hours struct{ ca, leaf, renew int }

func (a *Args) hours() hours {
	or := func(v, def int) int {
		if v == 0 {
			return def
		}
		return v
	}
	return hours{
		ca:    or(a.CAValidityHours, DefaultCAValidityHours),
		leaf:  or(a.LeafValidityHours, DefaultLeafValidityHours),
		renew: or(a.RenewBeforeHours, DefaultRenewBeforeHours),
	}
}

// Validate reports every problem at once, each naming the config key, what was expected and what was
// found.
func (a *Args) Validate() error {
	if a == nil {
		return errors.New("hoodcloud:pki: expected PKI arguments, found none")
	}
	var errs []error
	bad := func(key, expected, found string) {
		errs = append(errs, fmt.Errorf("hoodcloud:%s: expected %s, found %s", key, expected, found))
	}
	if why := dnsname.Problem(a.Domain); why != "" {
		bad("domain", "a DNS domain such as hoodcloud.io", strconv.Quote(a.Domain)+" ("+why+")")
	}
	for _, ips := range []struct {
		role string
		in   pulumi.StringArrayInput
	}{{"Vault", a.VaultIPs}, {"payment", a.PaymentIPs}, {"control plane", a.ControlPlaneIPs}} {
		if ips.in == nil {
			bad("topology", "the addresses of the server hosting the "+ips.role+" role", "none")
		}
	}
	for _, f := range []struct {
		key string
		v   int
	}{{"pkiCaValidityHours", a.CAValidityHours}, {"pkiLeafValidityHours", a.LeafValidityHours}, {"pkiRenewBeforeHours", a.RenewBeforeHours}} {
		if f.v < 0 {
			bad(f.key, "a positive number of hours (or 0 for the default)", strconv.Itoa(f.v))
		}
	}
	h := a.hours()
	if h.leaf > 0 && h.renew >= h.leaf {
		bad("pkiRenewBeforeHours", fmt.Sprintf("fewer hours than the leaf validity (%d)", h.leaf), strconv.Itoa(h.renew))
	}
	if h.leaf > 0 && h.ca > 0 && h.ca <= h.leaf {
		bad("pkiCaValidityHours", fmt.Sprintf("more hours than the leaf validity (%d), so no leaf outlives its CA", h.leaf), strconv.Itoa(h.ca))
	}
	return errors.Join(errs...)
}

// Certificate is one leaf as the host that presents it needs it.
type Certificate struct {
	// CertPEM is the leaf certificate.
	CertPEM pulumi.StringOutput
	// KeyPEM is the leaf's private key (secret).
	KeyPEM pulumi.StringOutput
	// CAPEM is the certificate of the CA that issued the leaf and that its peers trust.
	CAPEM pulumi.StringOutput
	// ValidityEndTime is the leaf's expiry (RFC 3339).
	ValidityEndTime pulumi.StringOutput
}

// PKI holds the three CAs and their leaves.
type PKI struct {
	pulumi.ResourceState

	VaultCAPEM        pulumi.StringOutput
	PaymentCAPEM      pulumi.StringOutput
	AgentGatewayCAPEM pulumi.StringOutput
	// AgentGatewayCAKeyPEM (secret) signs agents' client certificates, which are issued outside this
	// component.
	AgentGatewayCAKeyPEM pulumi.StringOutput

	VaultServer               Certificate
	PaymentServer             Certificate
	ControlPlanePaymentClient Certificate
	AgentGatewayServer        Certificate

	// FileHashes maps every file path of FilesFor to the hash of what it identifies (see File.Hash).
	FileHashes pulumi.StringMapOutput
}

// New creates the CAs and leaf certificates.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*PKI, error) {
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	p := &PKI{}
	if err := component.Register(ctx, TypeToken, name, p, opts...); err != nil {
		return nil, err
	}
	if err := p.build(ctx, name, args); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	return p, component.Finish(ctx, TypeToken, name, p, pulumi.Map{
		"vaultCaPem":                       p.VaultCAPEM,
		"paymentCaPem":                     p.PaymentCAPEM,
		"agentGatewayCaPem":                p.AgentGatewayCAPEM,
		"vaultServerCertPem":               p.VaultServer.CertPEM,
		"paymentServerCertPem":             p.PaymentServer.CertPEM,
		"controlPlanePaymentClientCertPem": p.ControlPlanePaymentClient.CertPEM,
		"agentGatewayServerCertPem":        p.AgentGatewayServer.CertPEM,
		"fileHashes":                       p.FileHashes,
	})
}

// build issues the three trust domains in a fixed order.
func (p *PKI) build(ctx *pulumi.Context, name string, args *Args) error {
	h := args.hours()
	iss := issuer{ctx: ctx, parent: p, hours: h, protect: args.Protect}

	vaultCA, err := iss.ca(name+"-vault-ca", "HoodCloud Vault CA")
	if err != nil {
		return err
	}
	vaultIPs := ipSANs(args.VaultIPs, VaultLoopbackIP)
	if p.VaultServer, err = iss.leaf(name+"-vault-server", vaultCA, leafSpec{
		commonName: VaultServerName(args.Domain), dnsNames: VaultServerDNSNames(args.Domain), ips: vaultIPs, uses: serverUses,
	}); err != nil {
		return err
	}

	paymentCA, err := iss.ca(name+"-payment-ca", "HoodCloud Payment mTLS CA")
	if err != nil {
		return err
	}
	paymentIPs := ipSANs(args.PaymentIPs)
	if p.PaymentServer, err = iss.leaf(name+"-payment-server", paymentCA, leafSpec{
		commonName: PaymentServerName(args.Domain), dnsNames: []string{PaymentServerName(args.Domain)}, ips: paymentIPs, uses: serverUses,
	}); err != nil {
		return err
	}
	if p.ControlPlanePaymentClient, err = iss.leaf(name+"-payment-client", paymentCA, leafSpec{
		commonName: ControlPlaneClientName, uses: clientUses,
	}); err != nil {
		return err
	}

	agentCA, err := iss.ca(name+"-agent-gateway-ca", "HoodCloud Agent Gateway CA")
	if err != nil {
		return err
	}
	cpIPs := ipSANs(args.ControlPlaneIPs)
	if p.AgentGatewayServer, err = iss.leaf(name+"-agent-gateway-server", agentCA, leafSpec{
		commonName: AgentGatewayName(args.Domain), dnsNames: []string{AgentGatewayName(args.Domain)}, ips: cpIPs, uses: serverUses,
	}); err != nil {
		return err
	}

	p.VaultCAPEM = vaultCA.certPEM
	p.PaymentCAPEM = paymentCA.certPEM
	p.AgentGatewayCAPEM = agentCA.certPEM
	p.AgentGatewayCAKeyPEM = component.Secret(agentCA.keyPEM)
	p.FileHashes = p.fileHashes()
	return nil
}
