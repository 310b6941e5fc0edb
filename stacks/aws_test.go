package stacks_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoodcloud/infra/internal/testkit"
)

type policyDoc struct {
	Statement []struct {
		Sid       string
		Effect    string
		Action    []string
		Resource  []string
		Principal map[string][]string
		Condition map[string]map[string][]string
	}
}

func parsePolicy(t *testing.T, s string) policyDoc {
	t.Helper()
	var d policyDoc
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("policy %q: %v", s, err)
	}
	return d
}

func TestControlPlanePolicyIsLeastPrivilege(t *testing.T) {
	r := runStack(t, "prod")
	p, ok := r.rec.Named("aws:iam/userPolicy:UserPolicy", "iam-control-plane-policy")
	if !ok {
		t.Fatal("no control-plane policy")
	}
	state, chain := "arn:aws:s3:::hoodcloud-prod-terraform-state", "arn:aws:s3:::hoodcloud-prod-chain-configs"
	table := "arn:aws:dynamodb:eu-central-1:123456789012:table/hoodcloud-prod-terraform-locks"
	type grant struct{ Effect, Actions, Resources string }
	got := map[string]grant{}
	for _, s := range parsePolicy(t, str(p.Inputs, "policy")).Statement {
		a, _ := json.Marshal(s.Action)
		res, _ := json.Marshal(s.Resource)
		got[s.Sid] = grant{s.Effect, string(a), string(res)}
	}
	want := map[string]grant{
		"ListPlatformBuckets": {"Allow", `["s3:GetBucketLocation","s3:GetBucketVersioning","s3:ListBucket"]`, `["` + chain + `","` + state + `"]`},
		"TerraformState":      {"Allow", `["s3:DeleteObject","s3:GetObject","s3:PutObject"]`, `["` + state + `/*"]`},
		"ReadChainConfigs":    {"Allow", `["s3:GetObject"]`, `["` + chain + `/*"]`},
		"TerraformLocks":      {"Allow", `["dynamodb:DeleteItem","dynamodb:DescribeTable","dynamodb:GetItem","dynamodb:PutItem"]`, `["` + table + `"]`},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("control-plane policy (-want +got):\n%s", d)
	}
}

func TestReleaseRoleTrustsOnlyTheRepositoryRefs(t *testing.T) {
	r := runStack(t, "prod")
	role, ok := r.rec.Named("aws:iam/role:Role", "iam-release-role")
	if !ok {
		t.Fatal("no release role in prod")
	}
	trust := parsePolicy(t, str(role.Inputs, "assumeRolePolicy"))
	if len(trust.Statement) != 1 {
		t.Fatalf("trust policy has %d statements", len(trust.Statement))
	}
	s := trust.Statement[0]
	if d := cmp.Diff([]string{"sts:AssumeRoleWithWebIdentity"}, s.Action); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff(map[string][]string{"Federated": {"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}}, s.Principal); d != "" {
		t.Error(d)
	}
	wantCond := map[string]map[string][]string{
		"StringEquals": {"token.actions.githubusercontent.com:aud": {"sts.amazonaws.com"}},
		"StringLike": {"token.actions.githubusercontent.com:sub": {
			"repo:hoodcloud/chain-configs:ref:refs/heads/main", "repo:hoodcloud/chain-configs:ref:refs/tags/chain-configs-*"}},
	}
	if d := cmp.Diff(wantCond, s.Condition); d != "" {
		t.Errorf("trust conditions (-want +got):\n%s", d)
	}
	rp, _ := r.rec.Named("aws:iam/rolePolicy:RolePolicy", "iam-release-policy")
	for _, st := range parsePolicy(t, str(rp.Inputs, "policy")).Statement {
		for _, res := range st.Resource {
			if res != "arn:aws:s3:::hoodcloud-prod-chain-configs" && res != "arn:aws:s3:::hoodcloud-prod-chain-configs/*" {
				t.Errorf("release role reaches %s", res)
			}
		}
	}
	// Staging leaves GitHub OIDC off.
	if _, ok := runStack(t, "staging").rec.Named("aws:iam/role:Role", "iam-release-role"); ok {
		t.Error("staging has a release role though githubRepository is empty")
	}
}

func TestExistingOIDCProviderIsReused(t *testing.T) {
	arn := "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	r, err := runConfig(t, stackConfig(t, "prod").With("githubOidcProviderArn", arn))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.rec.OfType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")); n != 0 {
		t.Errorf("created %d OIDC providers though one was given", n)
	}
	role, _ := r.rec.Named("aws:iam/role:Role", "iam-release-role")
	if got := parsePolicy(t, str(role.Inputs, "assumeRolePolicy")).Statement[0].Principal["Federated"]; !cmp.Equal(got, []string{arn}) {
		t.Errorf("trust principal %v, want %s", got, arn)
	}
}

