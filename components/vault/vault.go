package vault

import (
	"errors"

	"github.com/pulumi/pulumi-vault/sdk/v7/go/vault"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:vault:Vault"

// Vault is a bootstrapped Vault and the provider that manages it.
type Vault struct {
	pulumi.ResourceState

	// Address and CACertPEM reach Vault's API (other components' providers, operators).
	Address   pulumi.StringOutput
	CACertPEM pulumi.StringOutput
	// InitOutput is the init step's stdout (secret): vault's init JSON with the unseal or recovery keys
	// and the first root token, or {"already_initialized":true}. Operators keep the keys offline.
	InitOutput pulumi.StringOutput
	// RootTokenRevoked is true once the revoke-root step has revoked the root token it was given.
	RootTokenRevoked pulumi.BoolOutput
	// ProviderResource is the Vault provider logged in with the program's AppRole (never the root
	// token); other components pass it with pulumi.Provider to add secrets.
	ProviderResource *vault.Provider
	// KVMountPath is "secret" once the KV v2 mount exists; use it as kv.SecretV2's Mount.
	KVMountPath pulumi.StringOutput
	// ConsumerRoleIDs maps consumer name → AppRole role_id.
	ConsumerRoleIDs pulumi.StringMapOutput
	// AppRoleAccessor is the approle auth method's accessor, read from Vault on every preview and up: the
	// read fails them with Vault's own message when Vault is sealed or unreachable (see provider.go).
	AppRoleAccessor pulumi.StringOutput
	// AppRoleFiles maps consumer name → where its role_id and secret_id files are on its host.
	AppRoleFiles map[string]AppRoleFiles
	// ConsumerReady maps consumer name → what a deploy of that consumer must depend on (its file step).
	ConsumerReady map[string][]pulumi.Resource
	// Ready is what must exist before anything reads Vault: program credential, KV mount, secrets.
	Ready []pulumi.Resource
}

// AppRoleFiles are the paths of one consumer's AppRole credential files.
type AppRoleFiles struct {
	Dir, RoleID, SecretID string
}

// New bootstraps Vault on args.Host and configures it through the program's AppRole.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Vault, error) {
	if args == nil {
		return nil, component.Wrap(TypeToken, name, errors.New("args are required"))
	}
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	v := &Vault{}
	if err := component.Register(ctx, TypeToken, name, v, opts...); err != nil {
		return nil, err
	}
	host, err := newHostSteps(ctx, v, name, args, hostLayout)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	v.Address = args.Address.ToStringOutput()
	v.CACertPEM = args.CACertPEM.ToStringOutput()
	v.InitOutput = host.initOutput
	v.RootTokenRevoked = host.rootTokenRevoked
	if err := v.configure(ctx, name, args, host); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	return v, component.Finish(ctx, TypeToken, name, v, pulumi.Map{
		"address":          v.Address,
		"caCertPem":        v.CACertPEM,
		"initOutput":       v.InitOutput,
		"rootTokenRevoked": v.RootTokenRevoked,
		"kvMountPath":      v.KVMountPath,
		"consumerRoleIds":  v.ConsumerRoleIDs,
		"approleAccessor":  v.AppRoleAccessor,
	})
}
