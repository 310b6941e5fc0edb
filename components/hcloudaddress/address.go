// Package hcloudaddress reserves a server's public addresses as Hetzner primary IPs, apart from the server,
// so that DNS records survive a server rebuild or replacement, and so that firewall rules of one server can
// name another server's addresses without a dependency cycle between the two servers.
package hcloudaddress

import (
	"errors"
	"strings"

	"github.com/pulumi/pulumi-hcloud/sdk/go/hcloud"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/hetznerid"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:hetzner:Address"

// Args configures the addresses.
type Args struct {
	// ResourceName is the Hetzner-side name prefix (hoodcloud-prod-payment).
	ResourceName string
	Location     string
	Protect      bool
	Labels       map[string]string
}

// Validate reports every problem at once.
func (a *Args) Validate() error {
	var errs []error
	if a.ResourceName == "" {
		errs = append(errs, errors.New("hoodcloud:address: expected a resource name, found none"))
	}
	if a.Location == "" {
		errs = append(errs, errors.New("hoodcloud:location: expected a Hetzner location, found none"))
	}
	return errors.Join(errs...)
}

// Address is a server's stable IPv4 and IPv6.
type Address struct {
	pulumi.ResourceState

	IPv4ID      pulumi.IntOutput
	IPv6ID      pulumi.IntOutput
	IPv4        pulumi.StringOutput
	IPv6        pulumi.StringOutput // the server's own address: ::1 of its /64
	IPv6Network pulumi.StringOutput
}

// CIDRs returns the addresses as firewall sources: the IPv4 /32 and the IPv6 /64.
func (a *Address) CIDRs() pulumi.StringArray {
	return pulumi.StringArray{pulumi.Sprintf("%s/32", a.IPv4), a.IPv6Network}
}

// New reserves the addresses.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Address, error) {
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	a := &Address{}
	if err := component.Register(ctx, TypeToken, name, a, opts...); err != nil {
		return nil, err
	}
	newIP := func(family string) (*hcloud.PrimaryIp, error) {
		return hcloud.NewPrimaryIp(ctx, name+"-"+family, &hcloud.PrimaryIpArgs{
			Name:             pulumi.String(args.ResourceName + "-" + family),
			Type:             pulumi.String(family),
			AutoDelete:       pulumi.Bool(false),
			Location:         pulumi.String(args.Location),
			DeleteProtection: pulumi.Bool(args.Protect),
			Labels:           pulumi.ToStringMap(args.Labels),
		}, component.Child(a, pulumi.Protect(args.Protect))...)
	}
	v4, err := newIP("ipv4")
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	v6, err := newIP("ipv6")
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	a.IPv4ID = hetznerid.Int(v4.ID())
	a.IPv6ID = hetznerid.Int(v6.ID())
	a.IPv4 = v4.IpAddress
	a.IPv6Network = v6.IpNetwork
	a.IPv6 = v6.IpNetwork.ApplyT(func(n string) string {
		return strings.TrimSuffix(n, "/64") + "1"
	}).(pulumi.StringOutput)
	return a, component.Finish(ctx, TypeToken, name, a, pulumi.Map{
		"ipv4": a.IPv4, "ipv6": a.IPv6, "ipv6Network": a.IPv6Network,
	})
}
