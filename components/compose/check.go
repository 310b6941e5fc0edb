package compose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/hoodcloud/infra/internal/platform"
)

// CheckBundle loads the layout's compose files from dir with env for interpolation, exactly as
// `docker compose --env-file .env -f …` on the host would, and reports every problem at once:
//
//   - a port the Port Reference marks Loopback for the layout's role, published on anything but 127.0.0.1;
//   - a port published on a public address (0.0.0.0, ::, any non-loopback address, or an ephemeral host
//     port of one) that the Port Reference does not list as public for the role: the firewall does not
//     expect it;
//   - network_mode: host (its ports cannot be checked), images not pinned to a tag or digest;
//   - ${VAR}s the .env does not define;
//   - a layout that does not match the services: unknown names, a service in two phases, a service no
//     phase starts, a migration outside a profile, data or migration depending on applications;
//   - health checks of unknown services, container checks of services without a healthcheck, and
//     loopback HTTP/TCP checks of a port their service does not publish;
//   - an absolute `include` in the NATS configuration (config/nats/*.conf), which nats-server cannot load.
func CheckBundle(dir, project string, l Layout, env map[string]string) error {
	_, err := inspectBundle(dir, project, l, env)
	return err
}

// inspectBundle is CheckBundle that also returns the loaded project (nil when it did not load), for
// the mount labels.
func inspectBundle(dir, project string, l Layout, env map[string]string) (*types.Project, error) {
	if len(l.ComposeFiles) == 0 {
		return nil, errors.New("hoodcloud:bundleDir: expected at least one compose file in the layout, found none")
	}
	details, named, err := bundleFiles(dir, project, l)
	if err != nil {
		return nil, fmt.Errorf("hoodcloud:bundleDir: %w", err)
	}
	details.Environment = types.Mapping(env)
	label := strings.Join(l.ComposeFiles, ", ")

	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("hoodcloud:bundleDir: %s: %s", label, fmt.Sprintf(format, a...)))
	}

	// Variables first: compose substitutes an undefined ${VAR} with "" and carries on, which would
	// deploy an image named "/api:" rather than fail.
	vars, err := bundleVariables(details, named)
	if err != nil {
		return nil, fmt.Errorf("hoodcloud:bundleDir: %s: %w", label, err)
	}
	for _, name := range sortedKeys(vars) {
		if _, ok := env[name]; !ok && vars[name].DefaultValue == "" {
			bad("references ${%s}, which the rendered .env does not define", name)
		}
	}

	p, err := loader.LoadWithContext(context.Background(), details, named, loader.WithProfiles([]string{"*"}))
	if err != nil {
		return nil, errors.Join(append(errs, fmt.Errorf("hoodcloud:bundleDir: %s: %w", label, err))...)
	}
	services := p.AllServices()
	for _, name := range sortedKeys(services) {
		for _, msg := range checkService(services[name], l.Role) {
			bad("service %q %s", name, msg)
		}
	}
	for _, msg := range checkLayout(services, l) {
		bad("%s", msg)
	}
	for _, msg := range checkNATSIncludes(details.WorkingDir) {
		errs = append(errs, fmt.Errorf("hoodcloud:bundleDir: %s", msg))
	}
	return p, errors.Join(errs...)
}

// checkService applies the per-service rules: ports, network mode, image pinning.
func checkService(s types.ServiceConfig, role platform.Role) []string {
	var out []string
	if s.NetworkMode == "host" {
		out = append(out, "uses network_mode: host, which publishes every port it listens on: the Port Reference cannot be enforced (rule: no host networking)")
	}
	if why := unpinned(s); why != "" {
		out = append(out, why)
	}
	entries := platform.EntriesFor([]platform.Role{role})
	for _, port := range s.Ports {
		out = append(out, checkPort(port, role, entries)...)
	}
	return out
}

// checkPort applies the two Port Reference rules to one published port.
func checkPort(port types.ServicePortConfig, role platform.Role, entries []platform.Entry) []string {
	where := port.HostIP
	if where == "" {
		where = "0.0.0.0 (all interfaces)"
	}
	public := !isLoopback(port.HostIP)
	if port.Published == "" {
		if public {
			return []string{fmt.Sprintf("publishes container port %d on an ephemeral port of %s, which the firewall of role %s does not expect (rule: public ports must be in the Port Reference)",
				port.Target, where, role)}
		}
		return nil
	}
	hostPorts, err := portRange(port.Published)
	if err != nil {
		return []string{fmt.Sprintf("publishes %q: %v", port.Published, err)}
	}
	var out []string
	for _, n := range hostPorts {
		e, listed := entryFor(entries, n)
		switch {
		case listed && e.Exposure == platform.Loopback && port.HostIP != e.Bind:
			out = append(out, fmt.Sprintf("publishes port %d on %s, but the Port Reference marks port %d (%s) Loopback for role %s: it must bind %s (rule: loopback ports bind 127.0.0.1)",
				n, where, n, e.Service, role, e.Bind))
		case public && !(listed && e.Public()):
			out = append(out, fmt.Sprintf("publishes port %d on %s, a public address, but the firewall of role %s does not expect it (public ports: %s) (rule: public ports must be in the Port Reference)",
				n, where, role, publicPorts(entries)))
		}
	}
	return out
}

