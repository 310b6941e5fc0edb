package testkit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" // RFC 5280 §4.2.1.2 key identifiers, as the tls provider computes them
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The tls provider's certificate resources are faked with real X.509: the certificates the program would
// ship are parsed, chained and used in TLS handshakes by the tests, so a wrong key usage, SAN or issuer
// fails a test instead of a production handshake.
func init() {
	defaultResources["tls:index/selfSignedCert:SelfSignedCert"] = tlsCachedCert(fakeSelfSignedCert)
	defaultResources["tls:index/certRequest:CertRequest"] = tlsCachedCert(fakeCertRequest)
	defaultResources["tls:index/locallySignedCert:LocallySignedCert"] = tlsCachedCert(fakeLocallySignedCert)
}

// CertEpoch is the validity start of every fake certificate of this test process. A real certificate
// starts when it is created and never changes afterwards; one fixed instant per process gives two runs of
// the program the same outputs.
var CertEpoch = time.Now().UTC().Truncate(time.Second)

// tlsCertCache makes the fake certificate resources stable within one test process, like keyCache: ECDSA
// signatures and serial numbers are random, and a real certificate's outputs never change once created.
// Entries are keyed by type, name and inputs, so a resource with different inputs gets a new certificate,
// as the provider would replace it.
var tlsCertCache sync.Map

type tlsCached struct {
	id   string
	outs resource.PropertyMap
}

func tlsCachedCert(f ResourceFunc) ResourceFunc {
	return func(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
		if tlsHasUnknown(resource.NewProperty(a.Inputs)) {
			// A preview: the provider computes nothing until its inputs are known.
			return a.Name + "-id", a.Inputs.Copy(), nil
		}
		canon, err := json.Marshal(tlsCanonical(resource.NewProperty(a.Inputs)))
		if err != nil {
			return "", nil, err
		}
		sum := sha256.Sum256(canon)
		key := a.TypeToken + "|" + a.Name + "|" + hex.EncodeToString(sum[:])
		if v, ok := tlsCertCache.Load(key); ok {
			c := v.(tlsCached)
			return c.id, c.outs.Copy(), nil
		}
		id, outs, err := f(a)
		if err != nil {
			return "", nil, fmt.Errorf("testkit: %s %s: %w", a.TypeToken, a.Name, err)
		}
		v, _ := tlsCertCache.LoadOrStore(key, tlsCached{id: id, outs: outs})
		c := v.(tlsCached)
		return c.id, c.outs.Copy(), nil
	}
}

func fakeSelfSignedCert(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	in := a.Inputs
	key, alg, err := tlsParsePrivateKey(tlsInString(in, "privateKeyPem"))
	if err != nil {
		return "", nil, err
	}
	tmpl, err := tlsCertTemplate(in)
	if err != nil {
		return "", nil, err
	}
	tmpl.Subject = tlsSubject(in["subject"])
	tmpl.DNSNames = tlsInStrings(in, "dnsNames")
	if tmpl.IPAddresses, err = tlsParseIPs(tlsInStrings(in, "ipAddresses")); err != nil {
		return "", nil, err
	}
	if tmpl.URIs, err = tlsParseURIs(tlsInStrings(in, "uris")); err != nil {
		return "", nil, err
	}
	ski, err := tlsKeyID(publicOf(key))
	if err != nil {
		return "", nil, err
	}
	if tlsInBool(in, "setSubjectKeyId") || tmpl.IsCA {
		tmpl.SubjectKeyId = ski
	}
	if tlsInBool(in, "setAuthorityKeyId") {
		tmpl.AuthorityKeyId = ski
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, publicOf(key), key.(crypto.Signer))
	if err != nil {
		return "", nil, err
	}
	outs := tlsCertOutputs(in, tmpl, der)
	outs["keyAlgorithm"] = resource.NewProperty(alg)
	return tmpl.SerialNumber.String(), outs, nil
}

