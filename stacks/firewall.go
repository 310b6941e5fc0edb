package stacks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/components/hcloudaddress"
	"github.com/hoodcloud/infra/components/hcloudhost"
	"github.com/hoodcloud/infra/internal/platform"
)

// World is every address: the sources of a public port.
var World = []string{"0.0.0.0/0", "::/0"}

// firewallRules derives one host's inbound rules from the Port Reference: SSH from adminCidrs, the public
// ports of the roles it hosts, and peer ports from the servers hosting the peer roles. A peer port whose
// peers all live on the same host collapses (staging): the traffic never leaves the server.
func firewallRules(topo Topology, host HostPlan, addrs map[string]*hcloudaddress.Address, adminCIDRs []string) []hcloudhost.FirewallRule {
	rules := []hcloudhost.FirewallRule{{
		Port: platform.SSHPort, Description: "SSH (operators)", Sources: pulumi.ToStringArray(adminCIDRs),
	}}
	for _, e := range platform.EntriesFor(host.Roles) {
		if !e.Public() {
			continue
		}
		switch e.Exposure {
		case platform.World:
			rules = append(rules, hcloudhost.FirewallRule{Port: e.Port, Description: e.Service + " (public)",
				Sources: pulumi.ToStringArray(World)})
		case platform.Admin:
			rules = append(rules, hcloudhost.FirewallRule{Port: e.Port, Description: e.Service + " (operators)",
				Sources: pulumi.ToStringArray(adminCIDRs)})
		case platform.Peer:
			sources := pulumi.StringArray{}
			var peers []string
			for _, from := range e.From {
				peer := topo.HostOf(from)
				if peer.Name == host.Name || slices.Contains(peers, peer.Name) {
					continue
				}
				peers = append(peers, peer.Name)
				sources = append(sources, addrs[peer.Name].CIDRs()...)
			}
			if e.AlsoAdmin {
				sources = append(sources, pulumi.ToStringArray(adminCIDRs)...)
				peers = append(peers, "operators")
			}
			if len(sources) == 0 {
				continue
			}
			rules = append(rules, hcloudhost.FirewallRule{Port: e.Port,
				Description: fmt.Sprintf("%s (from %s)", e.Service, strings.Join(peers, ", ")), Sources: sources})
		}
	}
	return rules
}
