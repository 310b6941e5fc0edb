package stacks_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// countByType counts registrations per type token.
func countByType(r *run) map[string]int {
	out := map[string]int{}
	for _, g := range r.rec.Registrations() {
		out[g.Type]++
	}
	return out
}

// Every stack has the same layers; prod doubles what is per server.
func TestInventoryPerStack(t *testing.T) {
	common := map[string]int{
		"hoodcloud:aws:Storage": 1, "aws:s3/bucket:Bucket": 2, "aws:s3/bucketVersioning:BucketVersioning": 2,
		"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 2,
		"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                 2,
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                 2, "aws:s3/bucketPolicy:BucketPolicy": 2,
		"aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 2, "aws:dynamodb/table:Table": 1,
		"hoodcloud:aws:IAM": 1, "aws:iam/user:User": 1, "aws:iam/userPolicy:UserPolicy": 1, "aws:iam/accessKey:AccessKey": 1,
		"hoodcloud:hetzner:Base": 1, "hcloud:index/sshKey:SshKey": 2,
		// PKI: three CAs, four leaves.
		"hoodcloud:pki:PKI": 1, "tls:index/selfSignedCert:SelfSignedCert": 3,
		"tls:index/certRequest:CertRequest": 4, "tls:index/locallySignedCert:LocallySignedCert": 4,
		// NATS (five nkeys), Vault (three consumers, seven secret paths), two compose stacks, the mTLS check.
		"hoodcloud:nats:NATS": 1, "hoodcloud:vault:Vault": 1, "pulumi:providers:vault": 1,
		"vault:index/mount:Mount": 1, "vault:index/policy:Policy": 3, "vault:kv/secretV2:SecretV2": 7,
		"vault:appRole/authBackendRole:AuthBackendRole": 3, "vault:appRole/authBackendRoleSecretId:AuthBackendRoleSecretId": 3,
		"hoodcloud:compose:Stack": 2, "hoodcloud:verify:MTLS": 1,
		// This repository's workflows (infraRepository): the OIDC provider, a deploy and a preview role, and
		// the permissions boundary of every identity the stack manages.
		"aws:iam/openIdConnectProvider:OpenIdConnectProvider": 1, "aws:iam/policy:Policy": 1,
	}
	want := map[string]map[string]int{
		"prod": merge(common, map[string]int{
			// chain-config release role, the deploy and preview roles, the output readers' role
			"aws:iam/role:Role": 4, "aws:iam/rolePolicy:RolePolicy": 4,
			"hcloud:index/placementGroup:PlacementGroup": 1,
			"hoodcloud:hetzner:Address":                  2, "hcloud:index/primaryIp:PrimaryIp": 4,
			"hoodcloud:hetzner:Host": 2, "hcloud:index/server:Server": 2, "hcloud:index/firewall:Firewall": 2,
			// deploy keys (current and next generation), two host keys, five nkeys, seven PKI keys, Vault's
			// init escrow key
			"tls:index/privateKey:PrivateKey": 17,
			// PKI files per server, app files per stack
			"hoodcloud:host:Files": 4, "command:remote:Command": 29,
		}),
		"staging": merge(common, map[string]int{
			"aws:iam/role:Role": 2, "aws:iam/rolePolicy:RolePolicy": 2,
			"hoodcloud:hetzner:Address": 1, "hcloud:index/primaryIp:PrimaryIp": 2,
			"hoodcloud:hetzner:Host": 1, "hcloud:index/server:Server": 1, "hcloud:index/firewall:Firewall": 1,
			"tls:index/privateKey:PrivateKey": 16,
			"hoodcloud:host:Files":            3, "command:remote:Command": 26,
		}),
	}
	for stack, w := range want {
		t.Run(stack, func(t *testing.T) {
			got := countByType(runStack(t, stack))
			if d := cmp.Diff(w, got); d != "" {
				t.Errorf("inventory (-want +got):\n%s", d)
			}
		})
	}
}