func fakeCertRequest(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	in := a.Inputs
	key, alg, err := tlsParsePrivateKey(tlsInString(in, "privateKeyPem"))
	if err != nil {
		return "", nil, err
	}
	req := &x509.CertificateRequest{Subject: tlsSubject(in["subject"]), DNSNames: tlsInStrings(in, "dnsNames")}
	if req.IPAddresses, err = tlsParseIPs(tlsInStrings(in, "ipAddresses")); err != nil {
		return "", nil, err
	}
	if req.URIs, err = tlsParseURIs(tlsInStrings(in, "uris")); err != nil {
		return "", nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, req, key)
	if err != nil {
		return "", nil, err
	}
	csrPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	outs := in.Copy()
	outs["certRequestPem"] = resource.NewProperty(csrPEM)
	outs["keyAlgorithm"] = resource.NewProperty(alg)
	sum := sha1.Sum([]byte(csrPEM)) // the provider's ID is the SHA-1 of the request PEM
	return hex.EncodeToString(sum[:]), outs, nil
}

func fakeLocallySignedCert(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	in := a.Inputs
	csrBlock, _ := pem.Decode([]byte(tlsInString(in, "certRequestPem")))
	if csrBlock == nil || csrBlock.Type != "CERTIFICATE REQUEST" {
		return "", nil, errors.New("certRequestPem is not a PEM certificate request")
	}
	csr, err := x509.ParseCertificateRequest(csrBlock.Bytes)
	if err != nil {
		return "", nil, err
	}
	if err := csr.CheckSignature(); err != nil {
		return "", nil, fmt.Errorf("certificate request signature: %w", err)
	}
	caBlock, _ := pem.Decode([]byte(tlsInString(in, "caCertPem")))
	if caBlock == nil || caBlock.Type != "CERTIFICATE" {
		return "", nil, errors.New("caCertPem is not a PEM certificate")
	}
	ca, err := x509.ParseCertificate(caBlock.Bytes)
	if err != nil {
		return "", nil, err
	}
	caKey, caAlg, err := tlsParsePrivateKey(tlsInString(in, "caPrivateKeyPem"))
	if err != nil {
		return "", nil, fmt.Errorf("caPrivateKeyPem: %w", err)
	}
	// The provider would sign with any key; a CA key that does not match the CA certificate yields
	// certificates nothing verifies, which is a wiring mistake worth failing on here.
	if !tlsSameKey(publicOf(caKey), ca.PublicKey) {
		return "", nil, errors.New("caPrivateKeyPem does not belong to caCertPem")
	}
	tmpl, err := tlsCertTemplate(in)
	if err != nil {
		return "", nil, err
	}
	tmpl.Subject = csr.Subject
	tmpl.DNSNames, tmpl.IPAddresses, tmpl.URIs = csr.DNSNames, csr.IPAddresses, csr.URIs
	if tlsInBool(in, "setSubjectKeyId") || tmpl.IsCA {
		if tmpl.SubjectKeyId, err = tlsKeyID(csr.PublicKey); err != nil {
			return "", nil, err
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, csr.PublicKey, caKey.(crypto.Signer))
	if err != nil {
		return "", nil, err
	}
	outs := tlsCertOutputs(in, tmpl, der)
	outs["caKeyAlgorithm"] = resource.NewProperty(caAlg)
	return tmpl.SerialNumber.String(), outs, nil
}

// tlsCertTemplate holds what both certificate resources take from their inputs alike: validity, usages and
// CA-ness.
func tlsCertTemplate(in resource.PropertyMap) (*x509.Certificate, error) {
	hours := tlsInNumber(in, "validityPeriodHours")
	if hours <= 0 {
		return nil, fmt.Errorf("validityPeriodHours must be positive, found %v", hours)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             CertEpoch,
		NotAfter:              CertEpoch.Add(time.Duration(hours) * time.Hour),
		BasicConstraintsValid: true,
		IsCA:                  tlsInBool(in, "isCaCertificate"),
	}
	if tmpl.IsCA {
		if v, ok := in["maxPathLength"]; ok && v.IsNumber() {
			tmpl.MaxPathLen = int(v.NumberValue())
			tmpl.MaxPathLenZero = tmpl.MaxPathLen == 0
		}
	}
	for _, use := range tlsInStrings(in, "allowedUses") {
		if ku, ok := tlsKeyUsages[use]; ok {
			tmpl.KeyUsage |= ku
		} else if eku, ok := tlsExtKeyUsages[use]; ok {
			tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, eku)
		} else {
			return nil, fmt.Errorf("allowedUses: %q is not a value the tls provider accepts", use)
		}
	}
	return tmpl, nil
}

