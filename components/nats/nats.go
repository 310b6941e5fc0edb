package nats

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/remotestep"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:nats:NATS"

// NATS is the control plane's NATS identity, server configuration and TLS certificate.
type NATS struct {
	pulumi.ResourceState

	// Hostname is nats.<domain>: the certificate's name and the Docker network alias of the server.
	Hostname string
	// URL is what the control plane's services connect to (NATS_URL): tls://nats.<domain>:4222.
	URL string
	// PaymentURL is what the payment service connects to: tls://nats.<domain>:4223.
	PaymentURL string

	// ServerConfig is nats.conf. It holds only public material (JWTs, public keys, paths), so it is plain.
	ServerConfig pulumi.StringOutput
	// ResolverConfig is the operator-mode part of ServerConfig alone (operator, system_account, MEMORY
	// resolver with the preloaded accounts), for a bundle whose own nats.conf includes
	// ContainerJWTDir/resolver.conf; install it as JWTDir/resolver.conf (0644). Plain, like ServerConfig.
	ResolverConfig pulumi.StringOutput
	// ServerConfigHash is the content hash of ServerConfig. ServerConfig embeds ResolverConfig, so it
	// changes whenever either does: the compose deploy's re-run trigger for NATS.
	ServerConfigHash pulumi.StringOutput
	// OperatorJWT is the operator's self-signed JWT (also inside ServerConfig).
	OperatorJWT pulumi.StringOutput
	// OperatorPublicKey, SystemAccountPublicKey and CtrlSigningPublicKey are public nkeys (O…, A…, A…).
	OperatorPublicKey      pulumi.StringOutput
	SystemAccountPublicKey pulumi.StringOutput
	CtrlSigningPublicKey   pulumi.StringOutput
	// CtrlAccountPublicKey is the CTRL account's public nkey: the control plane's NATS_CTRL_ACCOUNT_PUB.
	CtrlAccountPublicKey pulumi.StringOutput
	// CtrlSigningSeed (secret) is the CTRL signing key's seed, stored in Vault as nats_ctrl_signing_seed.
	CtrlSigningSeed pulumi.StringOutput
	// PaymentCreds (secret) is the payment service's .creds file.
	PaymentCreds pulumi.StringOutput
	// PaymentCredsHash changes exactly when PaymentCreds does; it is the hash of the (public) user JWT, so
	// no function of the seed is in plaintext.
	PaymentCredsHash pulumi.StringOutput

	// TLSReady are the steps after which the certificate is in TLSDir: the NATS container must not start
	// before them. Empty when TLS is disabled.
	TLSReady []pulumi.Resource
	// Keys are the five Ed25519 keys the nkeys derive from (operator, SYS, CTRL, CTRL signing, payment).
	Keys []*tls.PrivateKey
}

// Output names in the material map the identity is computed into.
const (
	mOperatorPub   = "operatorPublicKey"
	mOperatorJWT   = "operatorJwt"
	mSystemPub     = "systemAccountPublicKey"
	mCtrlPub       = "ctrlAccountPublicKey"
	mSigningPub    = "ctrlSigningPublicKey"
	mSigningSeed   = "ctrlSigningSeed"
	mPaymentCreds  = "paymentCreds"
	mPaymentHash   = "paymentCredsHash"
	mServerConfig  = "serverConfig"
	mResolver      = "resolverConfig"
	mServerCfgHash = "serverConfigHash"
)

