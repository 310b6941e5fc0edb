package awsiam

import (
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
)

// GitHubOIDCURL is GitHub Actions' token issuer; GitHubAudience the audience its tokens carry for AWS.
const (
	GitHubOIDCURL  = "https://token.actions.githubusercontent.com"
	GitHubAudience = "sts.amazonaws.com"
)

// newReleaseRole creates (or reuses) the OIDC provider and the role the release workflow assumes.
func newReleaseRole(ctx *pulumi.Context, c *IAM, name string, a *Args) (pulumi.StringOutput, error) {
	g := a.GitHub
	providerARN := pulumi.String(g.ProviderARN).ToStringOutput()
	if g.ProviderARN == "" {
		p, err := iam.NewOpenIdConnectProvider(ctx, name+"-github-oidc", &iam.OpenIdConnectProviderArgs{
			Url:           pulumi.String(GitHubOIDCURL),
			ClientIdLists: pulumi.StringArray{pulumi.String(GitHubAudience)},
			Tags:          pulumi.ToStringMap(a.Tags),
		}, component.Child(c)...)
		if err != nil {
			return pulumi.StringOutput{}, err
		}
		providerARN = p.Arn
	}
	subjects := pulumi.StringArray{}
	for _, ref := range g.Refs {
		subjects = append(subjects, pulumi.String("repo:"+g.Repository+":ref:"+ref))
	}
	trust := iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
		Statements: iam.GetPolicyDocumentStatementArray{
			iam.GetPolicyDocumentStatementArgs{
				Sid:     pulumi.String("GitHubReleaseWorkflow"),
				Effect:  pulumi.String("Allow"),
				Actions: pulumi.StringArray{pulumi.String("sts:AssumeRoleWithWebIdentity")},
				Principals: iam.GetPolicyDocumentStatementPrincipalArray{
					iam.GetPolicyDocumentStatementPrincipalArgs{Type: pulumi.String("Federated"), Identifiers: pulumi.StringArray{providerARN}},
				},
				Conditions: iam.GetPolicyDocumentStatementConditionArray{
					iam.GetPolicyDocumentStatementConditionArgs{Test: pulumi.String("StringEquals"),
						Variable: pulumi.String("token.actions.githubusercontent.com:aud"), Values: pulumi.StringArray{pulumi.String(GitHubAudience)}},
					iam.GetPolicyDocumentStatementConditionArgs{Test: pulumi.String("StringLike"),
						Variable: pulumi.String("token.actions.githubusercontent.com:sub"), Values: subjects},
				},
			},
		},
	}, pulumi.Parent(c))
	role, err := iam.NewRole(ctx, name+"-release-role", &iam.RoleArgs{
		Name:               pulumi.String(g.RoleName),
		AssumeRolePolicy:   trust.Json(),
		MaxSessionDuration: pulumi.Int(3600),
		Tags:               pulumi.ToStringMap(a.Tags),
	}, component.Child(c)...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-release-policy", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: releasePolicy(ctx, c, a).Json(),
	}, component.Child(c)...); err != nil {
		return pulumi.StringOutput{}, err
	}
	return role.Arn, nil
}
