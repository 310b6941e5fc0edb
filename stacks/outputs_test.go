package stacks_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoodcloud/infra/internal/platform"
	"github.com/hoodcloud/infra/internal/testkit"
	"github.com/hoodcloud/infra/stacks"
)

func TestOutputsContract(t *testing.T) {
	r := runStack(t, "prod")
	cp4 := testkit.FakeIPv4("control-plane-address-ipv4")
	pay4 := testkit.FakeIPv4("payment-address-ipv4")
	want := map[string]any{
		"topology": "two-server", "domain": "hoodcloud.io",
		"controlPlaneIpv4": cp4, "paymentIpv4": pay4,
		"stateBucket": "hoodcloud-prod-terraform-state", "chainConfigBucket": "hoodcloud-prod-chain-configs",
		"lockTable": "hoodcloud-prod-terraform-locks", "awsIamUser": "hoodcloud-prod-control-plane",
		"awsSecretAccessKey":        testkit.FakeAWSSecretAccessKey("iam-control-plane-key"),
		"chainConfigReleaseRoleArn": "arn:aws:iam::123456789012:role/hoodcloud-prod-chain-config-release",
	}
	for k, w := range want {
		if got, _ := r.output(t, k); got != w {
			t.Errorf("output %s = %v, want %v", k, got, w)
		}
	}
	records, _ := r.output(t, "dnsRecords")
	var got []string
	for _, rec := range records.([]any) {
		m := rec.(map[string]any)
		got = append(got, m["type"].(string)+" "+m["name"].(string)+" "+m["value"].(string))
	}
	// No AAAA record: nothing listens on IPv6.
	var wantRecords []string
	for _, n := range []string{"api", "auth", "grafana", "status", "nats", "pay", "agents"} {
		wantRecords = append(wantRecords, "A "+n+".hoodcloud.io "+cp4)
	}
	if d := cmp.Diff(wantRecords, got); d != "" {
		t.Errorf("dnsRecords (-want +got):\n%s", d)
	}
	servers, _ := r.output(t, "servers")
	if n := len(servers.(map[string]any)); n != 2 {
		t.Errorf("prod has %d servers in outputs", n)
	}
	hosts, _ := r.output(t, "sshKnownHosts")
	if l := hosts.([]any); len(l) != 4 || !strings.HasPrefix(l[0].(string), cp4+" ssh-ed25519 ") {
		t.Errorf("sshKnownHosts %v", l)
	}
}

// In staging the single server hosts both roles: every role's address is the same.
func TestStagingCollapsesToOneServer(t *testing.T) {
	r := runStack(t, "staging")
	cp, _ := r.output(t, "controlPlaneIpv4")
	pay, _ := r.output(t, "paymentIpv4")
	if cp != pay || cp != testkit.FakeIPv4("all-in-one-address-ipv4") {
		t.Errorf("staging control plane %v and payment %v should be the one server", cp, pay)
	}
	servers, _ := r.output(t, "servers")
	s := servers.(map[string]any)["all-in-one"].(map[string]any)
	if d := cmp.Diff([]any{"control-plane", "payment", "vault"}, s["roles"]); d != "" {
		t.Errorf("roles of the single server: %s", d)
	}
	if rr, _ := r.output(t, "chainConfigReleaseRoleArn"); rr != "" {
		t.Errorf("staging release role %v, want empty", rr)
	}
}

// The README documents every output and every config key; a new one without documentation fails here.
func TestReadmeDocumentsTheContract(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, spec := range stacks.OutputContract {
		if !strings.Contains(readme, "`"+spec.Key+"`") {
			t.Errorf("README does not document output %s", spec.Key)
		}
	}
	p, err := testkit.LoadProject("..")
	if err != nil {
		t.Fatal(err)
	}
	for k := range p.Config {
		if !strings.Contains(readme, "`"+k+"`") {
			t.Errorf("README does not document config key %s", k)
		}
	}
}

// The agent gateway's address is the Port Reference's public gRPC port, and the CA agents trust is the one
// whose key the control plane reads from Vault.
func TestAgentGatewayOutputs(t *testing.T) {
	r := runStack(t, "prod")
	var port int
	for _, e := range platform.PortReference {
		if strings.HasPrefix(e.Service, "Agent Gateway") {
			port = e.Port
		}
	}
	if addr, _ := r.output(t, "agentGatewayAddress"); addr != "agents.hoodcloud.io:"+strconv.Itoa(port) || port != stacks.AgentGatewayPort {
		t.Errorf("agentGatewayAddress %v, Port Reference port %d", addr, port)
	}
	ca, secret := r.output(t, "agentGatewayCaCert")
	kv, ok := r.rec.Named("vault:kv/secretV2:SecretV2", "vault-secret-control-plane-agent-gateway-ca")
	if !ok {
		t.Fatal("no Vault entry for the agent CA")
	}
	doc := plain(kv.Inputs["dataJson"]).StringValue()
	if secret || !strings.Contains(ca.(string), "BEGIN CERTIFICATE") || !strings.Contains(doc, strings.ReplaceAll(strings.TrimSpace(ca.(string)), "\n", `\n`)) ||
		!strings.Contains(doc, "PRIVATE KEY") || !kv.Inputs["dataJson"].ContainsSecrets() {
		t.Errorf("agent CA output (secret %v) and its Vault entry (secret %v) do not match", secret, kv.Inputs["dataJson"].ContainsSecrets())
	}
}
