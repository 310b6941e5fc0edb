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
	// OutputReaders are other repositories (owner/name) whose workflows may read the outputs the deploy
	// publishes (.github/workflows/stack-outputs.yml), through a role of their own that reads nothing else,
	// from their <stack>-read environment.
	OutputReaders []string
	// NamePrefix prefixes the names of every IAM identity the stack manages (hoodcloud-<stack>).
	NamePrefix string
	// StateBackendBucket is the bucket of the Pulumi state backend (s3://…), bootstrapped apart from the
	// program, which cannot manage the bucket its own state lives in.
	StateBackendBucket string
	// StackTag is the value of the stack's Stack tag: KMS permissions are limited to keys carrying it.
	StackTag string
	// Project is the Pulumi project: the roles reach only the stack's own files in the state backend.
	Project string
	// StateBucketName, ChainConfigBucketName and LockTableName are the stack's bucket and table names
	// from the configuration (not the resources' outputs: a renamed bucket must be creatable in the up
	// that renames it).
	StateBucketName, ChainConfigBucketName, LockTableName string
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
	if r.Environment == "" || r.NamePrefix == "" || r.StackTag == "" || r.Project == "" ||
		r.StateBucketName == "" || r.ChainConfigBucketName == "" || r.LockTableName == "" {
		errs = append(errs, errors.New("hoodcloud:infraRepository: expected the stack's environment, name prefix, tag, project, bucket and table names, found a missing one"))
	}
	return errs
}

// newCIRoles creates the deploy and preview roles and returns their ARNs.
func newCIRoles(ctx *pulumi.Context, c *IAM, name string, a *Args, providerARN pulumi.StringOutput) (deploy, preview, outputs pulumi.StringOutput, err error) {
	outputs = pulumi.String("").ToStringOutput()
	r := a.CI
	deploy, err = githubRole(ctx, c, name+"-ci-deploy", r.NamePrefix+"-infra-deploy", a.Tags, providerARN,
		"GitHubInfraWorkflows", "StringEquals", pulumi.ToStringArray([]string{"repo:" + r.Repository + ":environment:" + r.Environment}),
		deployPolicy(ctx, c, a), nil)
	if err != nil {
		return deploy, preview, outputs, err
	}
	// Previews of pull requests run in <stack>-preview (required reviewers: a PR's code runs with the
	// environment's secrets), the nightly drift check on main in <stack>-read.
	preview, err = githubRole(ctx, c, name+"-ci-preview", r.NamePrefix+"-infra-preview", a.Tags, providerARN,
		"GitHubInfraWorkflows", "StringEquals", pulumi.ToStringArray([]string{
			"repo:" + r.Repository + ":environment:" + r.Environment + "-preview",
			"repo:" + r.Repository + ":environment:" + r.Environment + "-read"}), previewPolicy(ctx, c, a), nil)
	if err != nil || len(r.OutputReaders) == 0 {
		return deploy, preview, outputs, err
	}
	// Other repositories read only the outputs the deploy publishes (secrets masked): no state, no
	// passphrase.
	var readers []string
	for _, reader := range r.OutputReaders {
		readers = append(readers, "repo:"+reader+":environment:"+r.Environment+"-read")
	}
	outputs, err = githubRole(ctx, c, name+"-ci-outputs", r.NamePrefix+"-infra-outputs", a.Tags, providerARN,
		"GitHubOutputReaders", "StringEquals", pulumi.ToStringArray(readers), iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
			Statements: iam.GetPolicyDocumentStatementArray{statement("ReadPublishedOutputs", StateReadActions, pulumi.String(r.outputsObjectARN()))},
		}, pulumi.Parent(c)), nil)
	return deploy, preview, outputs, err
}

// outputsObjectARN is where the deploy publishes the stack's outputs (scripts/ci-publish-outputs.sh).
func (r *CIRoles) outputsObjectARN() string {
	return r.stateBucketARN() + "/outputs/" + r.Project + "/" + r.Environment + ".json"
}

// identityARNs are the IAM users and roles the stack manages: every one is named with the prefix.
func (r *CIRoles) identityARNs() []pulumi.StringInput {
	return []pulumi.StringInput{
		pulumi.String("arn:aws:iam::*:user/" + r.NamePrefix + "-*"),
		pulumi.String("arn:aws:iam::*:role/" + r.NamePrefix + "-*"),
	}
}

