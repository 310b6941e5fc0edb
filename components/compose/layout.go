package compose

import "github.com/hoodcloud/infra/internal/platform"

// Layout is how a bundle's compose project is deployed: its files, which services are data, migration
// and applications, and the health matrix verified after every deploy.
type Layout struct {
	// Role is the platform role whose Port Reference rows the bundle's published ports are checked
	// against (the firewall of the host opens the public ones for this role).
	Role platform.Role
	// ComposeFiles are the compose files, relative to the bundle directory, in `-f` order.
	ComposeFiles []string
	// DataServices start first and must be healthy before the migration runs.
	DataServices []string
	// MigrateService is run with `docker compose run --rm` after the data services; it must be in a
	// compose profile so that `up` never starts it. Empty means no migration.
	MigrateService string
	// AppServices start only after a successful migration.
	AppServices []string
	// Health is the Service Health Matrix verified after the application services are up.
	Health []HealthCheck
}

// ControlPlane is the layout of the control plane bundle (docker-compose.yml).
func ControlPlane() Layout {
	return Layout{
		Role:           platform.ControlPlane,
		ComposeFiles:   []string{"docker-compose.yml"},
		DataServices:   []string{"postgres", "redis", "nats"},
		MigrateService: "migrate",
		AppServices: []string{"temporal", "temporal-ui", "api", "auth", "orchestrator", "agent-gateway",
			"victoria-metrics", "prometheus", "loki", "grafana", "gatus", "caddy"},
		Health: []HealthCheck{
			Container("postgres"),
			Container("redis"),
			Container("nats"),
			TCP("nats", "127.0.0.1:4222"),
			Container("temporal"),
			TCP("temporal", "127.0.0.1:7233"),
			HTTP("temporal-ui", "http://127.0.0.1:8088/"),
			Container("api"),
			HTTP("api", "http://127.0.0.1:8080/health"),
			Container("auth"),
			HTTP("auth", "http://127.0.0.1:8082/health"),
			Container("orchestrator"),
			Container("agent-gateway"),
			TCP("agent-gateway", "127.0.0.1:9090"),
			HTTP("victoria-metrics", "http://127.0.0.1:8428/health"),
			HTTP("prometheus", "http://127.0.0.1:9091/-/healthy"),
			HTTP("loki", "http://127.0.0.1:3100/ready"),
			Container("grafana"),
			HTTP("grafana", "http://127.0.0.1:3000/api/health"),
			HTTP("gatus", "http://127.0.0.1:8081/health"),
			Container("caddy"),
			TCP("caddy", "127.0.0.1:443"),
		},
	}
}

// Payment is the layout of the payment bundle (docker-compose.payment.yml).
func Payment() Layout {
	return Layout{
		Role:           platform.Payment,
		ComposeFiles:   []string{"docker-compose.payment.yml"},
		DataServices:   []string{"payment-postgres"},
		MigrateService: "payment-migrate",
		AppServices:    []string{"payment"},
		Health: []HealthCheck{
			Container("payment-postgres"),
			Container("payment"),
			HTTP("payment", "http://127.0.0.1:8085/health"),
			TCP("payment", "127.0.0.1:50051"),
		},
	}
}
