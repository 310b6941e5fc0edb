package stacks

import (
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/components/compose"
	"github.com/hoodcloud/infra/components/hostfiles"
	"github.com/hoodcloud/infra/components/nats"
	"github.com/hoodcloud/infra/components/pki"
	"github.com/hoodcloud/infra/components/verify"
	"github.com/hoodcloud/infra/internal/platform"
)

// PaymentGRPCPort is the payment service's gRPC (mTLS) port.
const PaymentGRPCPort = 50051

// Where the deploys' own files live on the servers (the bundle's compose files mount these).
const (
	PostgresPasswordFile        = pki.SecretsDir + "/postgres/password"
	GrafanaAdminPasswordFile    = pki.SecretsDir + "/grafana/admin_password"
	PaymentPostgresPasswordFile = pki.SecretsDir + "/payment-postgres/password"
	PaymentNATSCredsFile        = pki.SecretsDir + "/nats-payment/payment.creds"
)

// paymentGRPCAddr is the payment endpoint as the control plane dials it (the certificate's IP SAN).
func (g *graph) paymentGRPCAddr() pulumi.StringOutput {
	return pulumi.Sprintf("%s:%d", g.addrs[g.topo.HostOf(platform.Payment).Name].IPv4, PaymentGRPCPort)
}

// deploys is guide Parts 2.4–2.7, 3.3–3.5 and 4: each stack of containers on its server (data services,
// cmd/migrate, then the applications, then the health matrix), after the files it mounts, and the
// end-to-end mTLS check between the two.
func (g *graph) deploys() error {
	cpPlan, payPlan := g.topo.HostOf(platform.ControlPlane), g.topo.HostOf(platform.Payment)
	cp, pay := g.hosts[cpPlan.Name], g.hosts[payPlan.Name]

	cpFiles, err := hostfiles.New(g.ctx, "control-plane-app-files", &hostfiles.Args{
		Host: cp.Target,
		Files: []hostfiles.File{
			{Path: nats.JWTDir + "/" + nats.ResolverConfigName, Mode: "0644", Content: g.messaging.ResolverConfig},
			{Path: PostgresPasswordFile, Mode: "0644", Content: g.cfg.PostgresPassword},
			{Path: GrafanaAdminPasswordFile, Mode: "0644", Content: g.cfg.GrafanaAdminPassword},
		},
		DependsOn: cp.Ready,
	})
	if err != nil {
		return err
	}
	payFiles, err := hostfiles.New(g.ctx, "payment-app-files", &hostfiles.Args{
		Host: pay.Target,
		Files: []hostfiles.File{
			{Path: PaymentNATSCredsFile, Mode: "0644", Content: g.messaging.PaymentCreds},
			{Path: PaymentPostgresPasswordFile, Mode: "0644", Content: g.cfg.PaymentPostgresPassword},
		},
		DependsOn: pay.Ready,
	})
	if err != nil {
		return err
	}

	vars, err := plainEnv(g.cfg)
	if err != nil {
		return err
	}
	envInputs := map[string]pulumi.StringInput{
		"VAULT_ADDR":            g.vaultAddress(),
		"PAYMENT_GRPC_ADDR":     g.paymentGRPCAddr(),
		"NATS_CTRL_ACCOUNT_PUB": g.messaging.CtrlAccountPublicKey,
		"NATS_HOST_IP":          g.addrs[cpPlan.Name].IPv4,
	}
	var registry *compose.RegistryAuth
	if g.cfg.HasRegistryLogin {
		registry = &compose.RegistryAuth{Server: g.cfg.RegistryServer, Username: g.cfg.RegistryUsername,
			Password: g.cfg.RegistryPassword}
	}

	// Each stack redeploys when its own files change: its certificates, its Vault AppRole credentials'
	// readiness, its NATS files. Nothing of the other stack is in its hashes.
	g.controlPlane, err = compose.New(g.ctx, "control-plane-app", &compose.Args{
		Layout:       compose.ControlPlane(),
		Host:         cp.Target,
		Project:      ControlPlaneProject,
		BundleDir:    g.cfg.BundlePath(),
		Prepared:     g.bundles[ControlPlaneProject],
		Env:          vars,
		EnvInputs:    envInputs,
		RegistryAuth: registry,
		ExtraHashes: []pulumi.StringInput{
			g.certs.HashFor([]platform.Role{platform.ControlPlane}),
			g.messaging.ServerConfigHash,
			cpFiles.Hash,
			g.secretsDigest("control-plane/"),
		},
		HostReady: cp.Ready,
		DependsOn: g.deployDeps(cpPlan, cpFiles, append(g.messaging.TLSReady, g.secrets.ConsumerReady[ConsumerControlPlane]...)),
		Protect:   g.cfg.Protect,
	})
	if err != nil {
		return err
	}
	g.payment, err = compose.New(g.ctx, "payment-app", &compose.Args{
		Layout:       compose.Payment(),
		Host:         pay.Target,
		Project:      PaymentProject,
		BundleDir:    g.cfg.BundlePath(),
		Prepared:     g.bundles[PaymentProject],
		Env:          vars,
		EnvInputs:    envInputs,
		RegistryAuth: registry,
		ExtraHashes: []pulumi.StringInput{
			g.certs.HashFor([]platform.Role{platform.Payment}),
			g.messaging.PaymentCredsHash,
			payFiles.Hash,
			g.secretsDigest("payment/"),
		},
		HostReady: pay.Ready,
		// The payment service connects to NATS, which the control plane's stack runs: its deploy comes
		// after that one (on one server or two).
		DependsOn: g.deployDeps(payPlan, payFiles, append(g.secrets.ConsumerReady[ConsumerPayment], g.controlPlane.Deploy)),
		Protect:   g.cfg.Protect,
	})
	if err != nil {
		return err
	}

	client := pki.SecretsDir + "/payment-client/"
	g.mtls, err = verify.New(g.ctx, "payment-mtls", &verify.Args{
		Host:   cp.Target,
		Target: g.paymentGRPCAddr(),
		CAFile: client + "ca.crt", CertFile: client + "client.crt", KeyFile: client + "client.key",
		Hashes: []pulumi.StringInput{
			g.payment.BundleHash, g.payment.EnvHash,
			g.certs.HashFor([]platform.Role{platform.ControlPlane, platform.Payment}),
		},
		DependsOn: []pulumi.Resource{g.payment.Deploy, g.pkiFiles[cpPlan.Name].Step},
	})
	return err
}

