package awsiam

import (
	"errors"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:aws:IAM"

// Args configures the identities.
type Args struct {
	// UserName is the control plane's IAM user name.
	UserName string
	// StateBucketARN is read-write for the control plane (Terraform state of provisioned nodes).
	StateBucketARN pulumi.StringInput
	// ChainConfigBucketARN is read-only for the control plane and writable by the release role.
	ChainConfigBucketARN pulumi.StringInput
	// LockTableARN is the Terraform lock table.
	LockTableARN pulumi.StringInput
	// GitHub enables the release role when non-nil.
	GitHub *GitHubOIDC
	// CI enables the roles of this repository's own workflows when non-nil.
	CI *CIRoles
	// OIDCProviderARN is the account's existing GitHub OIDC provider; empty creates one when GitHub or CI
	// needs it (an account has at most one).
	OIDCProviderARN string
	Tags            map[string]string
}

// GitHubOIDC describes who may assume the chain-config release role.
type GitHubOIDC struct {
	// Repository is owner/name.
	Repository string
	// Refs are the git refs (refs/heads/main, refs/tags/chain-configs-*) whose workflow runs may publish.
	Refs []string
	// RoleName is the release role's name.
	RoleName string
}

// Validate reports every problem at once.
func (a *Args) Validate() error {
	var errs []error
	if a.UserName == "" {
		errs = append(errs, errors.New("hoodcloud:iam: expected a control-plane user name, found none"))
	}
	if a.StateBucketARN == nil || a.ChainConfigBucketARN == nil || a.LockTableARN == nil {
		errs = append(errs, errors.New("hoodcloud:iam: expected the state bucket, chain-config bucket and lock table ARNs, found a missing one"))
	}
	if g := a.GitHub; g != nil {
		if g.Repository == "" {
			errs = append(errs, errors.New("hoodcloud:githubRepository: expected owner/repository, found none"))
		}
		if len(g.Refs) == 0 {
			errs = append(errs, errors.New("hoodcloud:githubReleaseRefs: expected at least one ref, found none"))
		}
		if g.RoleName == "" {
			errs = append(errs, errors.New("hoodcloud:githubRepository: expected a release role name, found none"))
		}
	}
	if a.CI != nil {
		errs = append(errs, a.CI.problems()...)
	}
	return errors.Join(errs...)
}

// IAM is the control plane's user and the optional release role.
type IAM struct {
	pulumi.ResourceState

	UserName        pulumi.StringOutput
	UserARN         pulumi.StringOutput
	AccessKeyID     pulumi.StringOutput
	SecretAccessKey pulumi.StringOutput // secret
	// ReleaseRoleARN is empty when GitHub OIDC is disabled.
	ReleaseRoleARN pulumi.StringOutput
	// CIDeployRoleARN and CIPreviewRoleARN are empty when the CI roles are disabled.
	CIDeployRoleARN, CIPreviewRoleARN pulumi.StringOutput
	// CIOutputsRoleARN is the output readers' role; empty without OutputReaders.
	CIOutputsRoleARN pulumi.StringOutput
	// PermissionsBoundary is the ARN of the boundary every identity of the stack carries when CI may
	// manage identities; nil otherwise.
	PermissionsBoundary pulumi.StringInput
}

// New creates the identities.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*IAM, error) {
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	c := &IAM{}
	if err := component.Register(ctx, TypeToken, name, c, opts...); err != nil {
		return nil, err
	}
	if args.CI != nil {
		boundary, err := iam.NewPolicy(ctx, name+"-permissions-boundary", &iam.PolicyArgs{
			Name:        pulumi.String(args.CI.boundaryName()),
			Description: pulumi.String("Everything an identity of this stack may ever do: the CI deploy role creates and edits identities only under it."),
			Policy:      boundaryPolicy(ctx, c, args).Json(),
			Tags:        pulumi.ToStringMap(args.Tags),
		}, component.Child(c)...)
		if err != nil {
			return nil, component.Wrap(TypeToken, name, err)
		}
		c.PermissionsBoundary = boundary.Arn
	}
	user, err := iam.NewUser(ctx, name+"-control-plane", &iam.UserArgs{
		Name:                pulumi.String(args.UserName),
		PermissionsBoundary: c.PermissionsBoundary,
		Tags:                pulumi.ToStringMap(args.Tags),
	}, component.Child(c)...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	if _, err := iam.NewUserPolicy(ctx, name+"-control-plane-policy", &iam.UserPolicyArgs{
		User:   user.Name,
		Policy: controlPlanePolicy(ctx, c, args).Json(),
	}, component.Child(c)...); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	key, err := iam.NewAccessKey(ctx, name+"-control-plane-key", &iam.AccessKeyArgs{User: user.Name},
		component.Child(c, pulumi.AdditionalSecretOutputs([]string{"secret", "sesSmtpPasswordV4"}))...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	c.UserName = user.Name
	c.UserARN = user.Arn
	c.AccessKeyID = key.ID().ToStringOutput()
	c.SecretAccessKey = component.Secret(key.Secret)
	none := pulumi.String("").ToStringOutput()
	c.ReleaseRoleARN, c.CIDeployRoleARN, c.CIPreviewRoleARN, c.CIOutputsRoleARN = none, none, none, none
	if args.GitHub != nil || args.CI != nil {
		providerARN, err := githubProvider(ctx, c, name, args.OIDCProviderARN, args.Tags)
		if err != nil {
			return nil, component.Wrap(TypeToken, name, err)
		}
		if args.GitHub != nil {
			if c.ReleaseRoleARN, err = newReleaseRole(ctx, c, name, args, providerARN); err != nil {
				return nil, component.Wrap(TypeToken, name, err)
			}
		}
		if args.CI != nil {
			if c.CIDeployRoleARN, c.CIPreviewRoleARN, c.CIOutputsRoleARN, err = newCIRoles(ctx, c, name, args, providerARN); err != nil {
				return nil, component.Wrap(TypeToken, name, err)
			}
		}
	}
	return c, component.Finish(ctx, TypeToken, name, c, pulumi.Map{
		"userName":        c.UserName,
		"accessKeyId":     c.AccessKeyID,
		"secretAccessKey": c.SecretAccessKey,
		"releaseRoleArn":  c.ReleaseRoleARN,
		"ciDeployRoleArn": c.CIDeployRoleARN, "ciPreviewRoleArn": c.CIPreviewRoleARN, "ciOutputsRoleArn": c.CIOutputsRoleARN,
	})
}
