package vault

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A Vault that restarted since the last up (a reboot, a container restart) comes back sealed, and the
// program still holds the keys that unsealed it the first time (init's answer, or vaultUnsealKeys). The
// seal guard (scripts/seal-guard.sh) runs on the machine that runs pulumi, through the command provider's
// local.run, before the Vault provider logs in: on `up` it unseals such a Vault over its API, so the up
// converges by itself and changes nothing in the state; on `preview` it only reports, and the preview
// warns instead of failing. Without keys (PGP-encrypted, no vaultUnsealKeys) `up` fails with what to do.

// What the seal guard prints.
const (
	guardUnsealed    = "unsealed"
	guardUnreachable = "unreachable"
	guardSealed      = "sealed"
	guardUnsealedNow = "unsealed-now"
)

// The guard's two modes.
const (
	guardReport = "report"
	guardUnseal = "unseal"
)

// guardMode is what the guard may do in this run: a preview never changes anything.
func guardMode(dryRun bool) string {
	if dryRun {
		return guardReport
	}
	return guardUnseal
}

// connectTo is curl's --connect-to for a Vault reached at address whose certificate names serverName, or
// empty when the certificate names the address's own host.
func connectTo(address, serverName string) (string, error) {
	u, err := url.Parse(address)
	if err != nil || u.Hostname() == "" || u.Port() == "" {
		return "", fmt.Errorf("vault address: expected https://<host>:<port>, found %q", address)
	}
	if serverName == "" || serverName == u.Hostname() {
		return "", nil
	}
	return fmt.Sprintf("%s:%s:%s:%s", serverName, u.Port(), u.Hostname(), u.Port()), nil
}

// guardSeal runs the seal guard after the steps in after (in a new stack, once the unseal step has run)
// and returns the address the provider and the probe must use: the address itself once Vault is known not
// to be sealed (or unsealed by the guard), unknown in a preview that found it sealed.
func (v *Vault) guardSeal(ctx *pulumi.Context, args *Args, host *hostSteps, after []pulumi.Resource) pulumi.StringOutput {
	address := args.Address.ToStringOutput()
	if host.sealGuard == "" {
		return address // AutoUnseal: Vault unseals itself.
	}
	serverName := args.TLSServerName
	via := address.ApplyT(func(a string) (string, error) { return connectTo(a, serverName) }).(pulumi.StringOutput)
	run := local.RunOutput(ctx, local.RunOutputArgs{
		Command:     pulumi.String(host.sealGuard),
		Interpreter: pulumi.ToStringArray([]string{"/bin/bash", "-c"}),
		Environment: pulumi.StringMap{
			"HOODCLOUD_VAULT_ADDR":       address,
			"HOODCLOUD_VAULT_CONNECT_TO": via,
			"HOODCLOUD_VAULT_CA_PEM":     args.CACertPEM,
			"HOODCLOUD_SEAL_GUARD":       pulumi.String(guardMode(ctx.DryRun())),
		},
		Stdin:   host.unsealKeys.ToStringPtrOutput(),
		Logging: local.LoggingNone,
	}, pulumi.Parent(v), pulumi.DependsOn(after))
	// One word, never a secret (the keys are only the guard's stdin).
	status := pulumi.Unsecret(run.Stdout()).(pulumi.StringOutput)
	return status.ApplyT(func(out string) (pulumi.StringOutput, error) {
		switch word := strings.TrimSpace(out); word {
		case guardUnsealed, guardUnreachable, guardUnsealedNow:
			if word == guardUnsealedNow {
				_ = ctx.Log.Info("Vault was sealed (it restarted since the last up); unsealed it with the keys the program holds", &pulumi.LogArgs{Resource: v})
			}
			return address, nil
		case guardSealed:
			_ = ctx.Log.Warn("Vault is sealed (it restarted since the last up): `pulumi up` unseals it with the keys the program holds; "+
				"until then the Vault resources cannot be read", &pulumi.LogArgs{Resource: v})
			return pulumi.UnsafeUnknownOutput(nil).ApplyT(func(any) string { return "" }).(pulumi.StringOutput), nil
		default:
			return pulumi.StringOutput{}, fmt.Errorf("vault seal guard: unexpected answer %q", word)
		}
	}).(pulumi.StringOutput)
}