// ciRoleARNs are the CI roles themselves, which CI may never change: they are an operator's to change
// (the README's bootstrap), or the deploy role could widen its own permissions.
func (r *CIRoles) ciRoleARNs() pulumi.StringInput {
	return pulumi.String("arn:aws:iam::*:role/" + r.NamePrefix + "-infra-*")
}

func (r *CIRoles) boundaryName() string { return r.NamePrefix + "-permissions-boundary" }

func (r *CIRoles) boundaryARN() string { return "arn:aws:iam::*:policy/" + r.boundaryName() }

func (r *CIRoles) bucketARNs() []pulumi.StringInput {
	return []pulumi.StringInput{pulumi.String("arn:aws:s3:::" + r.StateBucketName), pulumi.String("arn:aws:s3:::" + r.ChainConfigBucketName)}
}

func (r *CIRoles) tableARN() pulumi.StringInput {
	return pulumi.String("arn:aws:dynamodb:*:*:table/" + r.LockTableName)
}

func (r *CIRoles) stateBucketARN() string { return "arn:aws:s3:::" + r.StateBackendBucket }

// stateFiles are the stack's own files in the backend (the diy backend's layout, project-scoped stacks):
// its checkpoint, history, backups and locks; other stacks' state stays out of reach.
func (r *CIRoles) stateFiles(kinds ...string) []pulumi.StringInput {
	var out []pulumi.StringInput
	for _, k := range kinds {
		switch k {
		case "stacks":
			out = append(out, pulumi.String(r.stateBucketARN()+"/.pulumi/stacks/"+r.Project+"/"+r.Environment+".json*"))
		default:
			out = append(out, pulumi.String(r.stateBucketARN()+"/.pulumi/"+k+"/"+r.Project+"/"+r.Environment+"/*"))
		}
	}
	return out
}

// stackKeys limits KMS permissions to keys tagged with the stack (the auto-unseal key).
func (r *CIRoles) stackKeys(sid string, actions []string) iam.GetPolicyDocumentStatementArgs {
	s := statement(sid, actions, pulumi.String("arn:aws:kms:*:*:key/*"))
	s.Conditions = iam.GetPolicyDocumentStatementConditionArray{iam.GetPolicyDocumentStatementConditionArgs{
		Test: pulumi.String("StringEquals"), Variable: pulumi.String("aws:ResourceTag/Stack"), Values: pulumi.StringArray{pulumi.String(r.StackTag)},
	}}
	return s
}

const oidcProviderARNPattern = "arn:aws:iam::*:oidc-provider/token.actions.githubusercontent.com"

// Boundary-bound identity actions: creating a user or role, or writing its inline policy, is allowed only
// with the stack's permissions boundary on it, so whatever policy CI writes, no identity it manages can do
// more than the boundary allows.
var (
	BoundedIdentityActions = []string{"iam:CreateRole", "iam:CreateUser", "iam:DeleteRolePolicy", "iam:DeleteUserPolicy",
		"iam:PutRolePolicy", "iam:PutUserPolicy"}
	DeployIdentityOtherActions = []string{"iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:DeleteRole", "iam:DeleteUser",
		"iam:Get*", "iam:List*", "iam:TagRole", "iam:TagUser", "iam:UntagRole", "iam:UntagUser", "iam:UpdateAccessKey",
		"iam:UpdateAssumeRolePolicy", "iam:UpdateRole"}
	DeniedIdentityActions = []string{"iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
		"iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary"}
	// BoundaryActions are all any identity of the stack may ever do: the platform's storage, its lock table
	// and the auto-unseal key.
	BoundaryBucketActions = []string{"s3:DeleteObject", "s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}
	BoundaryKeyActions    = []string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt"}
)

// boundaryPolicy is the permissions boundary of every identity the stack manages (control-plane user,
// release role, auto-unseal user).
func boundaryPolicy(ctx *pulumi.Context, parent pulumi.Resource, a *Args) iam.GetPolicyDocumentResultOutput {
	r := a.CI
	objects := []pulumi.StringInput{}
	for _, b := range r.bucketARNs() {
		objects = append(objects, b, pulumi.Sprintf("%s/*", b))
	}
	return iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
		Statements: iam.GetPolicyDocumentStatementArray{
			statement("PlatformStorage", BoundaryBucketActions, objects...),
			statement("PlatformLocks", LockTableActions, r.tableARN()),
			r.stackKeys("AutoUnsealKey", BoundaryKeyActions),
		},
	}, pulumi.Parent(parent))
}

