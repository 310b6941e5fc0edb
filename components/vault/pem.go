package vault

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// The TLS material is checked twice: in Validate when it is a plain string, and when its output resolves
// (it usually comes from the PKI's resources). A malformed key or certificate fails the deployment before
// anything reaches the host. Messages never quote the key.

// checkCertPEM accepts one or more parseable CERTIFICATE blocks and nothing else.
func checkCertPEM(what, s string) error {
	rest := []byte(s)
	n := 0
	for {
		block, r := pem.Decode(rest)
		if block == nil {
			break
		}
		rest = r
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("hoodcloud:vaultTls: expected the %s as PEM CERTIFICATE blocks, found a %q block", what, block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("hoodcloud:vaultTls: expected the %s as PEM CERTIFICATE blocks, found one that does not parse: %v", what, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("hoodcloud:vaultTls: expected the %s as PEM CERTIFICATE blocks, found no PEM block", what)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return fmt.Errorf("hoodcloud:vaultTls: expected the %s as PEM CERTIFICATE blocks, found trailing non-PEM text", what)
	}
	return nil
}

// checkKeyPEM accepts exactly one parseable private key block (PKCS#8, PKCS#1 or SEC 1).
func checkKeyPEM(s string) error {
	const want = "hoodcloud:vaultTls: expected the TLS key as one PEM private key block"
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		return fmt.Errorf("%s, found no PEM block", want)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return fmt.Errorf("%s, found more after it", want)
	}
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		_, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		_, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		_, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return fmt.Errorf("%s, found a %q block", want, block.Type)
	}
	if err != nil {
		return fmt.Errorf("%s, found a %s block that does not parse", want, block.Type)
	}
	return nil
}
