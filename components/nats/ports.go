package nats

import "fmt"

// Ports (guide Port Reference: 4222 on 127.0.0.1 "NATS (internal, TLS)", 4223 on 0.0.0.0 "NATS
// (external)" for the payment service).
//
// NATS has exactly one client listener, so 4223 is not a second listener in nats.conf: it is a second
// host port that compose publishes onto the same container port. The server listens on ClientPort on
// every interface inside the container; compose publishes it as 127.0.0.1:4222 (services on the host and,
// through the Docker network alias nats.<domain>, containers) and as 0.0.0.0:4223, which the firewall
// opens to the payment server only. Both reach the same TLS listener with the same certificate and the same
// JWT authentication, so nothing about the payment path is weaker or configured twice.
//
// The alternatives were worse: a leafnode listener on 4223 would require the payment service to run its
// own NATS server (leafnodes are server-to-server), and the websocket or MQTT listeners speak other
// protocols than the payment service's NATS client.
const (
	// ClientPort is the server's only client listener (inside the container) and the loopback host port.
	ClientPort = 4222
	// ExternalPort is the host port that compose maps onto ClientPort for the payment service.
	ExternalPort = 4223
	// listenAddress is where the listener binds inside the container.
	listenAddress = "0.0.0.0"
)

// ComposePorts are the `ports:` entries of the NATS service in the control plane's compose file.
func ComposePorts() []string {
	return []string{
		fmt.Sprintf("127.0.0.1:%d:%d", ClientPort, ClientPort),
		fmt.Sprintf("0.0.0.0:%d:%d", ExternalPort, ClientPort),
	}
}
