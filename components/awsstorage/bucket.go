package awsstorage

import (
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
)

// Bucket is one hardened S3 bucket.
type Bucket struct {
	Name pulumi.StringOutput
	ARN  pulumi.StringOutput
}

type bucketSpec struct {
	days    int
	protect bool
	tags    map[string]string
}

// newBucket creates a bucket and the five resources that harden it, all children of parent.
func newBucket(ctx *pulumi.Context, parent pulumi.Resource, name, bucketName string, spec bucketSpec) (*Bucket, error) {
	b, err := s3.NewBucket(ctx, name, &s3.BucketArgs{
		Bucket: pulumi.String(bucketName),
		Tags:   pulumi.ToStringMap(spec.tags),
	}, component.Child(parent, pulumi.Protect(spec.protect))...)
	if err != nil {
		return nil, err
	}
	child := component.Child(parent)
	if _, err := s3.NewBucketVersioning(ctx, name+"-versioning", &s3.BucketVersioningArgs{
		Bucket:                  b.ID(),
		VersioningConfiguration: s3.BucketVersioningVersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, child...); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketServerSideEncryptionConfiguration(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationArgs{
		Bucket: b.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationRuleArray{
			s3.BucketServerSideEncryptionConfigurationRuleArgs{
				ApplyServerSideEncryptionByDefault: s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs{
					SseAlgorithm: pulumi.String("aws:kms"),
				},
				BucketKeyEnabled: pulumi.Bool(true),
			},
		},
	}, child...); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: b.ID(),
		Rule:   s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, child...); err != nil {
		return nil, err
	}
	pab, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                b.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, child...)
	if err != nil {
		return nil, err
	}
	policy := iam.GetPolicyDocumentOutput(ctx, iam.GetPolicyDocumentOutputArgs{
		Statements: iam.GetPolicyDocumentStatementArray{
			iam.GetPolicyDocumentStatementArgs{
				Sid:       pulumi.String("DenyInsecureTransport"),
				Effect:    pulumi.String("Deny"),
				Actions:   pulumi.StringArray{pulumi.String("s3:*")},
				Resources: pulumi.StringArray{b.Arn, pulumi.Sprintf("%s/*", b.Arn)},
				Principals: iam.GetPolicyDocumentStatementPrincipalArray{
					iam.GetPolicyDocumentStatementPrincipalArgs{Type: pulumi.String("*"), Identifiers: pulumi.StringArray{pulumi.String("*")}},
				},
				Conditions: iam.GetPolicyDocumentStatementConditionArray{
					iam.GetPolicyDocumentStatementConditionArgs{
						Test: pulumi.String("Bool"), Variable: pulumi.String("aws:SecureTransport"),
						Values: pulumi.StringArray{pulumi.String("false")},
					},
				},
			},
		},
	}, pulumi.Parent(parent))
	// The policy waits for the public-access block: S3 rejects policy writes that race it.
	if _, err := s3.NewBucketPolicy(ctx, name+"-tls-only", &s3.BucketPolicyArgs{
		Bucket: b.ID(),
		Policy: policy.Json(),
	}, component.Child(parent, pulumi.DependsOn([]pulumi.Resource{pab}))...); err != nil {
		return nil, err
	}
	if _, err := s3.NewBucketLifecycleConfiguration(ctx, name+"-lifecycle", &s3.BucketLifecycleConfigurationArgs{
		Bucket: b.ID(),
		Rules: s3.BucketLifecycleConfigurationRuleArray{
			s3.BucketLifecycleConfigurationRuleArgs{
				Id:     pulumi.String("expire-noncurrent-versions"),
				Status: pulumi.String("Enabled"),
				Filter: s3.BucketLifecycleConfigurationRuleFilterArgs{},
				NoncurrentVersionExpiration: s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs{
					NoncurrentDays: pulumi.Int(spec.days),
				},
				AbortIncompleteMultipartUpload: s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs{
					DaysAfterInitiation: pulumi.Int(7),
				},
			},
		},
	}, child...); err != nil {
		return nil, err
	}
	return &Bucket{Name: b.Bucket, ARN: b.Arn}, nil
}
