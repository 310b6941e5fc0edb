package vault

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A Vault that restarted since the last up (a reboot, a container restart) comes back sealed, and the
// program still holds the keys that unsealed it the first time (init's answer, or vaultUnsealKeys). The
// seal guard (scripts/seal-guard.sh) runs on the machine that runs pulumi, through the command provider's
// local.run, before the Vault provider logs in: on `up` it unseals such a Vault over its API, so the up
// converges by itself and changes nothing in the state; on `preview` it only reports (it is given no
// keys), and the preview warns instead of failing: with Vault's address unknown, it shows the Vault
// resources as updates and the steps that read them (the AppRole files) as replacements, none of which
// happens once the up has unsealed Vault. Without keys (PGP-encrypted, no vaultUnsealKeys) the warning says
// key holders must act, and `up` fails saying so.

// What the seal guard prints.
const (
	guardUnsealed      = "unsealed"
	guardUnreachable   = "unreachable"
	guardUninitialized = "uninitialized"
	guardSealed        = "sealed"
	guardSealedNoKeys  = "sealed-nokeys"
	guardUnsealedNow   = "unsealed-now"
)

// The guard's two modes, its first argument.
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

// upAfter orders an invoke after the unseal step in an up only. In an up the order matters: the unseal step
// and the guard must not unseal the same Vault at once, and what reads Vault must find it unsealed. A
// preview runs no step, and an invoke that waits on a step the preview replaces (a new Vault certificate,
// configuration or image re-installs Vault) is skipped with an unknown result: the Vault provider's address
// would then be unknown and the preview would show every Vault resource as an update that never happens.
func upAfter(ctx *pulumi.Context, unseal *remote.Command) []pulumi.InvokeOption {
	if ctx.DryRun() || unseal == nil {
		return nil
	}
	return []pulumi.InvokeOption{pulumi.DependsOn([]pulumi.Resource{unseal})}
}

// guardSeal runs the seal guard (in an up, once the unseal step has run: in a new stack, Vault is then
// unsealed) and returns Vault's address for what must not talk to a sealed Vault (the provider, the probe,
// the root-token steps): the address itself once Vault is known not to be sealed (or the guard unsealed
// it), unknown in a preview that found it sealed. keys are the unseal step's stdin; they reach the guard
// only in an up.
func guardSeal(ctx *pulumi.Context, v *Vault, args *Args, script string, keys pulumi.StringOutput, unseal *remote.Command) pulumi.StringOutput {
	address := args.Address.ToStringOutput()
	hasKeys := pulumi.Unsecret(keys.ApplyT(func(k string) string { return strconv.FormatBool(k != "") })).(pulumi.StringOutput)
	mode := guardMode(ctx.DryRun())
	runArgs := local.RunOutputArgs{
		// The script is bash's -c text and the mode its first argument: a failure quotes only the mode, so
		// the guard's own message is what the operator reads.
		Interpreter: pulumi.ToStringArray([]string{"/bin/bash", "-c", script, "hoodcloud-vault-seal-guard"}),
		Command:     pulumi.String(mode),
		Environment: pulumi.StringMap{
			"HOODCLOUD_VAULT_ADDR":     address,
			"HOODCLOUD_VAULT_CA_PEM":   args.CACertPEM,
			"HOODCLOUD_VAULT_HAS_KEYS": hasKeys,
		},
		Logging: local.LoggingNone,
	}
	if mode == guardUnseal {
		runArgs.Stdin = keys.ToStringPtrOutput()
	}
	run := local.RunOutput(ctx, runArgs, append(upAfter(ctx, unseal), pulumi.Parent(v))...)
	// One word, never a secret (the keys are only the guard's stdin).
	status := pulumi.Unsecret(run.Stdout()).(pulumi.StringOutput)
	return status.ApplyT(func(out string) (pulumi.StringOutput, error) {
		switch word := strings.TrimSpace(out); word {
		case guardUnsealed, guardUnreachable:
			return address, nil
		case guardUninitialized:
			// The guard runs after init (it reads init's answer), so this Vault lost what init made.
			return pulumi.StringOutput{}, fmt.Errorf("vault seal guard: Vault answers that it is " +
				"not initialised, though it was when vault-init ran: its storage was lost or replaced outside " +
				"the program. Restore Vault's data from a snapshot, or start a new, empty Vault with `pulumi up --replace` of " +
				"vault-init (README, troubleshooting)")
		case guardUnsealedNow:
			_ = ctx.Log.Info("Vault was sealed (it restarted since the last up); unsealed it with the keys the program holds", &pulumi.LogArgs{Resource: v})
			return address, nil
		case guardSealed, guardSealedNoKeys:
			msg := "Vault is sealed (it restarted since the last up): `pulumi up` unseals it with the keys the program holds " +
				"before anything reads Vault. This preview cannot read Vault, so it shows Vault's resources as updates and " +
				"the AppRole files steps as replacements; with Vault unsealed, none of them change"
			if word == guardSealedNoKeys {
				msg = "Vault is sealed (it restarted since the last up) and the program holds no unseal keys: key holders must " +
					"unseal it (`vault operator unseal`), or set hoodcloud:vaultUnsealKeys; this preview cannot read Vault"
			}
			_ = ctx.Log.Warn(msg, &pulumi.LogArgs{Resource: v})
			return pulumi.UnsafeUnknownOutput(nil).ApplyT(func(any) string { return "" }).(pulumi.StringOutput), nil
		default:
			return pulumi.StringOutput{}, fmt.Errorf("vault seal guard: unexpected answer %q", word)
		}
	}).(pulumi.StringOutput)
}