// New creates the keys, derives the identity and the server configuration, and (unless TLS is disabled)
// installs certbot and obtains the certificate on the control-plane host.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*NATS, error) {
	if args == nil {
		return nil, component.Wrap(TypeToken, name, errors.New("expected Args, found nil"))
	}
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	n := &NATS{Hostname: Hostname(args.Domain)}
	n.URL = fmt.Sprintf("tls://%s:%d", n.Hostname, ClientPort)
	n.PaymentURL = fmt.Sprintf("tls://%s:%d", n.Hostname, ExternalPort)
	if err := component.Register(ctx, TypeToken, name, n, opts...); err != nil {
		return nil, err
	}

	pems := make([]any, 0, len(keyRoles))
	for _, r := range keyRoles {
		k, err := tls.NewPrivateKey(ctx, name+"-"+r.Suffix, &tls.PrivateKeyArgs{
			Algorithm: pulumi.String("ED25519"),
		}, component.Child(n, pulumi.Protect(args.Protect))...)
		if err != nil {
			return nil, component.Wrap(TypeToken, name, err)
		}
		n.Keys = append(n.Keys, k)
		pems = append(pems, k.PrivateKeyPemPkcs8)
	}

	params := IdentityParams{IssuedAt: args.issuedAt(), PaymentPublish: args.PaymentPublish,
		PaymentSubscribe: args.PaymentSubscribe}
	tlsOn := !args.DisableTLS
	material := pulumi.All(pems...).ApplyT(func(v []any) (map[string]string, error) {
		s := func(i int) string { return v[i].(string) }
		id, err := BuildIdentity(KeyPEMs{Operator: s(0), System: s(1), Ctrl: s(2), CtrlSigning: s(3), Payment: s(4)}, params)
		if err != nil {
			return nil, err
		}
		conf, err := RenderConfig(ConfigParams{Hostname: n.Hostname, TLS: tlsOn, Identity: id})
		if err != nil {
			return nil, err
		}
		resolver, err := RenderResolverConfig(id)
		if err != nil {
			return nil, err
		}
		return map[string]string{
			mOperatorPub: id.OperatorPublicKey, mOperatorJWT: id.OperatorJWT, mSystemPub: id.SystemAccountPublicKey,
			mCtrlPub: id.CtrlAccountPublicKey, mSigningPub: id.CtrlSigningPublicKey, mSigningSeed: id.CtrlSigningSeed,
			mPaymentCreds: id.PaymentCreds, mPaymentHash: contenthash.Of(id.PaymentUserJWT),
			mServerConfig: conf, mServerCfgHash: contenthash.Of(conf), mResolver: resolver,
		}, nil
	}).(pulumi.StringMapOutput)
	field := func(k string) pulumi.StringOutput { return material.MapIndex(pulumi.String(k)) }
	// Everything but the two seeds' carriers is public by construction; the map is secret only because
	// it is computed from the private keys.
	public := func(k string) pulumi.StringOutput { return pulumi.Unsecret(field(k)).(pulumi.StringOutput) }
	n.OperatorPublicKey = public(mOperatorPub)
	n.OperatorJWT = public(mOperatorJWT)
	n.SystemAccountPublicKey = public(mSystemPub)
	n.CtrlAccountPublicKey = public(mCtrlPub)
	n.CtrlSigningPublicKey = public(mSigningPub)
	n.PaymentCredsHash = public(mPaymentHash)
	n.ServerConfig = public(mServerConfig)
	n.ResolverConfig = public(mResolver)
	n.ServerConfigHash = public(mServerCfgHash)
	n.CtrlSigningSeed = component.Secret(field(mSigningSeed))
	n.PaymentCreds = component.Secret(field(mPaymentCreds))

	if tlsOn {
		if err := n.certbot(ctx, name, args); err != nil {
			return nil, component.Wrap(TypeToken, name, err)
		}
	}

	return n, component.Finish(ctx, TypeToken, name, n, pulumi.Map{
		"hostname":               pulumi.String(n.Hostname),
		"url":                    pulumi.String(n.URL),
		"paymentUrl":             pulumi.String(n.PaymentURL),
		"serverConfig":           n.ServerConfig,
		"resolverConfig":         n.ResolverConfig,
		"serverConfigHash":       n.ServerConfigHash,
		"operatorJwt":            n.OperatorJWT,
		"operatorPublicKey":      n.OperatorPublicKey,
		"systemAccountPublicKey": n.SystemAccountPublicKey,
		"ctrlAccountPublicKey":   n.CtrlAccountPublicKey,
		"ctrlSigningPublicKey":   n.CtrlSigningPublicKey,
		"ctrlSigningSeed":        n.CtrlSigningSeed,
		"paymentCreds":           n.PaymentCreds,
		"paymentCredsHash":       n.PaymentCredsHash,
	})
}

// certbot registers the three remote steps on the control-plane host: install (packages, wrapper, hook,
// drop-in), the Vault address for the wrapper, and the first issuance, which runs the deploy hook.
func (n *NATS) certbot(ctx *pulumi.Context, name string, args *Args) error {
	files, err := renderCertbot(args.layout(), certbotParams{Hostname: n.Hostname, Email: args.ACMEEmail,
		Server: args.ACMEServer, ComposeService: args.composeService()})
	if err != nil {
		return err
	}
	install, err := remotestep.Run(ctx, name+"-certbot-install", args.Host, remotestep.Step{
		Script: files.Install,
	}, component.Child(n, pulumi.DependsOn(args.DependsOn))...)
	if err != nil {
		return err
	}
	if _, err := remotestep.Run(ctx, name+"-certbot-vault-addr", args.Host, remotestep.Step{
		Script: files.VaultAddr,
		Stdin:  args.VaultAddress,
	}, component.Child(n, pulumi.DependsOn(args.DependsOn))...); err != nil {
		return err
	}
	issue, err := remotestep.Run(ctx, name+"-certbot-issue", args.Host, remotestep.Step{
		Script:    files.Issue,
		Stdin:     args.CloudflareAPIToken,
		Sensitive: true,
	}, component.Child(n, pulumi.DependsOn(append([]pulumi.Resource{install}, args.DependsOn...)))...)
	if err != nil {
		return err
	}
	n.TLSReady = []pulumi.Resource{issue}
	return nil
}
