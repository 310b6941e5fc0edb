package hcloudhost

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-hcloud/sdk/go/hcloud"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
)

// FirewallRule opens one TCP port to a set of sources. Which rules exist is plain data (decided by the
// topology and the Port Reference); the sources may be outputs (another server's addresses).
type FirewallRule struct {
	Port        int
	Description string
	Sources     pulumi.StringArrayInput
}

func validateRules(rules []FirewallRule) []error {
	var errs []error
	seen := map[int]bool{}
	for i, r := range rules {
		if r.Port < 1 || r.Port > 65535 {
			errs = append(errs, fmt.Errorf("hoodcloud:firewall[%d]: expected a TCP port 1-65535, found %d", i, r.Port))
		}
		if seen[r.Port] {
			errs = append(errs, fmt.Errorf("hoodcloud:firewall[%d]: expected one rule per port, found port %d twice", i, r.Port))
		}
		seen[r.Port] = true
		if r.Sources == nil {
			errs = append(errs, fmt.Errorf("hoodcloud:firewall[%d]: expected sources for port %d, found none", i, r.Port))
		}
	}
	return errs
}

// newFirewall creates the inbound rules; everything not listed is dropped (Hetzner firewalls are
// default-deny inbound once attached). Outbound stays open: hosts pull packages and images.
func newFirewall(ctx *pulumi.Context, h *Host, name, resourceName string, rules []FirewallRule, labels map[string]string) (*hcloud.Firewall, error) {
	fwRules := hcloud.FirewallRuleArray{}
	for _, r := range rules {
		fwRules = append(fwRules, hcloud.FirewallRuleArgs{
			Direction:   pulumi.String("in"),
			Protocol:    pulumi.String("tcp"),
			Port:        pulumi.String(strconv.Itoa(r.Port)),
			SourceIps:   r.Sources,
			Description: pulumi.String(r.Description),
		})
	}
	return hcloud.NewFirewall(ctx, name+"-fw", &hcloud.FirewallArgs{
		Name:   pulumi.String(resourceName),
		Rules:  fwRules,
		Labels: pulumi.ToStringMap(labels),
	}, component.Child(h)...)
}
