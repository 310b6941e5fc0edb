package vault

import (
	"fmt"

	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/remotestep"
)

// hostSteps are the remote steps on the Vault host and what they hand on.
type hostSteps struct {
	install, init, unseal, credential, revoke *remote.Command
	// initOutput is init's stdout, secret.
	initOutput pulumi.StringOutput
	// guardedAddress is Vault's address once the seal guard found it unsealed or unsealed it
	// (sealguard.go); with AutoUnseal, the address itself.
	guardedAddress pulumi.StringOutput
	// login is the provider's AppRole login parameters (role_id, secret_id), secret.
	login            pulumi.StringMapOutput
	rootTokenRevoked pulumi.BoolOutput
}

// newHostSteps creates install → init → unseal → credential → revoke-root. Each step waits for the one
// before by the outputs it reads or, where nothing flows, by DependsOn; revoke waits only for credential,
// the one step that uses the root token before it.
func newHostSteps(ctx *pulumi.Context, v *Vault, name string, args *Args, l layout) (*hostSteps, error) {
	s := &hostSteps{}
	scripts, err := renderScripts(l, initParams{
		Shares: args.shares(), Threshold: args.threshold(), PGPKeys: args.PGPKeys, AutoUnseal: args.AutoUnseal != nil,
	})
	if err != nil {
		return nil, err
	}
	bundle, err := installBundle(l, args)
	if err != nil {
		return nil, err
	}
	stdin, hash := bundle.Index(pulumi.Int(0)), bundle.Index(pulumi.Int(1))

	s.install, err = remotestep.Run(ctx, name+"-install", args.Host, remotestep.Step{
		Script: scripts.Install, Stdin: stdin, Sensitive: true, Hashes: []pulumi.StringInput{hash},
	}, component.Child(v, pulumi.DependsOn(args.DependsOn))...)
	if err != nil {
		return nil, err
	}

	// The escrow key seals init's answer on the host until the state holds it (see init.sh.tmpl): a key
	// only this stack has, generated before init and kept for the life of the Vault.
	escrowKey, err := tls.NewPrivateKey(ctx, name+"-init-escrow-key", &tls.PrivateKeyArgs{Algorithm: pulumi.String("ED25519")},
		component.Child(v, pulumi.Protect(args.Protect))...)
	if err != nil {
		return nil, err
	}
	escrowSecret := escrowKey.PrivateKeyOpenssh.ApplyT(func(pem string) string {
		return contenthash.Of("hoodcloud vault init escrow v1", pem)
	}).(pulumi.StringOutput)

	// Init runs once in the life of a Vault: a re-run on an initialised Vault would replace the keys in
	// state with {"already_initialized":true}, and so would an update that printed anything else. It is
	// frozen; `pulumi up --replace` forces it for a new, empty Vault.
	s.init, err = remotestep.Run(ctx, name+"-init", args.Host, remotestep.Step{
		Script: scripts.Init, Stdin: escrowSecret, Sensitive: true,
	}, component.Child(v,
		pulumi.DependsOn([]pulumi.Resource{s.install}),
		pulumi.Protect(args.Protect),
		remotestep.Frozen(),
	)...)
	if err != nil {
		return nil, err
	}
	s.initOutput = component.Secret(s.init.Stdout)
	// Once init's answer is in the state (the engine saves each step's outputs before starting the steps
	// that depend on it), its escrow on the host goes. It runs again whenever init is replaced (`up
	// --replace` for a new Vault): init's ID is among its hashes.
	if _, err := remotestep.Run(ctx, name+"-init-escrow-clear", args.Host, remotestep.Step{
		Script: scripts.InitEscrowClear, Hashes: []pulumi.StringInput{s.init.ID().ToStringOutput()},
	}, component.Child(v, pulumi.DependsOn([]pulumi.Resource{s.init}))...); err != nil {
		return nil, err
	}

	unsealed := pulumi.Resource(s.init)
	if args.AutoUnseal == nil {
		configured := pulumi.StringArray{}.ToStringArrayOutput()
		if args.UnsealKeys != nil {
			configured = args.UnsealKeys.ToStringArrayOutput()
		}
		pgp := len(args.PGPKeys) > 0
		keys := pulumi.All(s.initOutput, configured).ApplyT(func(x []any) (string, error) {
			return unsealInput(x[0].(string), x[1].([]string), pgp)
		}).(pulumi.StringOutput)
		// The install hash re-runs unseal after every re-install: a restarted Vault comes back sealed.
		s.unseal, err = remotestep.Run(ctx, name+"-unseal", args.Host, remotestep.Step{
			Script: scripts.Unseal, Stdin: keys, Sensitive: true, Hashes: []pulumi.StringInput{hash},
		}, component.Child(v, pulumi.DependsOn([]pulumi.Resource{s.init}))...)
		if err != nil {
			return nil, err
		}
		unsealed = s.unseal
		s.guardedAddress = guardSeal(ctx, v, args, scripts.SealGuard, keys, s.unseal)
	} else {
		s.guardedAddress = args.Address.ToStringOutput()
	}

	configuredToken := pulumi.String("").ToStringOutput()
	if args.RootToken != nil {
		configuredToken = args.RootToken.ToStringOutput()
	}
	// The root-token steps wait for the seal guard too (through their stdin): a Vault that restarted is
	// unsealed before they run.
	rootToken := pulumi.All(s.initOutput, configuredToken, s.guardedAddress).ApplyT(func(x []any) (string, error) {
		return rootTokenInput(x[0].(string), x[1].(string))
	}).(pulumi.StringOutput)

	rootStep, rootOpts := rootOnlyStep(args.RootToken, scripts.Credential, rootToken)
	s.credential, err = remotestep.Run(ctx, name+"-credential", args.Host, rootStep,
		component.Child(v, append(rootOpts, pulumi.DependsOn([]pulumi.Resource{unsealed}))...)...)
	if err != nil {
		return nil, err
	}
	s.login = pulumi.ToSecret(s.credential.Stdout.ApplyT(parseCredential)).(pulumi.StringMapOutput)

	rootStep, rootOpts = rootOnlyStep(args.RootToken, scripts.Revoke, rootToken)
	s.revoke, err = remotestep.Run(ctx, name+"-revoke-root", args.Host, rootStep,
		component.Child(v, append(rootOpts, pulumi.DependsOn([]pulumi.Resource{s.credential}))...)...)
	if err != nil {
		return nil, err
	}
	// The revoke step prints only {"revoked":…}: the flag derived from it is no secret.
	s.rootTokenRevoked = pulumi.Unsecret(s.revoke.Stdout.ApplyT(parseRevoked)).(pulumi.BoolOutput)
	return s, nil
}

