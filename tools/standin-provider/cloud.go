package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/testkit"
)

// cloud answers for one provider package with the same fakes the mock tests use (internal/testkit), so
// the mock tier and the engine tier see one cloud.
type cloud struct {
	pkg     string
	command testkit.ResourceFunc
	// servers, for hcloud in a rehearsal, makes servers as containers.
	servers *servers
}

func newCloud(pkg, stdoutFile string) (*cloud, error) {
	stdouts := map[string]string{}
	if stdoutFile != "" {
		b, err := os.ReadFile(stdoutFile)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &stdouts); err != nil {
			return nil, fmt.Errorf("%s: %w", stdoutFile, err)
		}
	}
	c := &cloud{pkg: pkg, command: testkit.CommandStdout(stdouts)}
	if f := os.Getenv("HOODCLOUD_REHEARSAL"); f != "" && pkg == "hcloud" {
		servers, err := newServers(f)
		if err != nil {
			return nil, err
		}
		c.servers = servers
	}
	return c, nil
}

// replaceOnChange lists, per type, the properties whose change makes the real provider replace the
// resource rather than update it in place.
var replaceOnChange = map[string][]string{
	"command:remote:Command":                                        {"triggers"},
	"command:local:Command":                                         {"triggers"},
	"hcloud:index/server:Server":                                    {"datacenter", "image", "location", "sshKeys", "userData"},
	"hcloud:index/primaryIp:PrimaryIp":                              {"datacenter", "location", "type"},
	"hcloud:index/sshKey:SshKey":                                    {"publicKey"},
	"hcloud:index/placementGroup:PlacementGroup":                    {"type"},
	"aws:s3/bucket:Bucket":                                          {"bucket", "bucketPrefix"},
	"aws:dynamodb/table:Table":                                      {"name"},
	"aws:iam/accessKey:AccessKey":                                   {"pgpKey", "user"},
	"aws:iam/openIdConnectProvider:OpenIdConnectProvider":           {"url"},
	"aws:kms/key:Key":                                               {"customerMasterKeySpec", "keySpec", "keyUsage"},
	"vault:index/mount:Mount":                                       {"type"},
	"vault:kv/secretV2:SecretV2":                                    {"mount", "name"},
	"vault:appRole/authBackendRoleSecretId:AuthBackendRoleSecretId": {"backend", "cidrLists", "metadata", "roleName", "wrappingTtl"},
}

func (c *cloud) replaces(typ string, changed []string) []string {
	var out []string
	for _, k := range changed {
		if slices.Contains(replaceOnChange[typ], k) {
			out = append(out, k)
		}
	}
	return out
}

// answer is what the cloud returns for a resource created or updated with inputs: its ID and outputs.
// Outputs that came from secret inputs stay secret.
func (c *cloud) answer(urn resource.URN, inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	typ := urn.Type().String()
	fake, ok := testkit.FakeResource(typ)
	if typ == "command:remote:Command" || typ == "command:local:Command" {
		fake, ok = c.command, true
	}
	if !ok {
		return stableID(urn), inputs.Copy(), nil
	}
	id, outs, err := fake(pulumi.MockResourceArgs{TypeToken: typ, Name: urn.Name(), Inputs: plainMap(inputs)})
	if err != nil {
		return "", nil, err
	}
	for k, v := range inputs {
		if v.ContainsSecrets() {
			outs[k] = v
		}
	}
	return id, outs, nil
}

// run journals the command a remote step executes for op, as pulumi-command would: create runs create;
// update runs update, or create when there is none; delete runs delete, if any.
func (c *cloud) run(urn resource.URN, inputs resource.PropertyMap, op string, j journal) {
	if c.pkg != "command" {
		return
	}
	script := map[string]string{"create": "create", "update": "update", "delete": "delete"}[op]
	if op == "update" && !hasString(inputs, "update") {
		script = "create"
	}
	if hasString(inputs, resource.PropertyKey(script)) {
		j.record("run-"+script, urn)
		// The host's Vault is the fake Vault of testkit: running the unseal step unseals it.
		if script != "delete" && strings.HasSuffix(urn.Name(), "vault-unseal") {
			testkit.FakeVaultUnseal()
		}
	}
}

func hasString(m resource.PropertyMap, key resource.PropertyKey) bool {
	v := plain(m[key])
	return v.IsString() && v.StringValue() != ""
}

func (c *cloud) invoke(tok string, args resource.PropertyMap) (resource.PropertyMap, error) {
	fake, ok := testkit.FakeCall(tok)
	if !ok {
		return nil, fmt.Errorf("the %s stand-in does not answer %s", c.pkg, tok)
	}
	return fake(pulumi.MockCallArgs{Token: tok, Args: plainMap(args)})
}
