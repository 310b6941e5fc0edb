package pki

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Organization is the subject organization of every certificate.
const Organization = "HoodCloud"

// Keys are ECDSA P-256: small, fast, and accepted by Vault, Go's crypto/tls (gRPC) and every client.
const (
	keyAlgorithm = "ECDSA"
	ecdsaCurve   = "P256"
)

// Key usages, as the tls provider's allowed_uses values. Servers sign the handshake and authenticate as
// servers; the client certificate authenticates as a client and nothing else, so it cannot be presented as
// a server; CAs only sign.
var (
	caUses     = []string{"cert_signing", "crl_signing", "digital_signature"}
	serverUses = []string{"digital_signature", "key_encipherment", "server_auth"}
	clientUses = []string{"digital_signature", "client_auth"}
)

// VaultLoopbackIP is in the Vault certificate so that the vault CLI on the Vault host can use
// VAULT_ADDR=https://127.0.0.1:8200.
const VaultLoopbackIP = "127.0.0.1"

// ControlPlaneClientName is the common name of the control plane's client certificate to the payment
// service.
const ControlPlaneClientName = "hoodcloud-control-plane"

// VaultServerName is the name the Vault API is reached by.
func VaultServerName(domain string) string { return "vault." + domain }

// VaultServerDNSNames are the DNS SANs of the Vault certificate: its name, and localhost for the host.
func VaultServerDNSNames(domain string) []string {
	return []string{VaultServerName(domain), "localhost"}
}

// PaymentServerName is the payment service's gRPC name.
func PaymentServerName(domain string) string { return "payment." + domain }

// AgentGatewayName is the name agents dial the gateway by.
func AgentGatewayName(domain string) string { return "agents." + domain }

// ipSANs is the addresses as IP SANs: each checked and canonical, in input order without repeats, extra
// appended. An address that does not parse (a /64 network passed for an address) fails the registration
// that uses it instead of producing a certificate no peer accepts.
func ipSANs(in pulumi.StringArrayInput, extra ...string) pulumi.StringArrayOutput {
	return in.ToStringArrayOutput().ApplyT(func(ips []string) ([]string, error) {
		seen := map[netip.Addr]bool{}
		out := make([]string, 0, len(ips)+len(extra))
		for _, s := range append(append([]string(nil), ips...), extra...) {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("hoodcloud:pki: expected an IP address for a certificate, found %q", s)
			}
			if a = a.Unmap(); !seen[a] {
				seen[a] = true
				out = append(out, a.String())
			}
		}
		return out, nil
	}).(pulumi.StringArrayOutput)
}
