// Package verify proves the platform works end to end after a deploy (guide Part 4): from the control
// plane, an mTLS handshake to the payment service's gRPC port with the control plane's client certificate
// must succeed and one without a certificate must be refused. The step re-runs whenever either side
// changes (the payment deploy, a rotated certificate), and fails `pulumi up` with curl's own message.
package verify

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/remotestep"
	"github.com/hoodcloud/infra/internal/render"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "hoodcloud:verify:MTLS"

//go:embed mtls-check.sh.tmpl
var checkTemplate string

// CheckParams are the script's parameters.
type CheckParams struct {
	// Target is host:port of the mTLS endpoint.
	Target                    string
	CAFile, CertFile, KeyFile string
	Attempts, IntervalSeconds int
}

// RenderCheck renders the check script.
func RenderCheck(p CheckParams) (string, error) {
	if p.Attempts < 1 || p.IntervalSeconds < 1 {
		return "", fmt.Errorf("mtls check: attempts and interval must be positive, found %d and %d", p.Attempts, p.IntervalSeconds)
	}
	return render.Template("mtls-check.sh", checkTemplate, p)
}

// Args configures the check.
type Args struct {
	// Host is the control plane, where the check runs.
	Host remotestep.Target
	// Target is the payment endpoint as the control plane dials it (IPv4:50051); an output.
	Target pulumi.StringInput
	// Files on the control plane.
	CAFile, CertFile, KeyFile string
	// Hashes re-run the check: the payment deploy's and the certificates'.
	Hashes []pulumi.StringInput
	// DependsOn: the payment deploy and the control plane's certificate files.
	DependsOn []pulumi.Resource
}

// Validate reports every problem at once.
func (a *Args) Validate() error {
	var errs []error
	errs = append(errs, a.Host.Problems("hoodcloud:verify")...)
	if a.Target == nil {
		errs = append(errs, errors.New("hoodcloud:verify: expected a target, found none"))
	}
	for _, f := range []string{a.CAFile, a.CertFile, a.KeyFile} {
		if !strings.HasPrefix(f, "/") {
			errs = append(errs, fmt.Errorf("hoodcloud:verify: expected absolute certificate paths, found %q", f))
		}
	}
	return errors.Join(errs...)
}

// MTLS is the check.
type MTLS struct {
	pulumi.ResourceState
	// Result is the check's report (its stdout).
	Result pulumi.StringOutput
}

// New creates the check step. The target is rendered into the script, so a new payment address re-runs it.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*MTLS, error) {
	if err := args.Validate(); err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	m := &MTLS{}
	if err := component.Register(ctx, TypeToken, name, m, opts...); err != nil {
		return nil, err
	}
	script := args.Target.ToStringOutput().ApplyT(func(target string) (string, error) {
		return RenderCheck(CheckParams{Target: target, CAFile: args.CAFile, CertFile: args.CertFile,
			KeyFile: args.KeyFile, Attempts: 30, IntervalSeconds: 5})
	}).(pulumi.StringOutput)
	cmd, err := remotestep.Run(ctx, name+"-check", args.Host, remotestep.Step{
		ScriptOutput: script,
		// Its stdout is the check's report: a changed connection checks again rather than print nothing.
		Unchanged: script,
		Hashes:    args.Hashes,
	}, component.Child(m, pulumi.DependsOn(args.DependsOn))...)
	if err != nil {
		return nil, component.Wrap(TypeToken, name, err)
	}
	m.Result = cmd.Stdout
	return m, component.Finish(ctx, TypeToken, name, m, pulumi.Map{"result": m.Result})
}
