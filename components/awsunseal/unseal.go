// Package awsunseal creates what Vault's AWS KMS auto-unseal needs (vaultAutoUnseal): a customer-managed KMS
// key and an IAM user allowed to use exactly that key for exactly Vault's seal operations. With it a reboot
// unseals Vault without a key holder; the trade-off (the key's owner can unseal) is in the README.
package awsunseal

import (
	"errors"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:aws:VaultUnseal"

// SealActions are the only KMS actions Vault's awskms seal performs.
var SealActions = []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt"}

// Args configures the unseal key.
type Args struct {
	// UserName is the IAM user Vault authenticates as.
	UserName string
	// PermissionsBoundary (an ARN, or nil) caps the user's permissions: set when CI may manage identities.
	PermissionsBoundary pulumi.StringInput
	Protect             bool
	Tags                map[string]string
}

// Validate reports every problem at once.
func (a *Args) Validate() error {
	if a.UserName == "" {
		return errors.New("hoodcloud:vaultAutoUnseal: expected an IAM user name for the unseal principal, found none")
	}
	return nil
}

// Unseal is the KMS key and its narrowly scoped principal.
type Unseal struct {
	pulumi.ResourceState

	KeyID           pulumi.StringOutput
	KeyARN          pulumi.StringOutput
	AccessKeyID     pulumi.StringOutput
	SecretAccessKey pulumi.StringOutput // secret
}

// New creates the key, the user, its policy and access key.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Unseal, error) {
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	u := &Unseal{}
	if err := component.Register(ctx, TypeToken, name, u, opts...); err != nil {
		return nil, err
	}
	// Losing this key makes Vault's data unrecoverable: protected in prod, and a 30-day deletion window.
	key, err := kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		Description:          pulumi.String("HoodCloud Vault auto-unseal (" + args.UserName + ")"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(30),
		Tags:                 pulumi.ToStringMap(args.Tags),
	}, component.Child(u, pulumi.Protect(args.Protect))...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	user, err := iam.NewUser(ctx, name+"-user", &iam.UserArgs{
		Name:                pulumi.String(args.UserName),
		PermissionsBoundary: args.PermissionsBoundary,
		Tags:                pulumi.ToStringMap(args.Tags),
	}, component.Child(u)...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	policy := iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
		Statements: iam.GetPolicyDocumentStatementArray{
			iam.GetPolicyDocumentStatementArgs{
				Sid:       pulumi.String("VaultSeal"),
				Effect:    pulumi.String("Allow"),
				Actions:   pulumi.ToStringArray(SealActions),
				Resources: pulumi.StringArray{key.Arn},
			},
		},
	}, pulumi.Parent(u))
	if _, err := iam.NewUserPolicy(ctx, name+"-policy", &iam.UserPolicyArgs{
		User:   user.Name,
		Policy: policy.Json(),
	}, component.Child(u)...); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	ak, err := iam.NewAccessKey(ctx, name+"-access-key", &iam.AccessKeyArgs{User: user.Name},
		component.Child(u, pulumi.AdditionalSecretOutputs([]string{"secret", "sesSmtpPasswordV4"}))...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	u.KeyID = key.KeyId
	u.KeyARN = key.Arn
	u.AccessKeyID = ak.ID().ToStringOutput()
	u.SecretAccessKey = component.Secret(ak.Secret)
	return u, component.Finish(ctx, TypeToken, name, u, pulumi.Map{
		"keyArn": u.KeyARN, "accessKeyId": u.AccessKeyID, "secretAccessKey": u.SecretAccessKey,
	})
}
