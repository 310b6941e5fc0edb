package awsstorage

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/dynamodb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:aws:Storage"

// Args configures the storage. Names are plain strings: they decide which resources exist.
type Args struct {
	StateBucket           string
	ChainConfigBucket     string
	LockTable             string
	NoncurrentVersionDays int
	Protect               bool
	Tags                  map[string]string
}

// Validate reports every problem at once.
func (a *Args) Validate() error {
	var errs []error
	if a.StateBucket == "" {
		errs = append(errs, errors.New("hoodcloud:stateBucketName: expected a bucket name, found none"))
	}
	if a.ChainConfigBucket == "" {
		errs = append(errs, errors.New("hoodcloud:chainConfigBucketName: expected a bucket name, found none"))
	}
	if a.LockTable == "" {
		errs = append(errs, errors.New("hoodcloud:lockTableName: expected a table name, found none"))
	}
	if a.NoncurrentVersionDays < 1 {
		errs = append(errs, fmt.Errorf("hoodcloud:noncurrentVersionExpirationDays: expected at least 1 day, found %d", a.NoncurrentVersionDays))
	}
	return errors.Join(errs...)
}

// Storage is the platform's S3 buckets and lock table.
type Storage struct {
	pulumi.ResourceState

	StateBucket       *Bucket
	ChainConfigBucket *Bucket
	LockTableName     pulumi.StringOutput
	LockTableARN      pulumi.StringOutput
}

// New creates the buckets and the lock table.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Storage, error) {
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	s := &Storage{}
	if err := component.Register(ctx, TypeToken, name, s, opts...); err != nil {
		return nil, err
	}
	var err error
	bucket := bucketSpec{days: args.NoncurrentVersionDays, protect: args.Protect, tags: args.Tags}
	if s.StateBucket, err = newBucket(ctx, s, name+"-state", args.StateBucket, bucket); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	if s.ChainConfigBucket, err = newBucket(ctx, s, name+"-chain-configs", args.ChainConfigBucket, bucket); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	table, err := dynamodb.NewTable(ctx, name+"-locks", &dynamodb.TableArgs{
		Name:        pulumi.String(args.LockTable),
		BillingMode: pulumi.String("PAY_PER_REQUEST"),
		HashKey:     pulumi.String("LockID"),
		Attributes: dynamodb.TableAttributeArray{
			dynamodb.TableAttributeArgs{Name: pulumi.String("LockID"), Type: pulumi.String("S")},
		},
		PointInTimeRecovery:       dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		ServerSideEncryption:      dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true)},
		DeletionProtectionEnabled: pulumi.Bool(args.Protect),
		Tags:                      pulumi.ToStringMap(args.Tags),
	}, component.Child(s, pulumi.Protect(args.Protect))...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	s.LockTableName = table.Name
	s.LockTableARN = table.Arn
	return s, component.Finish(ctx, TypeToken, name, s, pulumi.Map{
		"stateBucket":       s.StateBucket.Name,
		"chainConfigBucket": s.ChainConfigBucket.Name,
		"lockTable":         s.LockTableName,
	})
}
