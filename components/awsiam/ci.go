package awsiam

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CIRoles are the roles this repository's own GitHub workflows assume through OIDC (.github/workflows):
// a deploy role for `pulumi up`, trusted only in the stack's GitHub environment `<stack>` (prod's has
// required reviewers), and a read-only preview role for pull-request previews, the nightly drift check
// and reading the outputs, trusted only in the environment `<stack>-read` of this repository and of the
// OutputReaders. Both are limited to this stack's resources (named with NamePrefix) and the Pulumi state
// backend.
type CIRoles struct {
	// Repository is owner/name of the infrastructure repository.
	Repository string
	// Environment is the GitHub environment whose jobs may deploy the stack (the stack's name); its
	// read-only twin is Environment+"-read".
	Environment string
	// OutputReaders are other repositories (owner/name) whose workflows may read the stack's outputs
	// (.github/workflows/stack-outputs.yml) through the preview role, from their <stack>-read environment.
	OutputReaders []string
	// NamePrefix prefixes the names of every IAM identity the stack manages (hoodcloud-<stack>).
	NamePrefix string
	// StateBackendBucket is the bucket of the Pulumi state backend (s3://…), bootstrapped apart from the
	// program, which cannot manage the bucket its own state lives in.
	StateBackendBucket string
	// StackTag is the value of the stack's Stack tag: KMS permissions are limited to keys carrying it.
	StackTag string
}

var githubRepoRe = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

