package hcloudhost

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi-hcloud/sdk/go/hcloud"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/hetznerid"
	"github.com/hoodcloud/infra/internal/remotestep"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:hetzner:Host"

// Dial settings of every remote step: a new server boots, runs cloud-init and restarts sshd with its
// pinned host key, which takes a few minutes; DialErrorLimit × PerDialTimeout covers that with margin.
const (
	DialErrorLimit = 60
	PerDialTimeout = 10
)

var serverNameRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Args configures one server.
type Args struct {
	// ServerName is the Hetzner-side name (hoodcloud-prod-payment); it is also the hostname.
	ServerName string
	ServerType string
	Image      string
	Location   string
	Backups    bool
	Protect    bool
	Labels     map[string]string

	// IPv4ID and IPv6ID are the server's reserved primary IPs; IPv4 is the address remote steps dial.
	IPv4ID pulumi.IntInput
	IPv6ID pulumi.IntInput
	IPv4   pulumi.StringInput

	SSHKeyIDs        pulumi.StringArrayInput
	DeployPrivateKey pulumi.StringInput // secret
	// AuthorizedKeys are the lines of root's authorized_keys, kept by the authorized-keys step.
	AuthorizedKeys   pulumi.StringArrayInput
	PlacementGroupID pulumi.IntPtrInput // nil: none

	Firewall []FirewallRule
}

// Validate reports every problem at once.
func (a *Args) Validate() error {
	var errs []error
	if !serverNameRe.MatchString(a.ServerName) {
		errs = append(errs, fmt.Errorf("hoodcloud:host: expected a server name of lowercase letters, digits and hyphens, found %q", a.ServerName))
	}
	for _, kv := range [][2]string{{"serverType", a.ServerType}, {"image", a.Image}, {"location", a.Location}} {
		if kv[1] == "" {
			errs = append(errs, fmt.Errorf("hoodcloud:%s: expected a value, found none", kv[0]))
		}
	}
	if a.IPv4ID == nil || a.IPv6ID == nil || a.IPv4 == nil {
		errs = append(errs, errors.New("hoodcloud:host: expected reserved primary IPv4 and IPv6, found a missing one"))
	}
	if a.SSHKeyIDs == nil || a.DeployPrivateKey == nil || a.AuthorizedKeys == nil {
		errs = append(errs, errors.New("hoodcloud:sshPublicKeys: expected SSH keys, the deploy key and the authorized keys, found a missing one"))
	}
	if len(a.Firewall) == 0 {
		errs = append(errs, errors.New("hoodcloud:adminCidrs: expected at least the SSH firewall rule, found no rules"))
	}
	errs = append(errs, validateRules(a.Firewall)...)
	return errors.Join(errs...)
}

// Host is one server and the means to reach it.
type Host struct {
	pulumi.ResourceState

	ServerID pulumi.StringOutput
	IPv4     pulumi.StringOutput
	// HostPublicKey is the server's SSH host key (authorized_keys format), for known_hosts.
	HostPublicKey pulumi.StringOutput
	// Connection reaches the server as root with the deploy key, pinning the host key and retrying dials
	// while the server boots. Its host depends on the server, so a step using it waits for the server.
	Connection remote.ConnectionArgs
	// Target is where remote steps run: Connection, and the hash key of their triggers, derived from the
	// server's SSH host private key (secret, high entropy, as long-lived as the server's identity).
	Target remotestep.Target
	// Ready is what a step that needs Docker must depend on: the baseline step.
	Ready []pulumi.Resource
	// AuthorizedKeys is the step that keeps root's authorized_keys.
	AuthorizedKeys pulumi.Resource
}

