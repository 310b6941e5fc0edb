// Package enginetest runs the program under the real Pulumi engine (Automation API, inline program,
// local file backend, passphrase secrets) with the real command, tls, hcloud and vault plugins for
// preview, and stand-ins (tools/standin-provider) only for what cannot be reached here: AWS always, and
// for `up` the Hetzner API, the SSH hosts and a live Vault. The toolchain comes from
// scripts/engine-toolchain.sh; `make test` builds it and requires these tests to run.
package enginetest
