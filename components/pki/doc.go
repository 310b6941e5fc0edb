// Package pki is the platform's private PKI (guide Parts 1b, 2.3 and 3.2, which ran
// generate-vault-certs.sh and the payment mTLS script by hand): three independent certificate authorities
// and the leaf certificates signed by them, all generated in the graph with the tls provider.
//
//   - Vault: the Vault API (8200) serves a certificate for the Vault host's addresses, vault.<domain>,
//     localhost and 127.0.0.1 (the CLI on the host talks to the loopback address).
//   - Payment mTLS: the payment service's gRPC server (50051) and the control plane's client certificate,
//     both signed by the payment CA, so each side verifies the other against that CA alone.
//   - Agent gateway mTLS (9090): the gateway's server certificate; agents' client certificates are issued
//     elsewhere from AgentGatewayCAPEM and AgentGatewayCAKeyPEM.
//
// Three separate CAs keep the trust domains apart: a certificate that opens Vault's TLS says nothing to the
// payment service, and a leaked agent credential cannot impersonate the control plane to it.
//
// Rotation needs no operator: leaves live LeafValidityHours (90 days) and carry early_renewal_hours, so any
// `pulumi up` in their last RenewBeforeHours (30 days) replaces them; FileHashes change exactly then and
// the consumers that ship the files (FilesFor) redeploy. CAs live ten years and are protected in prod.
// Private keys exist only as tls resources' secret outputs and reach hosts only through secret inputs.
package pki
