// Package hcloudbase creates what every server of a stack shares on Hetzner: the operators' SSH keys, the
// deploy key the program's remote steps authenticate with, and (prod) a spread placement group so the two
// servers never share a physical host.
//
// The deploy key is generated in the graph (pulumi-tls, Ed25519): it never exists on an operator's disk,
// its private half lives only in the stack's encrypted state. Servers receive it at creation only (Hetzner
// installs ssh_keys at first boot), so rotating it on running servers means adding the new public key to
// their authorized_keys first; the README describes the procedure.
package hcloudbase

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-hcloud/sdk/go/hcloud"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/hetznerid"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:hetzner:Base"

// Args configures the shared prerequisites.
type Args struct {
	// NamePrefix prefixes Hetzner-side names (hoodcloud-prod).
	NamePrefix string
	// OperatorKeys are OpenSSH public key lines of the humans who may log in.
	OperatorKeys []string
	// Spread creates a spread placement group.
	Spread bool
	Labels map[string]string
}

// Validate reports every problem at once.
func (a *Args) Validate() error {
	var errs []error
	if a.NamePrefix == "" {
		errs = append(errs, errors.New("hoodcloud:base: expected a name prefix, found none"))
	}
	if len(a.OperatorKeys) == 0 {
		errs = append(errs, errors.New("hoodcloud:sshPublicKeys: expected at least one operator key, found none"))
	}
	seen := map[string]bool{}
	for i, k := range a.OperatorKeys {
		if seen[keyID(k)] {
			errs = append(errs, fmt.Errorf("hoodcloud:sshPublicKeys[%d]: expected distinct keys, found a duplicate", i))
		}
		seen[keyID(k)] = true
	}
	return errors.Join(errs...)
}

// Base is the shared Hetzner prerequisites.
type Base struct {
	pulumi.ResourceState

	// SSHKeyIDs are the Hetzner IDs of every key installed on new servers (deploy key first).
	SSHKeyIDs pulumi.StringArrayOutput
	// DeployPrivateKey is the OpenSSH private key of the deploy key (secret).
	DeployPrivateKey pulumi.StringOutput
	DeployPublicKey  pulumi.StringOutput
	// PlacementGroupID is set when Spread is, nil otherwise.
	PlacementGroupID pulumi.IntPtrInput
}

// keyID names an operator key's resource after the key itself, so removing one key never renames another.
func keyID(key string) string {
	fields := strings.Fields(key)
	body := key
	if len(fields) >= 2 {
		body = fields[1]
	}
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:6])
}

// New creates the keys and the placement group.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Base, error) {
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	b := &Base{}
	if err := component.Register(ctx, TypeToken, name, b, opts...); err != nil {
		return nil, err
	}
	deploy, err := tls.NewPrivateKey(ctx, name+"-deploy-key", &tls.PrivateKeyArgs{
		Algorithm: pulumi.String("ED25519"),
	}, component.Child(b)...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	deployKey, err := hcloud.NewSshKey(ctx, name+"-deploy", &hcloud.SshKeyArgs{
		Name:      pulumi.String(args.NamePrefix + "-deploy"),
		PublicKey: deploy.PublicKeyOpenssh,
		Labels:    pulumi.ToStringMap(args.Labels),
	}, component.Child(b)...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	ids := pulumi.StringArray{deployKey.ID().ToStringOutput()}
	for _, k := range args.OperatorKeys {
		id := keyID(k)
		key, err := hcloud.NewSshKey(ctx, name+"-operator-"+id, &hcloud.SshKeyArgs{
			Name:      pulumi.String(args.NamePrefix + "-operator-" + id),
			PublicKey: pulumi.String(strings.TrimSpace(k)),
			Labels:    pulumi.ToStringMap(args.Labels),
		}, component.Child(b)...)
		if err != nil {
			return nil, component.Wrap(TypeToken, name, err)
		}
		ids = append(ids, key.ID().ToStringOutput())
	}
	b.SSHKeyIDs = ids.ToStringArrayOutput()
	b.DeployPrivateKey = component.Secret(deploy.PrivateKeyOpenssh)
	b.DeployPublicKey = deploy.PublicKeyOpenssh
	if args.Spread {
		pg, err := hcloud.NewPlacementGroup(ctx, name+"-spread", &hcloud.PlacementGroupArgs{
			Name:   pulumi.String(args.NamePrefix + "-spread"),
			Type:   pulumi.String("spread"),
			Labels: pulumi.ToStringMap(args.Labels),
		}, component.Child(b)...)
		if err != nil {
			return nil, component.Wrap(TypeToken, name, err)
		}
		b.PlacementGroupID = hetznerid.Int(pg.ID()).ToIntPtrOutput()
	}
	return b, component.Finish(ctx, TypeToken, name, b, pulumi.Map{
		"sshKeyIds":       b.SSHKeyIDs,
		"deployPublicKey": b.DeployPublicKey,
	})
}