// isLoopback reports whether a host IP binds only the host itself; "" (docker's default) binds all.
func isLoopback(hostIP string) bool {
	ip := net.ParseIP(strings.Trim(hostIP, "[]"))
	return ip != nil && ip.IsLoopback()
}

func portRange(published string) ([]int, error) {
	lo, hi, isRange := strings.Cut(published, "-")
	a, err := strconv.Atoi(lo)
	if err != nil {
		return nil, fmt.Errorf("expected a port or port range, found %q", published)
	}
	b := a
	if isRange {
		if b, err = strconv.Atoi(hi); err != nil || b < a {
			return nil, fmt.Errorf("expected a port range low-high, found %q", published)
		}
	}
	if a < 1 || b > 65535 {
		return nil, fmt.Errorf("expected ports between 1 and 65535, found %q", published)
	}
	out := make([]int, 0, b-a+1)
	for n := a; n <= b; n++ {
		out = append(out, n)
	}
	return out, nil
}

func entryFor(entries []platform.Entry, port int) (platform.Entry, bool) {
	for _, e := range entries {
		if e.Port == port {
			return e, true
		}
	}
	return platform.Entry{}, false
}

func publicPorts(entries []platform.Entry) string {
	var ports []string
	for _, e := range entries {
		if e.Public() {
			ports = append(ports, strconv.Itoa(e.Port))
		}
	}
	if len(ports) == 0 {
		return "none"
	}
	return strings.Join(ports, ", ")
}

// unpinned says why a service's image is not pinned, or "": the host builds nothing and must run the
// same image on every deploy of the same bundle.
func unpinned(s types.ServiceConfig) string {
	if s.Image == "" {
		return "has no image (the host builds nothing): expected an image pinned by tag or digest (rule: pinned images)"
	}
	if strings.Contains(s.Image, "@sha256:") {
		return ""
	}
	name := s.Image[strings.LastIndex(s.Image, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	switch {
	case !ok || tag == "":
		return fmt.Sprintf("uses image %q without a tag: expected an image pinned by tag or digest (rule: pinned images)", s.Image)
	case tag == "latest":
		return fmt.Sprintf("uses image %q: expected an image pinned by tag or digest, found the moving tag latest (rule: pinned images)", s.Image)
	}
	return ""
}

// checkLayout checks the layout against the services: every phase names existing services, each service
// is in one phase, every service `up` would start is in one, the migration is only started by `run`,
// and neither data nor migration pull applications up with them.
func checkLayout(services types.Services, l Layout) []string {
	var out []string
	phase := map[string]string{}
	assign := func(kind string, names []string) {
		for _, n := range names {
			if _, ok := services[n]; !ok {
				out = append(out, fmt.Sprintf("%s service %q: expected a service of the compose files, found none (services: %s)",
					kind, n, strings.Join(sortedKeys(services), ", ")))
				continue
			}
			if prev, ok := phase[n]; ok {
				out = append(out, fmt.Sprintf("service %q: expected in one phase, found it as %s and %s service", n, prev, kind))
				continue
			}
			phase[n] = kind
		}
	}
	assign("data", l.DataServices)
	if l.MigrateService != "" {
		assign("migrate", []string{l.MigrateService})
	}
	assign("application", l.AppServices)

	if m, ok := services[l.MigrateService]; ok && len(m.Profiles) == 0 {
		out = append(out, fmt.Sprintf("migrate service %q: expected a compose profile so that `docker compose up` never starts it, found none", l.MigrateService))
	}
	for _, n := range sortedKeys(services) {
		if _, ok := phase[n]; !ok && len(services[n].Profiles) == 0 {
			out = append(out, fmt.Sprintf("service %q: expected it among the data or application services, found it in neither: no deploy phase would start it", n))
		}
	}
	for _, n := range append(append([]string(nil), l.DataServices...), l.MigrateService) {
		s, ok := services[n]
		if !ok {
			continue
		}
		for _, dep := range sortedKeys(s.DependsOn) {
			if phase[dep] != "data" {
				out = append(out, fmt.Sprintf("%s service %q depends on %q, which is not a data service: it would start before the migration succeeded",
					phase[n], n, dep))
			}
		}
	}
	for _, h := range l.Health {
		out = append(out, checkHealth(services, h)...)
	}
	return out
}

// checkHealth checks one health check against its service.
func checkHealth(services types.Services, h HealthCheck) []string {
	s, ok := services[h.Service]
	if !ok {
		return []string{fmt.Sprintf("health check %q: expected a service of the compose files, found none", h.String())}
	}
	host, port, err := h.endpoint()
	if err != nil {
		return []string{fmt.Sprintf("health check %q: %v", h.String(), err)}
	}
	if h.Kind == ContainerHealthy {
		if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0 || s.HealthCheck.Test[0] == "NONE" {
			return []string{fmt.Sprintf("health check %q: expected service %q to define a compose healthcheck, found none", h.String(), h.Service)}
		}
		return nil
	}
	if !isLoopback(host) && host != "localhost" {
		return nil
	}
	for _, p := range s.Ports {
		ports, err := portRange(p.Published)
		if err != nil || (p.HostIP != "" && !isLoopback(p.HostIP) && p.HostIP != "0.0.0.0") {
			continue
		}
		for _, n := range ports {
			if n == port {
				return nil
			}
		}
	}
	return []string{fmt.Sprintf("health check %q: expected service %q to publish port %d on the host, found no such port", h.String(), h.Service, port)}
}
