package stacks

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/components/pki"
	"github.com/hoodcloud/infra/internal/platform"
)

// OutputSpec documents one stack output: the contract operators' CI reads with `pulumi stack output`.
type OutputSpec struct {
	Key         string
	Secret      bool
	Description string
}

// OutputContract lists every stack output in export order. Removing or renaming a key breaks consumers;
// the README's outputs table is checked against this list by the tests.
var OutputContract = []OutputSpec{
	{Key: "topology", Description: "two-server (prod) or single-server (staging)"},
	{Key: "domain", Description: "the platform's DNS domain"},
	{Key: "servers", Description: "per server: id, ipv4, ipv6, roles, SSH host public key"},
	{Key: "controlPlaneIpv4", Description: "public IPv4 of the server hosting the control plane"},
	{Key: "controlPlaneIpv6", Description: "public IPv6 of the server hosting the control plane"},
	{Key: "paymentIpv4", Description: "public IPv4 of the server hosting the payment service"},
	{Key: "paymentIpv6", Description: "public IPv6 of the server hosting the payment service"},
	{Key: "sshKnownHosts", Description: "known_hosts lines pinning every server's SSH host key"},
	{Key: "dnsRecords", Description: "the A records operators must create (name, type, value); no AAAA: the services listen on IPv4"},
	{Key: "stateBucket", Description: "S3 bucket of Terraform state (node provisioning)"},
	{Key: "chainConfigBucket", Description: "S3 bucket of chain-config releases"},
	{Key: "lockTable", Description: "DynamoDB table of Terraform state locks"},
	{Key: "awsIamUser", Description: "the control plane's IAM user"},
	{Key: "awsAccessKeyId", Description: "the control plane's access key id"},
	{Key: "awsSecretAccessKey", Secret: true, Description: "the control plane's secret access key"},
	{Key: "chainConfigReleaseRoleArn", Description: "role the GitHub release workflow assumes; empty when GitHub OIDC is off"},
	{Key: "infraDeployRoleArn", Description: "role this repository's deploy workflows assume (environment <stack>); empty without infraRepository"},
	{Key: "infraPreviewRoleArn", Description: "read-only role of the PR preview and drift workflows (environments <stack>-preview, <stack>-read); empty without infraRepository"},
	{Key: "infraOutputsRoleArn", Description: "role of stackOutputReaders' workflows: reads only the outputs the deploy publishes; empty without readers"},
	{Key: "vaultAddress", Description: "Vault's API address"},
	{Key: "vaultCaCert", Description: "PEM of the CA that signs Vault's certificate"},
	{Key: "vaultInitJson", Secret: true, Description: "vault operator init output: unseal or recovery keys, first root token"},
	{Key: "vaultRootTokenRevoked", Description: "true once bootstrap revoked the root token"},
	{Key: "natsUrl", Description: "NATS for the control plane's services (TLS, 4222)"},
	{Key: "natsPaymentUrl", Description: "NATS for the payment service (TLS, 4223)"},
	{Key: "natsCtrlAccountPub", Description: "public key of the CTRL account (NATS_CTRL_ACCOUNT_PUB)"},
	{Key: "paymentGrpcAddress", Description: "the payment service's gRPC (mTLS) endpoint"},
	{Key: "agentGatewayAddress", Description: "where agents dial the agent gateway (agents.<domain>:9090, mTLS)"},
	{Key: "agentGatewayCaCert", Description: "PEM of the agent CA: agents verify the gateway with it, and the control plane issues agents' client certificates with its key from Vault"},
	{Key: "stripeWebhookUrl", Description: "endpoint to register in the Stripe dashboard"},
	{Key: "stripeWebhookEvents", Description: "events the Stripe webhook must send"},
	{Key: "deployedVersion", Description: "tag of HoodCloud's images that the last up deployed"},
	{Key: "deployReceipts", Description: "per compose stack (controlPlane, payment): bundleHash, deployedAt (when its deploy step last succeeded), migrate, images and health per service"},
}

// StripeWebhookEvents are the events the payment service handles (guide, Stripe Setup).
var StripeWebhookEvents = []string{
	"checkout.session.completed",
	"checkout.session.async_payment_succeeded",
	"checkout.session.async_payment_failed",
	"checkout.session.expired",
}

// DNSNames are the names that must point at the control plane (guide Prerequisites and 2.5b); `agents.`
// is the agent gateway's (mTLS, public 9090); `pay.`
// carries the Stripe webhook through Caddy.
var DNSNames = []string{"api", "auth", "grafana", "status", "nats", "pay", "agents"}

// Outputs holds the values of the contract.
type Outputs struct {
	values map[string]pulumi.Input
}

func (o *Outputs) set(key string, v pulumi.Input) { o.values[key] = v }

// Value returns the value of key, for tests.
func (o *Outputs) Value(key string) (pulumi.Input, bool) {
	v, ok := o.values[key]
	return v, ok
}