// deployPolicy lets `pulumi up` manage exactly this stack's resources and its state.
func deployPolicy(ctx *pulumi.Context, parent pulumi.Resource, a *Args) iam.GetPolicyDocumentResultOutput {
	r := a.CI
	createKey := statement("CreateAutoUnsealKey", []string{"kms:CreateKey", "kms:TagResource"}, pulumi.String("*"))
	createKey.Conditions = iam.GetPolicyDocumentStatementConditionArray{iam.GetPolicyDocumentStatementConditionArgs{
		Test: pulumi.String("StringEquals"), Variable: pulumi.String("aws:RequestTag/Stack"), Values: pulumi.StringArray{pulumi.String(r.StackTag)},
	}}
	bounded := statement("BoundedStackIdentities", BoundedIdentityActions, r.identityARNs()...)
	bounded.Conditions = iam.GetPolicyDocumentStatementConditionArray{iam.GetPolicyDocumentStatementConditionArgs{
		Test: pulumi.String("StringLike"), Variable: pulumi.String("iam:PermissionsBoundary"), Values: pulumi.StringArray{pulumi.String(r.boundaryARN())},
	}}
	denyBoundaryChanges := statement("KeepBoundaries", DeniedIdentityActions, pulumi.String("*"))
	denyBoundaryChanges.Effect = pulumi.String("Deny")
	denyCIRoles := statement("KeepCIRolesAndBoundary", []string{"iam:Create*", "iam:Delete*", "iam:Put*", "iam:Update*",
		"iam:Attach*", "iam:Detach*", "iam:SetDefaultPolicyVersion"}, r.ciRoleARNs(), pulumi.String(r.boundaryARN()))
	denyCIRoles.Effect = pulumi.String("Deny")
	return iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
		Statements: iam.GetPolicyDocumentStatementArray{
			statement("StackBuckets", DeployBucketActions, r.bucketARNs()...),
			statement("StackLockTable", DeployTableActions, r.tableARN()),
			bounded,
			statement("StackIdentities", DeployIdentityOtherActions, r.identityARNs()...),
			statement("ReadBoundary", []string{"iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyTags", "iam:ListPolicyVersions"},
				pulumi.String(r.boundaryARN())),
			statement("GitHubOIDCProvider", DeployOIDCActions, pulumi.String(oidcProviderARNPattern)),
			createKey,
			r.stackKeys("StackKeys", DeployKeyActions),
			statement("PulumiStateBucket", StateListActions, pulumi.String(r.stateBucketARN())),
			statement("PulumiStateMeta", StateReadActions, pulumi.String(r.stateBucketARN()+"/.pulumi/meta.yaml")),
			statement("PulumiState", StateWriteActions, r.stateFiles("stacks", "history", "backups", "locks")...),
			statement("PublishOutputs", []string{"s3:PutObject"}, pulumi.String(r.outputsObjectARN())),
			denyBoundaryChanges,
			denyCIRoles,
		},
	}, pulumi.Parent(parent))
}

// previewPolicy reads what deployPolicy manages (preview --refresh), and the stack's state; it writes
// only the stack's lock files.
func previewPolicy(ctx *pulumi.Context, parent pulumi.Resource, a *Args) iam.GetPolicyDocumentResultOutput {
	r := a.CI
	return iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
		Statements: iam.GetPolicyDocumentStatementArray{
			statement("ReadStackBuckets", PreviewBucketActions, r.bucketARNs()...),
			statement("ReadStackLockTable", PreviewTableActions, r.tableARN()),
			statement("ReadStackIdentities", PreviewIdentityActions, append(r.identityARNs(), pulumi.String(oidcProviderARNPattern),
				pulumi.String(r.boundaryARN()))...),
			r.stackKeys("ReadStackKeys", PreviewKeyActions),
			statement("PulumiStateBucket", StateListActions, pulumi.String(r.stateBucketARN())),
			statement("ReadPulumiState", StateReadActions, append(r.stateFiles("stacks", "history", "backups"),
				pulumi.String(r.stateBucketARN()+"/.pulumi/meta.yaml"))...),
			statement("PulumiStateLocks", StateWriteActions, r.stateFiles("locks")...),
		},
	}, pulumi.Parent(parent))
}
