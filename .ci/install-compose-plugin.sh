#!/usr/bin/env bash
# Builds the Docker Compose v2 CLI plugin from its Go module and installs it at $1. Its go.mod carries
# exclude directives, so `go install module@version` refuses it: the module is copied out of the module
# cache and built as a main module instead.
set -euo pipefail
dest=${1:?usage: install-compose-plugin.sh DEST}
version=v2.40.3
module=github.com/docker/compose/v2
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT

dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
  echo "could not download $module@$version" >&2
  exit 1
fi
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
mkdir -p "$(dirname "$dest")"
(cd "$work/src" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X $module/internal.Version=$version" -o "$dest" ./cmd)
"$dest" version