// installBundle resolves the install step's files into its stdin and their content hash, both secret
// (the TLS key and the seal's credentials are among them). The TLS material is checked here, where an
// output from the PKI first has a value.
func installBundle(l layout, a *Args) (pulumi.StringArrayOutput, error) {
	compose := a.ComposeFile
	if compose == "" {
		var err error
		if compose, err = renderComposeFile(l, a.image()); err != nil {
			return pulumi.StringArrayOutput{}, err
		}
	}
	storage, auto := a.storage(), a.AutoUnseal
	var kms, keyID, secretKey pulumi.StringInput = pulumi.String(""), pulumi.String(""), pulumi.String("")
	if auto != nil {
		kms, keyID, secretKey = auto.KMSKeyID, auto.AccessKeyID, auto.SecretAccessKey
	}
	out := pulumi.All(a.CACertPEM, a.CertPEM, a.KeyPEM, kms, keyID, secretKey).ApplyT(func(x []any) ([]string, error) {
		ca, cert, key := x[0].(string), x[1].(string), x[2].(string)
		if err := checkCertPEM("CA certificate", ca); err != nil {
			return nil, err
		}
		if err := checkCertPEM("server certificate", cert); err != nil {
			return nil, err
		}
		if err := checkKeyPEM(key); err != nil {
			return nil, err
		}
		var resolved *resolvedAutoUnseal
		hcl := HCLParams{Storage: storage}
		if auto != nil {
			resolved = &resolvedAutoUnseal{KMSKeyID: x[3].(string), Region: auto.Region,
				AccessKeyID: x[4].(string), SecretAccessKey: x[5].(string)}
			if resolved.KMSKeyID == "" {
				return nil, fmt.Errorf("hoodcloud:vaultAutoUnseal: expected a KMS key ID, found an empty one")
			}
			hcl.KMSKeyID, hcl.Region = resolved.KMSKeyID, resolved.Region
		}
		vaultHCL, err := RenderVaultHCL(hcl)
		if err != nil {
			return nil, err
		}
		env, err := envFile(resolved)
		if err != nil {
			return nil, err
		}
		files := map[string]string{
			"ca.pem": ca, "cert.pem": cert, "key.pem": key,
			"vault.hcl": vaultHCL, "vault.env": env, "docker-compose.vault.yml": compose,
		}
		stdin, err := encodeBundle(l, files)
		if err != nil {
			return nil, err
		}
		return []string{stdin, bundleHash(files)}, nil
	}).(pulumi.StringArrayOutput)
	return pulumi.ToSecret(out).(pulumi.StringArrayOutput), nil
}

// rootOnlyStep is how the steps that need the root token (credential, revoke-root) re-run. They run at
// bootstrap with the token from init, which revoke-root then revokes: after that they can only ever run
// again with a root token an operator deliberately made (`vault operator generate-root`) and set as
// hoodcloud:vaultRootToken. So without a configured token nothing of theirs may re-run them — not an
// edited script, not a rotated deploy key, not the unsetting of vaultRootToken after a rotation — and
// with one, exactly a new token re-runs them (its keyed hash is their trigger), once.
func rootOnlyStep(configured pulumi.StringInput, script string, rootToken pulumi.StringInput) (remotestep.Step, []pulumi.ResourceOption) {
	step := remotestep.Step{Script: script, Stdin: rootToken, Sensitive: true}
	if configured == nil {
		return step, []pulumi.ResourceOption{remotestep.Frozen()}
	}
	// With a token, a connection-only change (a rotated deploy key) is an update. Their stdout is the
	// program's credential and the revocation, which nothing else can print, and the token was revoked by
	// the up that used it: the update fails at once saying to unset the token first.
	step.Unchanged = pulumi.String(rootTokenStillSet)
	step.Hashes = []pulumi.StringInput{configured.ToStringOutput().ApplyT(func(token string) string {
		return contenthash.Of("vault root token", token)
	}).(pulumi.StringOutput)}
	return step, nil
}
