// Package awsiam builds the platform's AWS identities (guide Part 1, "IAM Policy" and "GitHub OIDC for Chain
// Configs"): the control plane's IAM user with a least-privilege inline policy over exactly the state bucket,
// the chain-config bucket and the lock table, its access key (the secret half a Pulumi secret), and optionally
// the GitHub OIDC provider and the role that a repository's release workflow assumes to publish chain configs.
//
// Policies are built with aws.iam.getPolicyDocument from typed statements, never hand-written JSON, so a
// typo is a compile error and the tests can read back the actions and resources granted.
package awsiam
