package compose

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// CheckKind is what a health check expects of a service.
type CheckKind string

const (
	// ContainerHealthy expects every container of the service running and its compose healthcheck healthy.
	ContainerHealthy CheckKind = "container"
	// HTTPOK expects HTTP 200 from Target, a URL reached from the host.
	HTTPOK CheckKind = "http"
	// TCPOpen expects Target, a host:port reached from the host, to accept a connection.
	TCPOpen CheckKind = "tcp"
)

// HealthCheck is one row of the Service Health Matrix: a service, a check and its expectation.
type HealthCheck struct {
	Service string
	Kind    CheckKind
	// Target is the URL (HTTPOK) or host:port (TCPOpen); empty for ContainerHealthy.
	Target string
}

// Container, HTTP and TCP build the three kinds of checks.
func Container(service string) HealthCheck {
	return HealthCheck{Service: service, Kind: ContainerHealthy}
}

// HTTP expects a 200 from url.
func HTTP(service, url string) HealthCheck {
	return HealthCheck{Service: service, Kind: HTTPOK, Target: url}
}

// TCP expects hostPort to accept a connection.
func TCP(service, hostPort string) HealthCheck {
	return HealthCheck{Service: service, Kind: TCPOpen, Target: hostPort}
}

func (h HealthCheck) String() string {
	if h.Target == "" {
		return fmt.Sprintf("%s: %s healthy", h.Service, h.Kind)
	}
	return fmt.Sprintf("%s: %s %s", h.Service, h.Kind, h.Target)
}

// endpoint returns the host and port a check reaches, or an error naming what is wrong with its target.
func (h HealthCheck) endpoint() (host string, port int, err error) {
	switch h.Kind {
	case ContainerHealthy:
		if h.Target != "" {
			return "", 0, fmt.Errorf("expected no target for a container check, found %q", h.Target)
		}
		return "", 0, nil
	case HTTPOK:
		u, perr := url.Parse(h.Target)
		if perr != nil || u.Scheme != "http" || u.Host == "" || u.Port() == "" {
			return "", 0, fmt.Errorf("expected an http://host:port/path URL, found %q", h.Target)
		}
		host = u.Hostname()
		port, err = strconv.Atoi(u.Port())
	case TCPOpen:
		var p string
		host, p, err = net.SplitHostPort(h.Target)
		if err == nil {
			port, err = strconv.Atoi(p)
		}
	default:
		return "", 0, fmt.Errorf("expected check kind container, http or tcp, found %q", h.Kind)
	}
	if err != nil || port < 1 || port > 65535 || host == "" {
		return "", 0, fmt.Errorf("expected a host and port in %q", h.Target)
	}
	return host, port, nil
}
