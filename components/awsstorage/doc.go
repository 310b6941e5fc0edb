// Package awsstorage builds the platform's AWS storage (guide Part 1): the S3 buckets that hold Terraform
// state for node provisioning and the chain-config releases, and the DynamoDB table that locks that state.
//
// Every bucket is hardened the same way (versioning, default encryption, owner-enforced objects, all public
// access blocked, TLS-only bucket policy, expiry of old noncurrent versions), because a bucket that misses one
// of these is how state leaks or grows without bound. Everything here is stateful: with Protect set (prod)
// Pulumi refuses to delete any of it.
package awsstorage
