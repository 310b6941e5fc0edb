package nats

import (
	"testing"

	"github.com/hoodcloud/infra/components/pki"
)

// TestPathsAgree: the deploy hook writes where nats.conf reads, and the wrapper reads Vault's CA where the
// PKI installs it on the control plane.
func TestPathsAgree(t *testing.T) {
	if hostLayout.TLSDir != TLSDir || ContainerTLSDir+"/fullchain.pem" != TLSCertFile || ContainerTLSDir+"/privkey.pem" != TLSKeyFile {
		t.Errorf("deploy hook directory %s (mounted at %s) vs config %s %s", hostLayout.TLSDir, ContainerTLSDir, TLSCertFile, TLSKeyFile)
	}
	if DefaultVaultCACert != pki.SecretsDir+"/vault/ca.crt" {
		t.Errorf("Vault CA %s, the PKI installs %s", DefaultVaultCACert, pki.SecretsDir+"/vault/ca.crt")
	}
}
