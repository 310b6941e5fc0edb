// Package vault bootstraps HoodCloud's secrets provider (guide Part 1b) and hands the rest of the program
// a Vault provider that never holds the root token.
//
// Remote steps on the Vault host, each an embedded script run over SSH with its secrets on stdin:
// install (TLS files, vault.hcl, compose file; `docker compose --profile vault-prod up -d vault`; wait
// for the API), init (`vault operator init`, once), unseal (unless AWS KMS auto-unseals), credential
// (with the root token: the hoodcloud-pulumi policy and AppRole, and a fresh secret ID) and revoke-root.
// The pulumi-vault provider then logs in through that AppRole and manages the KV v2 mount at secret/,
// the application secrets, and one least-privilege policy, AppRole role and secret ID per consumer
// (control plane, payment service, certbot), whose role_id/secret_id files a last step installs on the
// consumer's host (guide 2.4).
//
// Two properties matter more than the rest. The init output (unseal keys and root token) exists once:
// the init step ignores later edits to its script, triggers and connection, so it never runs again and
// never overwrites what Pulumi stored (force it with `pulumi up --replace` only for a new, empty Vault),
// and it is exported as the secret InitOutput so operators can keep the keys offline. And the root token
// is used by two steps only, credential and revoke-root; once revoked, a re-run of the credential step
// (its script edited) needs a new root token from `vault operator generate-root` in
// hoodcloud:vaultRootToken, which the revoke step then revokes again.
//
// Without AutoUnseal, a Vault restarted outside Pulumi (host reboot, Docker restart) comes back sealed
// and no step re-runs by itself: unseal by hand, or `pulumi up --replace` the unseal step.
package vault
