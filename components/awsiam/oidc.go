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

// githubProvider returns the account's GitHub OIDC provider: existingARN, or one created here (an account
// has at most one).
func githubProvider(ctx *pulumi.Context, c *IAM, name, existingARN string, tags map[string]string) (pulumi.StringOutput, error) {
	if existingARN != "" {
		return pulumi.String(existingARN).ToStringOutput(), nil
	}
	p, err := iam.NewOpenIdConnectProvider(ctx, name+"-github-oidc", &iam.OpenIdConnectProviderArgs{
		Url:           pulumi.String(GitHubOIDCURL),
		ClientIdLists: pulumi.StringArray{pulumi.String(GitHubAudience)},
		Tags:          pulumi.ToStringMap(tags),
	}, component.Child(c)...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return p.Arn, nil
}

// githubTrust lets GitHub workflow runs whose token subject matches subjects (test: StringEquals or
// StringLike) assume a role, with the audience AWS expects.
func githubTrust(ctx *pulumi.Context, c *IAM, sid string, providerARN pulumi.StringOutput, test string, subjects pulumi.StringArray) iam.GetPolicyDocumentResultOutput {
	return iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
		Statements: iam.GetPolicyDocumentStatementArray{
			iam.GetPolicyDocumentStatementArgs{
				Sid:     pulumi.String(sid),
				Effect:  pulumi.String("Allow"),
				Actions: pulumi.StringArray{pulumi.String("sts:AssumeRoleWithWebIdentity")},
				Principals: iam.GetPolicyDocumentStatementPrincipalArray{
					iam.GetPolicyDocumentStatementPrincipalArgs{Type: pulumi.String("Federated"), Identifiers: pulumi.StringArray{providerARN}},
				},
				Conditions: iam.GetPolicyDocumentStatementConditionArray{
					iam.GetPolicyDocumentStatementConditionArgs{Test: pulumi.String("StringEquals"),
						Variable: pulumi.String("token.actions.githubusercontent.com:aud"), Values: pulumi.StringArray{pulumi.String(GitHubAudience)}},
					iam.GetPolicyDocumentStatementConditionArgs{Test: pulumi.String(test),
						Variable: pulumi.String("token.actions.githubusercontent.com:sub"), Values: subjects},
				},
			},
		},
	}, pulumi.Parent(c))
}

// newReleaseRole creates the role the chain-config release workflow assumes.
func newReleaseRole(ctx *pulumi.Context, c *IAM, name string, a *Args, providerARN pulumi.StringOutput) (pulumi.StringOutput, error) {
	g := a.GitHub
	subjects := pulumi.StringArray{}
	for _, ref := range g.Refs {
		subjects = append(subjects, pulumi.String("repo:"+g.Repository+":ref:"+ref))
	}
	return githubRole(ctx, c, name+"-release", g.RoleName, a.Tags, providerARN, "GitHubReleaseWorkflow", "StringLike", subjects,
		releasePolicy(ctx, c, a), c.PermissionsBoundary)
}

// githubRole creates a role that GitHub workflow runs matching subjects assume through OIDC, with its
// inline policy: resources <name>-role and <name>-policy.
func githubRole(ctx *pulumi.Context, c *IAM, name, roleName string, tags map[string]string, providerARN pulumi.StringOutput,
	sid, test string, subjects pulumi.StringArray, policy iam.GetPolicyDocumentResultOutput, boundary pulumi.StringInput) (pulumi.StringOutput, error) {
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Name:                pulumi.String(roleName),
		AssumeRolePolicy:    githubTrust(ctx, c, sid, providerARN, test, subjects).Json(),
		MaxSessionDuration:  pulumi.Int(3600),
		PermissionsBoundary: boundary,
		Tags:                pulumi.ToStringMap(tags),
	}, component.Child(c)...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{
		Role: role.Name, Policy: policy.Json(),
	}, component.Child(c)...); err != nil {
		return pulumi.StringOutput{}, err
	}
	return role.Arn, nil
}
