// Package platform describes the HoodCloud platform itself, independent of any cloud: the roles a server can
// play and the guide's Port Reference. Both the firewall and the compose-bundle checks read it, so the two can
// never disagree about which port is public.
package platform

// Role is a part of the platform that a server hosts. One server may host several roles (staging hosts all).
type Role string

const (
	// ControlPlane runs orchestration, API, auth, NATS, monitoring (docker-compose.yml).
	ControlPlane Role = "control-plane"
	// Payment runs the isolated payment service (docker-compose.payment.yml).
	Payment Role = "payment"
	// Vault runs the secrets provider (docker-compose.vault.yml, profile vault-prod).
	Vault Role = "vault"
)

// AllRoles lists every role in a fixed order, so that loops over roles are deterministic.
var AllRoles = []Role{ControlPlane, Payment, Vault}