// tlsKeyUsages and tlsExtKeyUsages are the tls provider's allowed_uses values (snake case, as the provider
// validates them) and the X.509 bits they set.
var tlsKeyUsages = map[string]x509.KeyUsage{
	"digital_signature":  x509.KeyUsageDigitalSignature,
	"content_commitment": x509.KeyUsageContentCommitment,
	"key_encipherment":   x509.KeyUsageKeyEncipherment,
	"data_encipherment":  x509.KeyUsageDataEncipherment,
	"key_agreement":      x509.KeyUsageKeyAgreement,
	"cert_signing":       x509.KeyUsageCertSign,
	"crl_signing":        x509.KeyUsageCRLSign,
	"encipher_only":      x509.KeyUsageEncipherOnly,
	"decipher_only":      x509.KeyUsageDecipherOnly,
}

var tlsExtKeyUsages = map[string]x509.ExtKeyUsage{
	"any_extended":                      x509.ExtKeyUsageAny,
	"server_auth":                       x509.ExtKeyUsageServerAuth,
	"client_auth":                       x509.ExtKeyUsageClientAuth,
	"code_signing":                      x509.ExtKeyUsageCodeSigning,
	"email_protection":                  x509.ExtKeyUsageEmailProtection,
	"ipsec_end_system":                  x509.ExtKeyUsageIPSECEndSystem,
	"ipsec_tunnel":                      x509.ExtKeyUsageIPSECTunnel,
	"ipsec_user":                        x509.ExtKeyUsageIPSECUser,
	"timestamping":                      x509.ExtKeyUsageTimeStamping,
	"ocsp_signing":                      x509.ExtKeyUsageOCSPSigning,
	"microsoft_server_gated_crypto":     x509.ExtKeyUsageMicrosoftServerGatedCrypto,
	"netscape_server_gated_crypto":      x509.ExtKeyUsageNetscapeServerGatedCrypto,
	"microsoft_commercial_code_signing": x509.ExtKeyUsageMicrosoftCommercialCodeSigning,
	"microsoft_kernel_code_signing":     x509.ExtKeyUsageMicrosoftKernelCodeSigning,
}

// tlsCertOutputs are the inputs plus what the provider computes for a certificate.
func tlsCertOutputs(in resource.PropertyMap, tmpl *x509.Certificate, der []byte) resource.PropertyMap {
	outs := in.Copy()
	outs["certPem"] = resource.NewProperty(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	outs["validityStartTime"] = resource.NewProperty(tmpl.NotBefore.Format(time.RFC3339))
	outs["validityEndTime"] = resource.NewProperty(tmpl.NotAfter.Format(time.RFC3339))
	outs["readyForRenewal"] = resource.NewProperty(false)
	outs["isCaCertificate"] = resource.NewProperty(tmpl.IsCA)
	if _, ok := outs["earlyRenewalHours"]; !ok {
		outs["earlyRenewalHours"] = resource.NewProperty(0.0)
	}
	return outs
}

// tlsParsePrivateKey reads the PEM forms the tls PrivateKey resource emits (PKCS#1, SEC 1, PKCS#8) and
// names the algorithm as the provider does.
func tlsParsePrivateKey(s string) (any, string, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, "", errors.New("private key is not PEM")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, "", fmt.Errorf("unsupported private key PEM type %q", block.Type)
	}
	if err != nil {
		return nil, "", err
	}
	switch key.(type) {
	case *rsa.PrivateKey:
		return key, "RSA", nil
	case *ecdsa.PrivateKey:
		return key, "ECDSA", nil
	case ed25519.PrivateKey:
		return key, "ED25519", nil
	}
	return nil, "", fmt.Errorf("unsupported private key type %T", key)
}

