// Command vault-entrypoint is the entrypoint of the rehearsal's Vault image (images/vault): what
// hashicorp/vault's docker-entrypoint.sh does for the program's compose file, without a shell in an image
// built FROM scratch. `server` becomes `vault server -config=/vault/config`; anything else runs vault with
// the arguments given.
package main

import (
	"fmt"
	"os"
	"syscall"
)

// vaultBinary is where the image puts the real Vault server.
const vaultBinary = "/bin/vault"

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "server" {
		args = append([]string{"server", "-config=/vault/config"}, args[1:]...)
	}
	err := syscall.Exec(vaultBinary, append([]string{"vault"}, args...), os.Environ())
	fmt.Fprintln(os.Stderr, "vault-entrypoint:", err)
	os.Exit(127)
}