// Export exports every key of the contract, in contract order. A key without a value, or a value
// without a key, is a programming error reported here rather than a silently missing output.
func (o *Outputs) Export(ctx *pulumi.Context) error {
	if len(o.values) != len(OutputContract) {
		return fmt.Errorf("stack outputs: %d values for %d contract keys", len(o.values), len(OutputContract))
	}
	for _, spec := range OutputContract {
		v, ok := o.values[spec.Key]
		if !ok {
			return fmt.Errorf("stack outputs: no value for contract key %q", spec.Key)
		}
		if spec.Secret {
			v = pulumi.ToSecret(v)
		}
		ctx.Export(spec.Key, v)
	}
	return nil
}

func (g *graph) outputs() *Outputs {
	o := &Outputs{values: map[string]pulumi.Input{}}
	cp := g.topo.HostOf(platform.ControlPlane).Name
	pay := g.topo.HostOf(platform.Payment).Name
	o.set("topology", pulumi.String(string(g.topo.Kind)))
	o.set("domain", pulumi.String(g.cfg.Domain))
	servers := pulumi.Map{}
	knownHosts := pulumi.StringArray{}
	for _, h := range g.topo.Hosts {
		host, addr := g.hosts[h.Name], g.addrs[h.Name]
		roles := pulumi.StringArray{}
		for _, r := range h.Roles {
			roles = append(roles, pulumi.String(string(r)))
		}
		servers[h.Name] = pulumi.Map{
			"serverId": host.ServerID, "ipv4": addr.IPv4, "ipv6": addr.IPv6,
			"roles": roles, "hostPublicKey": host.HostPublicKey,
		}
		knownHosts = append(knownHosts, pulumi.Sprintf("%s %s", addr.IPv4, host.HostPublicKey),
			pulumi.Sprintf("%s %s", addr.IPv6, host.HostPublicKey))
	}
	o.set("servers", servers)
	o.set("sshKnownHosts", knownHosts)
	o.set("controlPlaneIpv4", g.addrs[cp].IPv4)
	o.set("controlPlaneIpv6", g.addrs[cp].IPv6)
	o.set("paymentIpv4", g.addrs[pay].IPv4)
	o.set("paymentIpv6", g.addrs[pay].IPv6)
	// A records only: the services publish their ports on IPv4 (Docker's published ports here bind no IPv6
	// listener), so an AAAA record would send IPv6-preferring clients to a closed port.
	records := pulumi.Array{}
	for _, n := range DNSNames {
		records = append(records,
			pulumi.Map{"name": pulumi.String(n + "." + g.cfg.Domain), "type": pulumi.String("A"), "value": g.addrs[cp].IPv4})
	}
	o.set("dnsRecords", records)
	o.set("stateBucket", g.storage.StateBucket.Name)
	o.set("chainConfigBucket", g.storage.ChainConfigBucket.Name)
	o.set("lockTable", g.storage.LockTableName)
	o.set("awsIamUser", g.iam.UserName)
	o.set("awsAccessKeyId", g.iam.AccessKeyID)
	o.set("awsSecretAccessKey", g.iam.SecretAccessKey)
	o.set("chainConfigReleaseRoleArn", g.iam.ReleaseRoleARN)
	o.set("infraDeployRoleArn", g.iam.CIDeployRoleARN)
	o.set("infraPreviewRoleArn", g.iam.CIPreviewRoleARN)
	o.set("infraOutputsRoleArn", g.iam.CIOutputsRoleARN)
	o.set("vaultAddress", g.secrets.Address)
	o.set("vaultCaCert", g.secrets.CACertPEM)
	o.set("vaultInitJson", g.secrets.InitOutput)
	o.set("vaultRootTokenRevoked", g.secrets.RootTokenRevoked)
	o.set("natsUrl", pulumi.String(g.messaging.URL))
	o.set("natsPaymentUrl", pulumi.String(g.messaging.PaymentURL))
	o.set("natsCtrlAccountPub", g.messaging.CtrlAccountPublicKey)
	o.set("paymentGrpcAddress", g.paymentGRPCAddr())
	o.set("agentGatewayAddress", pulumi.String(pki.AgentGatewayName(g.cfg.Domain)+":"+strconv.Itoa(AgentGatewayPort)))
	o.set("agentGatewayCaCert", g.certs.AgentGatewayCAPEM)
	o.set("stripeWebhookUrl", pulumi.String("https://pay."+g.cfg.Domain+"/webhooks/stripe"))
	o.set("stripeWebhookEvents", pulumi.ToStringArray(StripeWebhookEvents))
	// Exported only once the deploys ran: CI reading it knows the version is live, not merely planned.
	// The deploy logs are secret (they quote the services); the version they gate is not.
	o.set("deployedVersion", pulumi.Unsecret(pulumi.All(g.controlPlane.DeployLog, g.payment.DeployLog, g.mtls.Result).ApplyT(
		func([]any) string { return g.cfg.AppVersion })).(pulumi.StringOutput))
	o.set("deployReceipts", pulumi.Map{"controlPlane": g.controlPlane.Receipt, "payment": g.payment.Receipt})
	return o
}