// Actions of the CI roles; the tests compare the policies against these lists.
var (
	DeployBucketActions = []string{"s3:CreateBucket", "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:Get*", "s3:List*", "s3:Put*"}
	DeployTableActions  = []string{"dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:Describe*", "dynamodb:ListTagsOfResource",
		"dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive"}
	DeployIdentityActions = []string{"iam:CreateAccessKey", "iam:CreateRole", "iam:CreateUser", "iam:DeleteAccessKey", "iam:DeleteRole",
		"iam:DeleteRolePolicy", "iam:DeleteUser", "iam:DeleteUserPolicy", "iam:Get*", "iam:List*", "iam:PutRolePolicy", "iam:PutUserPolicy",
		"iam:TagRole", "iam:TagUser", "iam:UntagRole", "iam:UntagUser", "iam:UpdateAccessKey", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole"}
	DeployOIDCActions = []string{"iam:AddClientIDToOpenIDConnectProvider", "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider",
		"iam:GetOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
		"iam:UntagOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint"}
	DeployKeyActions = []string{"kms:DescribeKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
		"kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription"}
	PreviewBucketActions   = []string{"s3:Get*", "s3:ListBucket"}
	PreviewTableActions    = []string{"dynamodb:Describe*", "dynamodb:ListTagsOfResource"}
	PreviewIdentityActions = []string{"iam:Get*", "iam:List*"}
	PreviewKeyActions      = []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"}
	StateListActions       = []string{"s3:GetBucketLocation", "s3:ListBucket"}
	StateWriteActions      = []string{"s3:DeleteObject", "s3:GetObject", "s3:PutObject"}
	StateReadActions       = []string{"s3:GetObject"}
)

func (r *CIRoles) problems() []error {
	var errs []error
	if !githubRepoRe.MatchString(r.Repository) {
		errs = append(errs, fmt.Errorf("hoodcloud:infraRepository: expected owner/repository, found %q", r.Repository))
	}
	for i, reader := range r.OutputReaders {
		if !githubRepoRe.MatchString(reader) {
			errs = append(errs, fmt.Errorf("hoodcloud:stackOutputReaders[%d]: expected owner/repository, found %q", i, reader))
		}
	}
	if r.StateBackendBucket == "" {
		errs = append(errs, errors.New("hoodcloud:pulumiStateBucket: expected the Pulumi state backend's bucket, because hoodcloud:infraRepository is set, found nothing"))
	}
	if r.Environment == "" || r.NamePrefix == "" || r.StackTag == "" {
		errs = append(errs, errors.New("hoodcloud:infraRepository: expected the stack's environment, name prefix and tag, found a missing one"))
	}
	return errs
}

// newCIRoles creates the deploy and preview roles and returns their ARNs.
func newCIRoles(ctx *pulumi.Context, c *IAM, name string, a *Args, providerARN pulumi.StringOutput) (deploy, preview pulumi.StringOutput, err error) {
	r := a.CI
	deploy, err = githubRole(ctx, c, name+"-ci-deploy", r.NamePrefix+"-infra-deploy", a.Tags, providerARN,
		"GitHubInfraWorkflows", "StringEquals", pulumi.ToStringArray([]string{"repo:" + r.Repository + ":environment:" + r.Environment}),
		deployPolicy(ctx, c, a))
	if err != nil {
		return deploy, preview, err
	}
	readers := []string{"repo:" + r.Repository + ":environment:" + r.Environment + "-read"}
	for _, reader := range r.OutputReaders {
		readers = append(readers, "repo:"+reader+":environment:"+r.Environment+"-read")
	}
	preview, err = githubRole(ctx, c, name+"-ci-preview", r.NamePrefix+"-infra-preview", a.Tags, providerARN,
		"GitHubInfraWorkflows", "StringEquals", pulumi.ToStringArray(readers), previewPolicy(ctx, c, a))
	return deploy, preview, err
}

// identityARNs are the IAM users and roles the stack manages: every one is named with the prefix.
func (r *CIRoles) identityARNs() []pulumi.StringInput {
	return []pulumi.StringInput{
		pulumi.String("arn:aws:iam::*:user/" + r.NamePrefix + "-*"),
		pulumi.String("arn:aws:iam::*:role/" + r.NamePrefix + "-*"),
	}
}

func (r *CIRoles) stateBucketARN() string { return "arn:aws:s3:::" + r.StateBackendBucket }

// stackKeys limits KMS permissions to keys tagged with the stack (the auto-unseal key).
func (r *CIRoles) stackKeys(sid string, actions []string) iam.GetPolicyDocumentStatementArgs {
	s := statement(sid, actions, pulumi.String("arn:aws:kms:*:*:key/*"))
	s.Conditions = iam.GetPolicyDocumentStatementConditionArray{iam.GetPolicyDocumentStatementConditionArgs{
		Test: pulumi.String("StringEquals"), Variable: pulumi.String("aws:ResourceTag/Stack"), Values: pulumi.StringArray{pulumi.String(r.StackTag)},
	}}
	return s
}

const oidcProviderARNPattern = "arn:aws:iam::*:oidc-provider/token.actions.githubusercontent.com"

// deployPolicy lets `pulumi up` manage exactly this stack's resources and its state.
func deployPolicy(ctx *pulumi.Context, parent pulumi.Resource, a *Args) iam.GetPolicyDocumentResultOutput {
	r := a.CI
	createKey := statement("CreateAutoUnsealKey", []string{"kms:CreateKey"}, pulumi.String("*"))
	createKey.Conditions = iam.GetPolicyDocumentStatementConditionArray{iam.GetPolicyDocumentStatementConditionArgs{
		Test: pulumi.String("StringEquals"), Variable: pulumi.String("aws:RequestTag/Stack"), Values: pulumi.StringArray{pulumi.String(r.StackTag)},
	}}
	return iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
		Statements: iam.GetPolicyDocumentStatementArray{
			statement("StackBuckets", DeployBucketActions, a.StateBucketARN, a.ChainConfigBucketARN),
			statement("StackLockTable", DeployTableActions, a.LockTableARN),
			statement("StackIdentities", DeployIdentityActions, r.identityARNs()...),
			statement("GitHubOIDCProvider", DeployOIDCActions, pulumi.String(oidcProviderARNPattern)),
			createKey,
			r.stackKeys("StackKeys", DeployKeyActions),
			statement("PulumiStateBucket", StateListActions, pulumi.String(r.stateBucketARN())),
			statement("PulumiState", StateWriteActions, pulumi.String(r.stateBucketARN()+"/.pulumi/*")),
		},
	}, pulumi.Parent(parent))
}

// previewPolicy reads what deployPolicy manages (preview --refresh), and the state; it writes only the
// backend's lock files.
func previewPolicy(ctx *pulumi.Context, parent pulumi.Resource, a *Args) iam.GetPolicyDocumentResultOutput {
	r := a.CI
	return iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
		Statements: iam.GetPolicyDocumentStatementArray{
			statement("ReadStackBuckets", PreviewBucketActions, a.StateBucketARN, a.ChainConfigBucketARN),
			statement("ReadStackLockTable", PreviewTableActions, a.LockTableARN),
			statement("ReadStackIdentities", PreviewIdentityActions, append(r.identityARNs(), pulumi.String(oidcProviderARNPattern))...),
			r.stackKeys("ReadStackKeys", PreviewKeyActions),
			statement("PulumiStateBucket", StateListActions, pulumi.String(r.stateBucketARN())),
			statement("ReadPulumiState", StateReadActions, pulumi.String(r.stateBucketARN()+"/.pulumi/*")),
			statement("PulumiStateLocks", StateWriteActions, pulumi.String(r.stateBucketARN()+"/.pulumi/locks/*")),
		},
	}, pulumi.Parent(parent))
}
