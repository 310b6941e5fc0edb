package stacks

import (
	"sort"

	"github.com/hoodcloud/infra/internal/platform"
)

// TopologyKind names a server layout.
type TopologyKind string

const (
	// TwoServer is production: the control plane (with Vault) and the isolated payment service each on their
	// own server, talking gRPC+mTLS on 50051 and NATS on 4223.
	TwoServer TopologyKind = "two-server"
	// SingleServer is staging: one server hosts every role; cross-server firewall rules collapse.
	SingleServer TopologyKind = "single-server"
)

// HostPlan is one server of a topology and the roles it hosts.
type HostPlan struct {
	// Name is the server's logical name; it prefixes every resource of the server and never changes,
	// because renaming it would replace the server.
	Name  string
	Roles []platform.Role
}

// Topology is the list of servers of a stack.
type Topology struct {
	Kind  TopologyKind
	Hosts []HostPlan
}

var topologies = map[TopologyKind][]HostPlan{
	TwoServer: {
		{Name: "control-plane", Roles: []platform.Role{platform.ControlPlane, platform.Vault}},
		{Name: "payment", Roles: []platform.Role{platform.Payment}},
	},
	SingleServer: {
		{Name: "all-in-one", Roles: []platform.Role{platform.ControlPlane, platform.Payment, platform.Vault}},
	},
}

func topologyNames() []string {
	var out []string
	for k := range topologies {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}

// NewTopology returns the layout of a validated kind. vaultHost, when set, moves the Vault role to that
// server (by default Vault lives with the control plane).
func NewTopology(kind TopologyKind, vaultHost string) Topology {
	var hosts []HostPlan
	for _, h := range topologies[kind] {
		var roles []platform.Role
		for _, r := range h.Roles {
			if r != platform.Vault || vaultHost == "" {
				roles = append(roles, r)
			}
		}
		if h.Name == vaultHost {
			roles = append(roles, platform.Vault)
		}
		hosts = append(hosts, HostPlan{Name: h.Name, Roles: roles})
	}
	return Topology{Kind: kind, Hosts: hosts}
}

// HostOf returns the host that hosts role. Every topology hosts every role exactly once.
func (t Topology) HostOf(role platform.Role) HostPlan {
	for _, h := range t.Hosts {
		if h.Hosts(role) {
			return h
		}
	}
	return HostPlan{}
}

// Hosts reports whether the host hosts role.
func (h HostPlan) Hosts(role platform.Role) bool {
	for _, r := range h.Roles {
		if r == role {
			return true
		}
	}
	return false
}
