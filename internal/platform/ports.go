package platform

// Exposure says who may reach a port from outside its server.
type Exposure int

const (
	// Loopback ports bind 127.0.0.1 and are never opened in a firewall.
	Loopback Exposure = iota
	// World ports are open to every address.
	World
	// Peer ports are open only to the servers hosting the Entry's From roles; on a server that hosts those
	// roles itself the rule collapses (the traffic never leaves the host).
	Peer
	// Admin ports are open only to the operators' adminCidrs.
	Admin
)

// Entry is one row of the Port Reference: a port a role's containers publish and who may reach it.
type Entry struct {
	Role     Role
	Port     int
	Bind     string
	Service  string
	Exposure Exposure
	// From lists the roles that may reach a Peer port (and, for Vault, the roles that read secrets).
	From []Role
	// AlsoAdmin opens a Peer port to adminCidrs as well (operators run `vault operator` from there).
	AlsoAdmin bool
}

// Public reports whether the port binds all interfaces, i.e. is reachable from outside the host at all.
func (e Entry) Public() bool { return e.Bind == "0.0.0.0" }

// PortReference is the guide's Port Reference table, plus Vault's API port which the guide's Vault
// Operations page adds. Order follows the guide.
var PortReference = []Entry{
	{Role: ControlPlane, Port: 80, Bind: "0.0.0.0", Service: "Caddy", Exposure: World},
	{Role: ControlPlane, Port: 443, Bind: "0.0.0.0", Service: "Caddy", Exposure: World},
	{Role: ControlPlane, Port: 9090, Bind: "0.0.0.0", Service: "Agent Gateway (gRPC, mTLS)", Exposure: World},
	{Role: ControlPlane, Port: 4223, Bind: "0.0.0.0", Service: "NATS (external)", Exposure: Peer, From: []Role{Payment}},
	{Role: ControlPlane, Port: 8080, Bind: "127.0.0.1", Service: "API Server", Exposure: Loopback},
	{Role: ControlPlane, Port: 8082, Bind: "127.0.0.1", Service: "Auth Server", Exposure: Loopback},
	{Role: ControlPlane, Port: 5432, Bind: "127.0.0.1", Service: "PostgreSQL", Exposure: Loopback},
	{Role: ControlPlane, Port: 6379, Bind: "127.0.0.1", Service: "Redis", Exposure: Loopback},
	{Role: ControlPlane, Port: 7233, Bind: "127.0.0.1", Service: "Temporal", Exposure: Loopback},
	{Role: ControlPlane, Port: 8088, Bind: "127.0.0.1", Service: "Temporal UI", Exposure: Loopback},
	{Role: ControlPlane, Port: 4222, Bind: "127.0.0.1", Service: "NATS (internal, TLS)", Exposure: Loopback},
	{Role: ControlPlane, Port: 3000, Bind: "127.0.0.1", Service: "Grafana", Exposure: Loopback},
	{Role: ControlPlane, Port: 8428, Bind: "127.0.0.1", Service: "Victoria Metrics", Exposure: Loopback},
	{Role: ControlPlane, Port: 9091, Bind: "127.0.0.1", Service: "Prometheus", Exposure: Loopback},
	{Role: ControlPlane, Port: 3100, Bind: "127.0.0.1", Service: "Loki", Exposure: Loopback},
	{Role: ControlPlane, Port: 8081, Bind: "127.0.0.1", Service: "Gatus", Exposure: Loopback},
	{Role: Payment, Port: 50051, Bind: "0.0.0.0", Service: "gRPC Server (mTLS)", Exposure: Peer, From: []Role{ControlPlane}},
	{Role: Payment, Port: 8085, Bind: "127.0.0.1", Service: "HTTP health check", Exposure: Loopback},
	{Role: Payment, Port: 5433, Bind: "127.0.0.1", Service: "PostgreSQL (payment)", Exposure: Loopback},
	{Role: Vault, Port: 8200, Bind: "0.0.0.0", Service: "Vault API (TLS)", Exposure: Peer, From: []Role{ControlPlane, Payment}, AlsoAdmin: true},
}

// SSHPort is opened to adminCidrs on every server; it is not part of the guide's table.
const SSHPort = 22

// EntriesFor returns the Port Reference rows of the given roles, in table order.
func EntriesFor(roles []Role) []Entry {
	var out []Entry
	for _, e := range PortReference {
		for _, r := range roles {
			if e.Role == r {
				out = append(out, e)
				break
			}
		}
	}
	return out
}