// tlsKeyID is the SHA-1 of the subject public key bits (RFC 5280 §4.2.1.2, method 1).
func tlsKeyID(pub any) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}

func tlsSameKey(a, b any) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

func tlsSubject(v resource.PropertyValue) pkix.Name {
	v = tlsPlain(v)
	if !v.IsObject() {
		return pkix.Name{}
	}
	m := v.ObjectValue()
	one := func(k string) []string {
		if s := tlsInString(m, k); s != "" {
			return []string{s}
		}
		return nil
	}
	return pkix.Name{
		CommonName:         tlsInString(m, "commonName"),
		SerialNumber:       tlsInString(m, "serialNumber"),
		Organization:       one("organization"),
		OrganizationalUnit: one("organizationalUnit"),
		Country:            one("country"),
		Province:           one("province"),
		Locality:           one("locality"),
		PostalCode:         one("postalCode"),
		StreetAddress:      tlsInStrings(m, "streetAddresses"),
	}
}

func tlsParseIPs(in []string) ([]net.IP, error) {
	var out []net.IP
	for _, s := range in {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, fmt.Errorf("ipAddresses: %q is not an IP address", s)
		}
		out = append(out, ip)
	}
	return out, nil
}

func tlsParseURIs(in []string) ([]*url.URL, error) {
	var out []*url.URL
	for _, s := range in {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("uris: %w", err)
		}
		out = append(out, u)
	}
	return out, nil
}

// tlsPlain unwraps a secret or a known output to its element: the provider sees the value itself.
func tlsPlain(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput() && v.OutputValue().Known:
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

func tlsInString(m resource.PropertyMap, k string) string {
	if v := tlsPlain(m[resource.PropertyKey(k)]); v.IsString() {
		return v.StringValue()
	}
	return ""
}

func tlsInStrings(m resource.PropertyMap, k string) []string {
	v := tlsPlain(m[resource.PropertyKey(k)])
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e = tlsPlain(e); e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func tlsInBool(m resource.PropertyMap, k string) bool {
	v := tlsPlain(m[resource.PropertyKey(k)])
	return v.IsBool() && v.BoolValue()
}

func tlsInNumber(m resource.PropertyMap, k string) float64 {
	if v := tlsPlain(m[resource.PropertyKey(k)]); v.IsNumber() {
		return v.NumberValue()
	}
	return 0
}

// tlsHasUnknown reports whether any part of v is not yet known (a preview's computed values).
func tlsHasUnknown(v resource.PropertyValue) bool {
	switch {
	case v.IsComputed():
		return true
	case v.IsOutput():
		return !v.OutputValue().Known || tlsHasUnknown(v.OutputValue().Element)
	case v.IsSecret():
		return tlsHasUnknown(v.SecretValue().Element)
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			if tlsHasUnknown(e) {
				return true
			}
		}
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			if tlsHasUnknown(e) {
				return true
			}
		}
	}
	return false
}

// tlsCanonical turns v into plain Go data with secrets unwrapped and object keys sorted (by encoding/json),
// for the cache key.
func tlsCanonical(v resource.PropertyValue) any {
	v = tlsPlain(v)
	switch {
	case v.IsArray():
		out := make([]any, 0, len(v.ArrayValue()))
		for _, e := range v.ArrayValue() {
			out = append(out, tlsCanonical(e))
		}
		return out
	case v.IsObject():
		m := v.ObjectValue()
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		out := make(map[string]any, len(m))
		for _, k := range keys {
			out[k] = tlsCanonical(m[resource.PropertyKey(k)])
		}
		return out
	case v.IsNull():
		return nil
	}
	return v.V
}
