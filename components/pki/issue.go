package pki

import (
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
)

// issuer creates the tls resources of the component, all parented to it.
type issuer struct {
	ctx     *pulumi.Context
	parent  pulumi.Resource
	hours   hours
	protect bool
}

// ca is a self-signed certificate authority.
type ca struct {
	certPEM pulumi.StringOutput
	keyPEM  pulumi.StringOutput // secret
}

// leafSpec is what distinguishes one leaf from another.
type leafSpec struct {
	commonName string
	dnsNames   []string
	ips        pulumi.StringArrayInput // nil: none (client certificates)
	uses       []string
}

func (i issuer) key(name string, opts ...pulumi.ResourceOption) (*tls.PrivateKey, error) {
	return tls.NewPrivateKey(i.ctx, name, &tls.PrivateKeyArgs{
		Algorithm:  pulumi.String(keyAlgorithm),
		EcdsaCurve: pulumi.String(ecdsaCurve),
	}, component.Child(i.parent, opts...)...)
}

// ca creates a CA key and its self-signed certificate, both protected when the stack protects state.
// The CA renews early by one leaf validity: a leaf signed in the CA's last months would outlive it, so a
// `pulumi up` in that window proposes the (deliberate, protected) CA replacement instead.
func (i issuer) ca(name, commonName string) (ca, error) {
	protect := pulumi.Protect(i.protect)
	key, err := i.key(name+"-key", protect)
	if err != nil {
		return ca{}, err
	}
	cert, err := tls.NewSelfSignedCert(i.ctx, name+"-cert", &tls.SelfSignedCertArgs{
		PrivateKeyPem: key.PrivateKeyPem,
		Subject: &tls.SelfSignedCertSubjectArgs{
			CommonName:   pulumi.String(commonName),
			Organization: pulumi.String(Organization),
		},
		IsCaCertificate:     pulumi.Bool(true),
		SetSubjectKeyId:     pulumi.Bool(true),
		SetAuthorityKeyId:   pulumi.Bool(true),
		AllowedUses:         pulumi.ToStringArray(caUses),
		ValidityPeriodHours: pulumi.Int(i.hours.ca),
		EarlyRenewalHours:   pulumi.Int(i.hours.leaf),
	}, component.Child(i.parent, protect)...)
	if err != nil {
		return ca{}, err
	}
	return ca{certPEM: cert.CertPem, keyPEM: key.PrivateKeyPem}, nil
}

// leaf creates a key, its certificate request and the certificate issuer signs. Only the certificate
// rotates (early_renewal_hours): the key and request are stable, so a rotation changes one resource.
func (i issuer) leaf(name string, issuer ca, s leafSpec) (Certificate, error) {
	key, err := i.key(name + "-key")
	if err != nil {
		return Certificate{}, err
	}
	csrArgs := &tls.CertRequestArgs{
		PrivateKeyPem: key.PrivateKeyPem,
		Subject: &tls.CertRequestSubjectArgs{
			CommonName:   pulumi.String(s.commonName),
			Organization: pulumi.String(Organization),
		},
	}
	if len(s.dnsNames) > 0 {
		csrArgs.DnsNames = pulumi.ToStringArray(s.dnsNames)
	}
	if s.ips != nil {
		csrArgs.IpAddresses = s.ips
	}
	csr, err := tls.NewCertRequest(i.ctx, name+"-csr", csrArgs, component.Child(i.parent)...)
	if err != nil {
		return Certificate{}, err
	}
	cert, err := tls.NewLocallySignedCert(i.ctx, name+"-cert", &tls.LocallySignedCertArgs{
		CertRequestPem:      csr.CertRequestPem,
		CaCertPem:           issuer.certPEM,
		CaPrivateKeyPem:     issuer.keyPEM,
		AllowedUses:         pulumi.ToStringArray(s.uses),
		ValidityPeriodHours: pulumi.Int(i.hours.leaf),
		EarlyRenewalHours:   pulumi.Int(i.hours.renew),
		SetSubjectKeyId:     pulumi.Bool(true),
	}, component.Child(i.parent)...)
	if err != nil {
		return Certificate{}, err
	}
	return Certificate{
		CertPEM:         cert.CertPem,
		KeyPEM:          component.Secret(key.PrivateKeyPem),
		CAPEM:           issuer.certPEM,
		ValidityEndTime: cert.ValidityEndTime,
	}, nil
}
