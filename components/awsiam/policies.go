package awsiam

import (
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Actions granted; the tests compare policies against these lists.
var (
	BucketListActions    = []string{"s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket"}
	StateObjectActions   = []string{"s3:DeleteObject", "s3:GetObject", "s3:PutObject"}
	ReadObjectActions    = []string{"s3:GetObject"}
	LockTableActions     = []string{"dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem"}
	ReleaseObjectActions = []string{"s3:DeleteObject", "s3:GetObject", "s3:PutObject"}
)

func statement(sid string, actions []string, resources ...pulumi.StringInput) iam.GetPolicyDocumentStatementArgs {
	res := pulumi.StringArray{}
	for _, r := range resources {
		res = append(res, r)
	}
	return iam.GetPolicyDocumentStatementArgs{
		Sid:       pulumi.String(sid),
		Effect:    pulumi.String("Allow"),
		Actions:   pulumi.ToStringArray(actions),
		Resources: res,
	}
}

// controlPlanePolicy grants the control plane Terraform state read-write, the lock table, and chain configs
// read-only; nothing else in the account.
func controlPlanePolicy(ctx *pulumi.Context, parent pulumi.Resource, a *Args) iam.GetPolicyDocumentResultOutput {
	return iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
		Statements: iam.GetPolicyDocumentStatementArray{
			statement("ListPlatformBuckets", BucketListActions, a.StateBucketARN, a.ChainConfigBucketARN),
			statement("TerraformState", StateObjectActions, pulumi.Sprintf("%s/*", a.StateBucketARN)),
			statement("ReadChainConfigs", ReadObjectActions, pulumi.Sprintf("%s/*", a.ChainConfigBucketARN)),
			statement("TerraformLocks", LockTableActions, a.LockTableARN),
		},
	}, pulumi.Parent(parent))
}

// releasePolicy lets the release workflow publish chain configs and nothing else.
func releasePolicy(ctx *pulumi.Context, parent pulumi.Resource, a *Args) iam.GetPolicyDocumentResultOutput {
	return iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
		Statements: iam.GetPolicyDocumentStatementArray{
			statement("ListChainConfigs", BucketListActions, a.ChainConfigBucketARN),
			statement("PublishChainConfigs", ReleaseObjectActions, pulumi.Sprintf("%s/*", a.ChainConfigBucketARN)),
		},
	}, pulumi.Parent(parent))
}
