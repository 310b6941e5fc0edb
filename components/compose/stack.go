package compose

import (
	"path/filepath"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/remotestep"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:compose:Stack"

// Stack is one deployed compose project.
type Stack struct {
	pulumi.ResourceState

	// BundleHash is the content hash of the bundle's files (names, modes, contents).
	BundleHash pulumi.StringOutput
	// EnvHash is the content hash of the rendered .env.
	EnvHash pulumi.StringOutput
	// Env is the rendered .env (no secrets).
	Env pulumi.StringOutput
	// DeployLog is the deploy script's output (secret: it quotes the services' own output).
	DeployLog pulumi.StringOutput
	// Receipt is what the last successful deploy reports (public): bundleHash, deployedAt, migrate,
	// images and health per service (see Receipt). It changes only when the deploy step runs.
	Receipt pulumi.MapOutput
	// Deploy is the deploy step: whatever needs the running stack depends on it.
	Deploy *remote.Command
	// Upload, Login (nil without RegistryAuth) and Anchor are the other steps.
	Upload, Login, Anchor *remote.Command
}

// New checks the bundle and deploys it: anchor → upload → (login) → deploy.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Stack, error) {
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	prep := args.Prepared
	if prep == nil {
		var err error
		if prep, err = Prepare(args.BundleDir, args.Project, args.Layout, args.Env, sortedKeys(args.EnvInputs)); err != nil {
			return nil, component.Wrap(TypeToken, name, err)
		}
	}
	bundle, mounts := prep.bundle, prep.mounts
	dir := DirParams{Project: args.Project, Dir: args.remoteDir()}
	attempts, interval := args.waits()
	projectScript, err := RenderProject(dir)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	uploadScript, err := RenderUpload(dir)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	deployParams := DeployParams{DirParams: dir, Layout: args.Layout, WaitAttempts: attempts, WaitInterval: interval, ReceiptDir: ReceiptDir}
	deployScript, err := RenderDeploy(deployParams)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	deployUnchanged, err := RenderDeployUnchanged(deployParams)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}

	s := &Stack{}
	if err := component.Register(ctx, TypeToken, name, s, opts...); err != nil {
		return nil, err
	}
	bundleHash := bundle.Hash()
	s.BundleHash = pulumi.String(bundleHash).ToStringOutput()
	envText, stdin := uploadInputs(bundle, mounts, args)
	s.Env = envText
	s.EnvHash = envText.ApplyT(func(e string) string { return contenthash.Of(e) }).(pulumi.StringOutput)

	s.Anchor, err = remotestep.Run(ctx, name+"-project", args.Host, remotestep.Step{Script: projectScript},
		component.Child(s, pulumi.DependsOn(args.HostReady), pulumi.Protect(args.Protect),
			// Created once per host: an edited script must not replace (and so unprotect) it.
			pulumi.IgnoreChanges([]string{"create", "triggers"}))...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	s.Upload, err = remotestep.Run(ctx, name+"-upload", args.Host, remotestep.Step{
		Script: uploadScript, Stdin: stdin,
		Hashes: []pulumi.StringInput{s.BundleHash, s.EnvHash},
	}, component.Child(s, pulumi.DependsOn(append([]pulumi.Resource{s.Anchor}, args.HostReady...)))...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	deployAfter := append([]pulumi.Resource{s.Upload}, args.DependsOn...)
	if r := args.RegistryAuth; r != nil {
		if s.Login, err = newLogin(ctx, s, name, args.Host, r, args.HostReady); err != nil {
			return nil, component.Wrap(TypeToken, name, err)
		}
		deployAfter = append(deployAfter, s.Login)
	}
	s.Deploy, err = remotestep.Run(ctx, name+"-deploy", args.Host, remotestep.Step{
		Script:    deployScript,
		Unchanged: pulumi.String(deployUnchanged),
		// Migrate's output and failing services' logs are the services' words, which may hold secrets.
		SecretOutput: true,
		Hashes:       append([]pulumi.StringInput{s.BundleHash, s.EnvHash}, args.ExtraHashes...),
	}, component.Child(s, pulumi.DependsOn(deployAfter))...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	s.DeployLog = s.Deploy.Stdout
	s.Receipt = receiptOutput(s.DeployLog, s.BundleHash)
	return s, component.Finish(ctx, TypeToken, name, s, pulumi.Map{
		"bundleHash": s.BundleHash, "envHash": s.EnvHash, "env": s.Env, "deployLog": s.DeployLog, "receipt": s.Receipt,
	})
}

// uploadInputs renders the .env (plain variables now, resource-derived ones when known) and the upload
// stream: the bundle, the .env and the mount labels' override with the extra hashes' digest. The two
// are separate so that a secret extra hash keeps the stream secret without making the .env secret.
func uploadInputs(bundle *Bundle, mounts MountPlan, args *Args) (env, stdin pulumi.StringOutput) {
	keys := sortedKeys(args.EnvInputs)
	values := make([]any, 0, len(keys))
	for _, k := range keys {
		values = append(values, args.EnvInputs[k])
	}
	plain := args.Env
	env = pulumi.All(values...).ApplyT(func(vs []any) (string, error) {
		vars := make(map[string]string, len(plain)+len(keys))
		for k, v := range plain {
			vars[k] = v
		}
		for i, k := range keys {
			vars[k] = vs[i].(string)
		}
		return RenderEnv(vars)
	}).(pulumi.StringOutput)

	withExtras := []any{env}
	for _, h := range args.ExtraHashes {
		withExtras = append(withExtras, h)
	}
	stdin = pulumi.All(withExtras...).ApplyT(func(vs []any) (string, error) {
		extras := make([]string, 0, len(vs)-1)
		for _, v := range vs[1:] {
			extras = append(extras, v.(string))
		}
		override, err := RenderOverride(mounts, bundle, extraDigest(extras))
		if err != nil {
			return "", err
		}
		return bundle.UploadStream(vs[0].(string), override)
	}).(pulumi.StringOutput)
	return env, stdin
}

// newLogin logs the host in to the registry. Its trigger is a secret hash of the login, so a rotated
// password logs in again while the deploy (which does not depend on the password) stays put.
func newLogin(ctx *pulumi.Context, s *Stack, name string, on remotestep.Target, r *RegistryAuth, after []pulumi.Resource) (*remote.Command, error) {
	script, err := RenderLogin(LoginParams{Server: r.Server, Username: r.Username})
	if err != nil {
		return nil, err
	}
	server, user := r.Server, r.Username
	hash := component.Secret(r.Password.ToStringOutput().ApplyT(func(p string) string {
		return contenthash.Of(server, user, p)
	}).(pulumi.StringOutput))
	return remotestep.Run(ctx, name+"-login", on, remotestep.Step{
		Script: script, Stdin: r.Password, Sensitive: true, Hashes: []pulumi.StringInput{hash},
	}, component.Child(s, pulumi.DependsOn(after))...)
}

// stackBundle reads and checks the bundle, then restricts it to what this stack uses: its compose files
// and the bundle files its services mount. A stack ships and hashes only those, so editing another
// stack's file never redeploys it.
func stackBundle(dir, project string, l Layout, env map[string]string) (*Bundle, *types.Project, MountPlan, error) {
	bundle, err := ReadBundle(dir)
	if err != nil {
		return nil, nil, MountPlan{}, err
	}
	p, err := inspectBundle(dir, project, l, env)
	if err != nil {
		return nil, nil, MountPlan{}, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, MountPlan{}, err
	}
	mounts := planMounts(p, abs, bundle)
	used := bundle.Only(append(append([]string(nil), l.ComposeFiles...), mounts.used()...))
	return used, p, mounts, nil
}

// Prepared is a bundle read, checked against the Port Reference and the .env, and reduced to what one
// stack uses. A program that must refuse a bad bundle before registering anything prepares it first and
// hands it to New, so the compose files are loaded once.
type Prepared struct {
	bundle *Bundle
	mounts MountPlan
}

// Hash is the content hash of what the stack ships.
func (p *Prepared) Hash() string { return p.bundle.Hash() }

// Prepare reads and checks the bundle for one stack. env is the plain .env; inputKeys are the keys whose
// values only resources know (checked as placeholders, as at preview).
func Prepare(dir, project string, l Layout, env map[string]string, inputKeys []string) (*Prepared, error) {
	a := &Args{Env: env, EnvInputs: map[string]pulumi.StringInput{}}
	for _, k := range inputKeys {
		a.EnvInputs[k] = pulumi.String("")
	}
	bundle, _, mounts, err := stackBundle(dir, project, l, a.previewEnv())
	if err != nil {
		return nil, err
	}
	return &Prepared{bundle: bundle, mounts: mounts}, nil
}
