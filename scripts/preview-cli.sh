#!/usr/bin/env bash
# `pulumi preview --diff` of one stack with the installed Pulumi CLI and its Go language host, on the local
# file backend (.pulumi-local in the project, or PULUMI_BACKEND_URL). The preflight runs first: a stack that
# lacks a secret or credential fails in seconds with the list of what to set.
# Usage: scripts/preview-cli.sh STACK
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stack=${1:?usage: preview-cli.sh STACK}
env_lines=$(go run ./cmd/preflight -stack "$stack")
eval "$env_lines"
if [[ "$PULUMI_BACKEND_URL" == file://* ]]; then
	mkdir -p "${PULUMI_BACKEND_URL#file://}"
fi
pulumi stack select --create "$stack" --secrets-provider passphrase
pulumi preview --stack "$stack" --diff
