#!/usr/bin/env bash
# The update command of the root-only steps (credential, revoke-root) while hoodcloud:vaultRootToken is set:
# pulumi-command runs it when only the connection changed (a rotated deploy key). The configured token was
# revoked by the up that used it, so running the step's script again could only fail halfway; this says
# what to do instead, before anything runs.
set -euo pipefail
echo "hoodcloud:vaultRootToken is still set; the up that used it revoked it. Unset it (pulumi config rm vaultRootToken) and run pulumi up again: nothing that needs the root token runs then." >&2
exit 1