// deployDeps is what a stack's deploy waits for: the server's certificate files, its own files, the
// secrets in Vault (services read them at start, and a rotated secret must be written before the restart
// it triggers), and the given steps (Vault credentials, NATS certificate).
func (g *graph) deployDeps(h HostPlan, files *hostfiles.Files, more []pulumi.Resource) []pulumi.Resource {
	deps := append([]pulumi.Resource{files.Step}, g.secrets.Ready...)
	if f, ok := g.pkiFiles[h.Name]; ok {
		deps = append(deps, f.Step)
	}
	return append(deps, more...)
}

// resourceEnv are the .env keys whose values come from resources (EnvInputs).
var resourceEnv = []string{"NATS_CTRL_ACCOUNT_PUB", "NATS_HOST_IP", "PAYMENT_GRPC_ADDR", "VAULT_ADDR"}

// plainEnv is the .env of both stacks without the resource-derived keys: a pure function of the config.
func plainEnv(cfg *Config) (map[string]string, error) {
	vars, err := compose.AppEnv{
		Domain: cfg.Domain, ImageRegistry: cfg.ImageRegistry, Version: cfg.AppVersion,
		AWSRegion: cfg.AWSRegion, StateBucket: cfg.StateBucket, LockTable: cfg.LockTable,
		ChainConfigBucket: cfg.ChainConfigBucket,
	}.Vars()
	if err != nil {
		return nil, err
	}
	for _, k := range resourceEnv {
		delete(vars, k)
	}
	return vars, nil
}

// prepareBundles reads and checks the application bundle for both stacks against the Port Reference and
// the .env before any resource is registered, so a bad bundle fails `pulumi preview` with nothing
// half-built; the compose components reuse what was loaded here.
func prepareBundles(cfg *Config) (map[string]*compose.Prepared, error) {
	vars, err := plainEnv(cfg)
	if err != nil {
		return nil, err
	}
	out := map[string]*compose.Prepared{}
	var errs []error
	layouts := Layouts()
	// Fixed order, so that the error of a bad bundle reads the same on every run.
	for _, project := range []string{ControlPlaneProject, PaymentProject} {
		p, err := compose.Prepare(cfg.BundlePath(), project, layouts[project], vars, resourceEnv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[project] = p
	}
	return out, errors.Join(errs...)
}

// Layouts maps each compose project the program deploys to its layout (the rehearsal serves their images).
func Layouts() map[string]compose.Layout {
	return map[string]compose.Layout{
		ControlPlaneProject: compose.ControlPlane(),
		PaymentProject:      compose.Payment(),
	}
}

// The compose project names of the two stacks.
const (
	ControlPlaneProject = "hoodcloud"
	PaymentProject      = "hoodcloud-payment"
)
