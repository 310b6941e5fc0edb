package testkit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// TestCA is a certificate authority (ECDSA P-256) for tests that stand up real TLS peers: Vault, Caddy,
// curl, nats-server, the rehearsal's stand-ins of public services. It and its leaves are valid from an hour
// before it was made until its lifetime after.
type TestCA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// PEM is the CA certificate, for the peers' trust files.
	PEM      []byte
	notAfter time.Time
}

// Leaf is a certificate the CA issues.
type Leaf struct {
	CommonName string
	DNSNames   []string
	IPs        []net.IP
	Usage      x509.ExtKeyUsage
	Serial     int64
}

// NewTestCA makes a CA named cn, valid for an hour: most tests take seconds.
func NewTestCA(t testing.TB, cn string) *TestCA {
	t.Helper()
	ca, err := NewCA(cn, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// NewCA makes a CA named cn, valid for lifetime, for callers that are not a test (the rehearsal's
// machinery, which lives as long as its run).
func NewCA(cn string, lifetime time.Duration) (*TestCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	notAfter := time.Now().Add(lifetime)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &TestCA{Cert: cert, Key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), notAfter: notAfter}, nil
}

// Issue signs l and returns the certificate and its key (SEC 1) as PEM.
func (ca *TestCA) Issue(t testing.TB, l Leaf) (certPEM, keyPEM []byte) {
	t.Helper()
	certPEM, keyPEM, err := ca.IssueLeaf(l)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM
}

// IssueLeaf is Issue for callers that are not a test.
func (ca *TestCA) IssueLeaf(l Leaf) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(l.Serial), Subject: pkix.Name{CommonName: l.CommonName},
		DNSNames: l.DNSNames, IPAddresses: l.IPs, NotBefore: time.Now().Add(-time.Hour), NotAfter: ca.notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{l.Usage}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

// Pool is a certificate pool trusting the CA alone.
func (ca *TestCA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}