func TestBucketsAreHardened(t *testing.T) {
	for _, stack := range []string{"prod", "staging"} {
		r := runStack(t, stack)
		for _, b := range []string{"storage-state", "storage-chain-configs"} {
			bucket, ok := r.rec.Named("aws:s3/bucket:Bucket", b)
			if !ok {
				t.Fatalf("%s: no bucket %s", stack, b)
			}
			arn := "arn:aws:s3:::" + bucket.Inputs["bucket"].StringValue()
			child := func(typ, suffix string) map[string]any {
				g, ok := r.rec.Named(typ, b+suffix)
				if !ok {
					t.Fatalf("%s: %s has no %s", stack, b, suffix)
				}
				if !r.rec.DependsOn(g, bucket.URN) {
					t.Errorf("%s: %s%s does not reference its bucket", stack, b, suffix)
				}
				return g.Inputs.Mappable()
			}
			v := child("aws:s3/bucketVersioning:BucketVersioning", "-versioning")
			if got := v["versioningConfiguration"].(map[string]any)["status"]; got != "Enabled" {
				t.Errorf("%s %s versioning %v", stack, b, got)
			}
			e := child("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "-encryption")
			rule := e["rules"].([]any)[0].(map[string]any)
			if got := rule["applyServerSideEncryptionByDefault"].(map[string]any)["sseAlgorithm"]; got != "aws:kms" {
				t.Errorf("%s %s encryption %v", stack, b, got)
			}
			pab := child("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "-public-access")
			for _, f := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
				if pab[f] != true {
					t.Errorf("%s %s %s=%v", stack, b, f, pab[f])
				}
			}
			own := child("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "-ownership")
			if got := own["rule"].(map[string]any)["objectOwnership"]; got != "BucketOwnerEnforced" {
				t.Errorf("%s %s ownership %v", stack, b, got)
			}
			pol := child("aws:s3/bucketPolicy:BucketPolicy", "-tls-only")
			doc := parsePolicy(t, pol["policy"].(string))
			s := doc.Statement[0]
			if s.Effect != "Deny" || !cmp.Equal(s.Condition, map[string]map[string][]string{"Bool": {"aws:SecureTransport": {"false"}}}) ||
				!cmp.Equal(s.Resource, []string{arn, arn + "/*"}) {
				t.Errorf("%s %s policy does not deny non-TLS access: %+v", stack, b, s)
			}
			lc := child("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "-lifecycle")
			lr := lc["rules"].([]any)[0].(map[string]any)
			if lr["status"] != "Enabled" || lr["noncurrentVersionExpiration"].(map[string]any)["noncurrentDays"] != float64(90) {
				t.Errorf("%s %s lifecycle %v", stack, b, lr)
			}
		}
	}
}

func TestLockTable(t *testing.T) {
	r := runStack(t, "staging")
	tbl, _ := r.rec.Named("aws:dynamodb/table:Table", "storage-locks")
	m := tbl.Inputs.Mappable()
	want := map[string]any{
		"name": "hoodcloud-staging-terraform-locks", "billingMode": "PAY_PER_REQUEST", "hashKey": "LockID",
		"attributes":           []any{map[string]any{"name": "LockID", "type": "S"}},
		"pointInTimeRecovery":  map[string]any{"enabled": true},
		"serverSideEncryption": map[string]any{"enabled": true},
	}
	for k, v := range want {
		if !cmp.Equal(v, m[k]) {
			t.Errorf("lock table %s = %v, want %v", k, m[k], v)
		}
	}
}

// This repository's workflows: the deploy role is trusted only in the stack's GitHub environment (prod's
// has required reviewers) and reaches only the stack's resources and the state backend; the preview role
// is trusted only in the <stack>-read environments (previews, drift, output readers) and writes nothing
// but the backend's locks.
func TestCIRolesAreLeastPrivilege(t *testing.T) {
	r := runStack(t, "prod")
	trustOf := func(name string) map[string]map[string][]string {
		role, ok := r.rec.Named("aws:iam/role:Role", name)
		if !ok {
			t.Fatalf("no role %s", name)
		}
		if got := str(role.Inputs, "name"); got != map[string]string{"iam-ci-deploy-role": "hoodcloud-prod-infra-deploy",
			"iam-ci-preview-role": "hoodcloud-prod-infra-preview", "iam-ci-outputs-role": "hoodcloud-prod-infra-outputs"}[name] {
			t.Errorf("%s is named %s", name, got)
		}
		return parsePolicy(t, str(role.Inputs, "assumeRolePolicy")).Statement[0].Condition
	}
	aud := map[string][]string{"token.actions.githubusercontent.com:aud": {"sts.amazonaws.com"}}
	if d := cmp.Diff(map[string]map[string][]string{"StringEquals": {
		"token.actions.githubusercontent.com:aud": aud["token.actions.githubusercontent.com:aud"],
		"token.actions.githubusercontent.com:sub": {"repo:hoodcloud/infra:environment:prod"}}}, trustOf("iam-ci-deploy-role")); d != "" {
		t.Errorf("deploy trust (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]map[string][]string{"StringEquals": {
		"token.actions.githubusercontent.com:aud": aud["token.actions.githubusercontent.com:aud"],
		"token.actions.githubusercontent.com:sub": {"repo:hoodcloud/infra:environment:prod-preview", "repo:hoodcloud/infra:environment:prod-read"}}}, trustOf("iam-ci-preview-role")); d != "" {
		t.Errorf("preview trust (-want +got):\n%s", d)
	}

	state := "arn:aws:s3:::hoodcloud-pulumi-state/.pulumi/"
	allowed := []string{"arn:aws:s3:::hoodcloud-prod-terraform-state", "arn:aws:s3:::hoodcloud-prod-chain-configs",
		"arn:aws:dynamodb:*:*:table/hoodcloud-prod-terraform-locks",
		"arn:aws:iam::*:user/hoodcloud-prod-*", "arn:aws:iam::*:role/hoodcloud-prod-*", "arn:aws:iam::*:policy/hoodcloud-prod-permissions-boundary",
		"arn:aws:iam::*:oidc-provider/token.actions.githubusercontent.com", "arn:aws:kms:*:*:key/*",
		"arn:aws:s3:::hoodcloud-pulumi-state", state + "meta.yaml", state + "stacks/hoodcloud/prod.json*",
		state + "history/hoodcloud/prod/*", state + "backups/hoodcloud/prod/*", state + "locks/hoodcloud/prod/*",
		"arn:aws:s3:::hoodcloud-pulumi-state/outputs/hoodcloud/prod.json"}
	sids := map[string]map[string]bool{}
	for _, name := range []string{"iam-ci-deploy-policy", "iam-ci-preview-policy"} {
		p, ok := r.rec.Named("aws:iam/rolePolicy:RolePolicy", name)
		if !ok {
			t.Fatalf("no policy %s", name)
		}
		sids[name] = map[string]bool{}
		for _, s := range parsePolicy(t, str(p.Inputs, "policy")).Statement {
			sids[name][s.Sid+"/"+s.Effect] = true
			if s.Effect == "Deny" {
				continue
			}
			for _, res := range s.Resource {
				switch {
				case res == "*":
					if s.Sid != "CreateAutoUnsealKey" || s.Condition["StringEquals"]["aws:RequestTag/Stack"][0] != "prod" {
						t.Errorf("%s/%s reaches every resource", name, s.Sid)
					}
				case !slices.Contains(allowed, res):
					t.Errorf("%s/%s reaches %s", name, s.Sid, res)
				case res == "arn:aws:kms:*:*:key/*" && s.Condition["StringEquals"]["aws:ResourceTag/Stack"][0] != "prod":
					t.Errorf("%s/%s reaches KMS keys of other stacks", name, s.Sid)
				}
			}
			if s.Sid == "BoundedStackIdentities" && s.Condition["StringLike"]["iam:PermissionsBoundary"][0] != "arn:aws:iam::*:policy/hoodcloud-prod-permissions-boundary" {
				t.Errorf("identities are created or given policies without the stack's permissions boundary")
			}
			if s.Sid == "CreateAutoUnsealKey" && !slices.Contains(s.Action, "kms:TagResource") {
				t.Error("CreateKey with tags also needs kms:TagResource under the request-tag condition")
			}
			if name != "iam-ci-preview-policy" {
				continue
			}
			for _, a := range s.Action {
				read := strings.Contains(a, ":Get") || strings.Contains(a, ":List") || strings.Contains(a, ":Describe")
				if !read && !slices.Equal(s.Resource, []string{state + "locks/hoodcloud/prod/*"}) {
					t.Errorf("the preview role may %s on %v", a, s.Resource)
				}
			}
		}
	}
	// Other repositories (stackOutputReaders) get a role of their own that reads the published outputs and
	// nothing else: not the state, whose secrets the passphrase would open.
	if d := cmp.Diff(map[string]map[string][]string{"StringEquals": {
		"token.actions.githubusercontent.com:aud": aud["token.actions.githubusercontent.com:aud"],
		"token.actions.githubusercontent.com:sub": {"repo:hoodcloud/platform:environment:prod-read"}}}, trustOf("iam-ci-outputs-role")); d != "" {
		t.Errorf("outputs role trust (-want +got):\n%s", d)
	}
	op, _ := r.rec.Named("aws:iam/rolePolicy:RolePolicy", "iam-ci-outputs-policy")
	if st := parsePolicy(t, str(op.Inputs, "policy")).Statement; len(st) != 1 || !slices.Equal(st[0].Action, []string{"s3:GetObject"}) ||
		!slices.Equal(st[0].Resource, []string{"arn:aws:s3:::hoodcloud-pulumi-state/outputs/hoodcloud/prod.json"}) {
		t.Errorf("outputs role policy %+v", st)
	}
	// The deploy role can neither lift a boundary nor change the CI roles or the boundary itself.
	for _, sid := range []string{"KeepBoundaries/Deny", "KeepCIRolesAndBoundary/Deny", "BoundedStackIdentities/Allow"} {
		if !sids["iam-ci-deploy-policy"][sid] {
			t.Errorf("the deploy policy lacks %s", sid)
		}
	}
	// Every identity the stack manages carries the boundary.
	user, _ := r.rec.Named("aws:iam/user:User", "iam-control-plane")
	release, _ := r.rec.Named("aws:iam/role:Role", "iam-release-role")
	for _, g := range []testkit.Registration{user, release} {
		if !strings.HasSuffix(str(g.Inputs, "permissionsBoundary"), ":policy/hoodcloud-prod-permissions-boundary") {
			t.Errorf("%s has no permissions boundary: %v", g.Name, g.Inputs["permissionsBoundary"])
		}
	}
	if _, ok := runStack(t, "prod").outputs.Value("infraDeployRoleArn"); !ok {
		t.Error("no infraDeployRoleArn output")
	}
}
