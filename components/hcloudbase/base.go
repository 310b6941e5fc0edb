// Package hcloudbase creates what every server of a stack shares on Hetzner: the operators' SSH keys, the
// deploy key the program's remote steps authenticate with, and (prod) a spread placement group so the two
// servers never share a physical host.
//
// The deploy key is generated in the graph (pulumi-tls, Ed25519): it never exists on an operator's disk,
// its private half lives only in the stack's encrypted state. Keys come in generations: the current one
// (DeployKeyGeneration) is what remote steps dial with and what Hetzner installs on a new server; the next
// one is already authorized on every server (the hosts' authorized-keys step installs both). Rotating is
// `deployKeyGeneration` + 1 and one `pulumi up`: the steps dial with a key every host accepts, the old key
// leaves every authorized_keys, and a new next key is made.
package hcloudbase

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
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
	// DeployKeyGeneration numbers the current deploy key (from 1); raising it by one rotates the key.
	DeployKeyGeneration int
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
	if a.DeployKeyGeneration < 1 {
		errs = append(errs, fmt.Errorf("hoodcloud:deployKeyGeneration: expected a generation from 1, found %d", a.DeployKeyGeneration))
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
	// DeployPrivateKey is the OpenSSH private key of the current deploy key (secret).
	DeployPrivateKey pulumi.StringOutput
	DeployPublicKey  pulumi.StringOutput
	// AuthorizedKeys are the lines of every server's authorized_keys: the operators' keys, then the deploy
	// keys of the current and the next generation.
	AuthorizedKeys pulumi.StringArrayOutput
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

// newDeployKey makes the deploy key of one generation. Generation 1 keeps the identity the stack's only
// deploy key had before keys had generations.
func newDeployKey(ctx *pulumi.Context, b *Base, name string, gen int) (*tls.PrivateKey, error) {
	opts := []pulumi.ResourceOption{}
	if gen == 1 {
		opts = append(opts, pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(name + "-deploy-key")}}))
	}
	return tls.NewPrivateKey(ctx, name+"-deploy-key-g"+strconv.Itoa(gen), &tls.PrivateKeyArgs{
		Algorithm: pulumi.String("ED25519"),
	}, component.Child(b, opts...)...)
}

// deployKeyLine is a deploy key's authorized_keys line, its comment naming stack and generation.
func deployKeyLine(publicKey, prefix string, gen int) string {
	return fmt.Sprintf("%s %s-deploy-g%d", strings.TrimSpace(publicKey), prefix, gen)
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
	gen := args.DeployKeyGeneration
	deploy, err := newDeployKey(ctx, b, name, gen)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	next, err := newDeployKey(ctx, b, name, gen+1)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	deployKey, err := hcloud.NewSshKey(ctx, name+"-deploy", &hcloud.SshKeyArgs{
		Name:      pulumi.String(args.NamePrefix + "-deploy"),
		PublicKey: deploy.PublicKeyOpenssh,
		Labels:    pulumi.ToStringMap(args.Labels),
	}, component.Child(b,
		// Hetzner names are unique and a new public key is a new key: the old one goes first.
		pulumi.DeleteBeforeReplace(true))...)
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
	b.AuthorizedKeys = pulumi.All(deploy.PublicKeyOpenssh, next.PublicKeyOpenssh).ApplyT(func(v []any) []string {
		lines := make([]string, 0, len(args.OperatorKeys)+2)
		for _, k := range args.OperatorKeys {
			lines = append(lines, strings.TrimSpace(k))
		}
		return append(lines,
			deployKeyLine(v[0].(string), args.NamePrefix, gen),
			deployKeyLine(v[1].(string), args.NamePrefix, gen+1))
	}).(pulumi.StringArrayOutput)
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
		"authorizedKeys":  b.AuthorizedKeys,
	})
}
