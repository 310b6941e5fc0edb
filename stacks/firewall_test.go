package stacks_test

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoodcloud/infra/internal/testkit"
)

// The guide's Port Reference, written here once more as the test's own data: the public part of the table
// is what the firewalls must open, and nothing else. Internal (127.0.0.1) ports must never appear.
var guidePublicPorts = map[string][]int{
	"control-plane": {80, 443, 9090, 4223},
	"payment":       {50051},
}

var guideInternalPorts = []int{8080, 8082, 5432, 6379, 7233, 8088, 4222, 3000, 8428, 9091, 3100, 8081, 8085, 5433}

// fwRules maps port → sorted sources of a firewall registration.
func fwRules(t *testing.T, r *run, name string) map[int][]string {
	t.Helper()
	fw, ok := r.rec.Named("hcloud:index/firewall:Firewall", name)
	if !ok {
		t.Fatalf("no firewall %q", name)
	}
	out := map[int][]string{}
	for _, rule := range plain(fw.Inputs["rules"]).ArrayValue() {
		m := plain(rule).ObjectValue()
		if str(m, "direction") != "in" || str(m, "protocol") != "tcp" {
			t.Errorf("%s: rule %v is not inbound tcp", name, m)
		}
		port, err := strconv.Atoi(str(m, "port"))
		if err != nil {
			t.Fatalf("%s: port %q: %v", name, str(m, "port"), err)
		}
		if _, dup := out[port]; dup {
			t.Errorf("%s: port %d has two rules", name, port)
		}
		out[port] = strs(m["sourceIps"])
	}
	return out
}

func addrCIDRs(host string) []string {
	return []string{testkit.FakeIPv4(host+"-address-ipv4") + "/32", testkit.FakeIPv6Network(host + "-address-ipv6")}
}

func TestFirewallsMatchThePortReference(t *testing.T) {
	world := []string{"0.0.0.0/0", "::/0"}
	prodAdmin := sorted([]string{"198.51.100.0/28", "2001:db8:ad::/48"})
	stagingAdmin := []string{"198.51.100.0/28"}
	cases := map[string]map[string]map[int][]string{
		"prod": {
			"control-plane-fw": {
				22: prodAdmin, 80: world, 443: world, 9090: world,
				4223: sorted(addrCIDRs("payment")),
				8200: sorted(append(addrCIDRs("payment"), prodAdmin...)),
			},
			"payment-fw": {22: prodAdmin, 50051: sorted(addrCIDRs("control-plane"))},
		},
		"staging": {
			// One server: 4223 and 50051 never leave the host, so they are not opened; Vault is for operators.
			"all-in-one-fw": {22: stagingAdmin, 80: world, 443: world, 9090: world, 8200: stagingAdmin},
		},
	}
	for stack, fws := range cases {
		r := runStack(t, stack)
		for fw, want := range fws {
			got := fwRules(t, r, fw)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s %s (-want +got):\n%s", stack, fw, d)
			}
			for _, p := range guideInternalPorts {
				if _, open := got[p]; open {
					t.Errorf("%s %s opens internal port %d", stack, fw, p)
				}
			}
		}
	}
	// The guide's public ports are all covered by the prod firewalls.
	r := runStack(t, "prod")
	for host, ports := range guidePublicPorts {
		got := fwRules(t, r, host+"-fw")
		for _, p := range ports {
			if _, ok := got[p]; !ok {
				t.Errorf("prod %s: guide public port %d not opened", host, p)
			}
		}
	}
}

// Servers are attached to their own firewall and to their own reserved addresses.
func TestServersUseTheirFirewallAndAddresses(t *testing.T) {
	r := runStack(t, "prod")
	for _, host := range []string{"control-plane", "payment"} {
		s, ok := r.rec.Named("hcloud:index/server:Server", host+"-server")
		if !ok {
			t.Fatalf("no server %s", host)
		}
		fw, _ := r.rec.Named("hcloud:index/firewall:Firewall", host+"-fw")
		v4, _ := r.rec.Named("hcloud:index/primaryIp:PrimaryIp", host+"-address-ipv4")
		if !r.rec.DependsOn(s, fw.URN) || !r.rec.DependsOn(s, v4.URN) {
			t.Errorf("%s: server does not depend on its firewall and IPv4", host)
		}
		if got := s.Inputs["name"].StringValue(); got != "hoodcloud-prod-"+host {
			t.Errorf("%s: server name %q", host, got)
		}
		if pg, ok := r.rec.Named("hcloud:index/placementGroup:PlacementGroup", "hetzner-spread"); !ok || !r.rec.DependsOn(s, pg.URN) {
			t.Errorf("%s: prod server not in the spread placement group", host)
		}
	}
	if _, ok := runStack(t, "staging").rec.Named("hcloud:index/placementGroup:PlacementGroup", "hetzner-spread"); ok {
		t.Error("staging has a placement group for its single server")
	}
}