// The remote steps of prod, by name: what runs over SSH, in the guide's words.
func TestRemoteStepsOfProd(t *testing.T) {
	want := []string{
		"control-plane-baseline", "payment-baseline", // 2.1, 3.1
		"control-plane-authorized-keys", "payment-authorized-keys", // operators' and deploy keys
		"control-plane-pki-files-install", "payment-pki-files-install", // 2.3, 3.2
		"vault-install", "vault-init", "vault-init-escrow-clear", "vault-unseal", "vault-credential", "vault-revoke-root", // 1b
		"vault-control-plane-approle-files", "vault-payment-approle-files", "vault-certbot-approle-files", // 2.4
		"nats-certbot-install", "nats-certbot-vault-addr", "nats-certbot-issue", // 2.5b
		"control-plane-app-files-install", "payment-app-files-install",
		"control-plane-app-project", "control-plane-app-upload", "control-plane-app-login", "control-plane-app-deploy", // 2.6
		"payment-app-project", "payment-app-upload", "payment-app-login", "payment-app-deploy", // 3.4
		"payment-mtls-check", // 4
	}
	var got []string
	for _, c := range runStack(t, "prod").rec.OfType("command:remote:Command") {
		got = append(got, c.Name)
	}
	if d := cmp.Diff(sorted(want), sorted(got)); d != "" {
		t.Errorf("remote steps (-want +got):\n%s", d)
	}
}

func merge(a, b map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Every provider resource lives inside a HoodCloud component and every component hangs off the stack: a
// missing Parent would show up as a resource parented to the stack directly.
func TestEveryResourceHasAComponentParent(t *testing.T) {
	for _, stack := range []string{"prod", "staging"} {
		r := runStack(t, stack)
		for _, g := range r.rec.Registrations() {
			parentType := ""
			if p, ok := r.rec.ByURN(g.Parent); ok {
				parentType = p.Type
			}
			if strings.HasPrefix(g.Type, "hoodcloud:") {
				if !strings.HasSuffix(g.Parent, "pulumi:pulumi:Stack::hoodcloud-"+stack) {
					t.Errorf("%s: component %s parented to %q, want the stack", stack, g.URN, g.Parent)
				}
				continue
			}
			if !strings.HasPrefix(parentType, "hoodcloud:") {
				t.Errorf("%s: %s parented to %q (type %q), want a hoodcloud component", stack, g.URN, g.Parent, parentType)
			}
			// Children are named after their component.
			if p, ok := r.rec.ByURN(g.Parent); ok && !strings.HasPrefix(g.Name, p.Name+"-") {
				t.Errorf("%s: child %q of %q is not named after its component", stack, g.Name, p.Name)
			}
		}
	}
}

// Stateful resources are protected in prod and nowhere else; nothing stateless is ever protected.
func TestProtectionFollowsStackAndState(t *testing.T) {
	stateful := []string{
		"aws:s3/bucket:Bucket", "aws:dynamodb/table:Table", "hcloud:index/primaryIp:PrimaryIp",
		"hcloud:index/server:Server", "vault:index/mount:Mount",
	}
	for _, stack := range []string{"prod", "staging"} {
		r := runStack(t, stack)
		for _, g := range r.rec.Registrations() {
			// Host keys pin SSH; CA keys and certificates anchor every certificate issued under them.
			isStateful := slices.Contains(stateful, g.Type) || strings.HasSuffix(g.Name, "-host-key") ||
				strings.HasSuffix(g.Name, "-ca-key") || strings.HasSuffix(g.Name, "-ca-cert") ||
				strings.HasSuffix(g.Name, "-nkey") || // NATS operator/account identities: agents and users are issued under them
				strings.HasSuffix(g.Name, "-app-project") || // a stack's anchor: its directory on the server
				g.Name == "vault-init" || // its stdout is the only copy of the unseal keys
				g.Name == "vault-init-escrow-key" // it opens the host's escrow of that copy
			want := stack == "prod" && isStateful
			if g.Protect != want {
				t.Errorf("%s: %s protect=%v, want %v", stack, g.URN, g.Protect, want)
			}
		}
		for _, s := range r.rec.OfType("hcloud:index/server:Server") {
			for _, flag := range []string{"deleteProtection", "rebuildProtection"} {
				if got := s.Inputs[key(flag)].BoolValue(); got != (stack == "prod") {
					t.Errorf("%s: %s %s=%v", stack, s.Name, flag, got)
				}
			}
		}
		for _, tbl := range r.rec.OfType("aws:dynamodb/table:Table") {
			if got := tbl.Inputs["deletionProtectionEnabled"].BoolValue(); got != (stack == "prod") {
				t.Errorf("%s: lock table deletionProtectionEnabled=%v", stack, got)
			}
		}
	}
}

func sorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}