// New creates the server, its host key, firewall and baseline step.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Host, error) {
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	h := &Host{}
	if err := component.Register(ctx, TypeToken, name, h, opts...); err != nil {
		return nil, err
	}
	hostKey, err := tls.NewPrivateKey(ctx, name+"-host-key", &tls.PrivateKeyArgs{
		Algorithm: pulumi.String("ED25519"),
	}, component.Child(h, pulumi.Protect(args.Protect))...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	fw, err := newFirewall(ctx, h, name, args.ServerName, args.Firewall, args.Labels)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	userData := pulumi.All(hostKey.PrivateKeyOpenssh, hostKey.PublicKeyOpenssh).ApplyT(func(v []any) (string, error) {
		return RenderCloudInit(CloudInitParams{ServerName: args.ServerName, HostKeyPrivate: v[0].(string), HostKeyPublic: v[1].(string)})
	}).(pulumi.StringOutput)
	server, err := hcloud.NewServer(ctx, name+"-server", &hcloud.ServerArgs{
		Name:       pulumi.String(args.ServerName),
		ServerType: pulumi.String(args.ServerType),
		Image:      pulumi.String(args.Image),
		Location:   pulumi.String(args.Location),
		Backups:    pulumi.Bool(args.Backups),
		Labels:     pulumi.ToStringMap(args.Labels),
		SshKeys:    args.SSHKeyIDs,
		UserData:   component.Secret(userData),
		PublicNets: hcloud.ServerPublicNetArray{hcloud.ServerPublicNetArgs{
			Ipv4Enabled: pulumi.Bool(true), Ipv4: args.IPv4ID,
			Ipv6Enabled: pulumi.Bool(true), Ipv6: args.IPv6ID,
		}},
		FirewallIds:       pulumi.IntArray{hetznerid.Int(fw.ID())},
		PlacementGroupId:  args.PlacementGroupID,
		DeleteProtection:  pulumi.Bool(args.Protect),
		RebuildProtection: pulumi.Bool(args.Protect),
	}, component.Child(h,
		pulumi.Protect(args.Protect),
		// These only matter when a server is created; the provider would replace a running server on any
		// change to them. Later host changes go through the baseline step.
		pulumi.IgnoreChanges([]string{"userData", "image", "sshKeys"}),
	)...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	h.ServerID = server.ID().ToStringOutput()
	h.IPv4 = pulumi.All(server.ID(), args.IPv4).ApplyT(func(v []any) string { return v[1].(string) }).(pulumi.StringOutput)
	h.HostPublicKey = hostKey.PublicKeyOpenssh.ApplyT(strings.TrimSpace).(pulumi.StringOutput)
	h.Connection = remote.ConnectionArgs{
		Host:           h.IPv4,
		User:           pulumi.String("root"),
		PrivateKey:     component.Secret(args.DeployPrivateKey),
		HostKey:        hostKey.PublicKeyOpenssh,
		DialErrorLimit: pulumi.Int(DialErrorLimit),
		PerDialTimeout: pulumi.Int(PerDialTimeout),
	}
	h.Target = remotestep.Target{
		Connection: h.Connection,
		HashKey: component.Secret(hostKey.PrivateKeyOpenssh.ApplyT(func(pem string) string {
			return contenthash.Of("hoodcloud trigger hash key v1", pem)
		}).(pulumi.StringOutput)),
	}
	script, err := RenderBaselineScript()
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	baseline, err := remotestep.Run(ctx, name+"-baseline", h.Target, remotestep.Step{Script: script}, component.Child(h)...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	h.Ready = []pulumi.Resource{baseline}
	authorized := args.AuthorizedKeys.ToStringArrayOutput().ApplyT(func(keys []string) (string, error) {
		return RenderAuthorizedKeys(AuthorizedKeysParams{ServerName: args.ServerName, File: AuthorizedKeysFile, Keys: keys})
	}).(pulumi.StringOutput)
	h.AuthorizedKeys, err = remotestep.Run(ctx, name+"-authorized-keys", h.Target, remotestep.Step{ScriptOutput: authorized}, component.Child(h)...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	return h, component.Finish(ctx, TypeToken, name, h, pulumi.Map{
		"serverId":      h.ServerID,
		"ipv4":          h.IPv4,
		"hostPublicKey": h.HostPublicKey,
	})
}
