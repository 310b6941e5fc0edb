#!/usr/bin/env bash
# Publishes a stack's outputs contract after a deploy, every secret output masked as "[secret]" (`pulumi
# stack output --json` without --show-secrets), to s3://$PULUMI_STATE_BUCKET/outputs/hoodcloud/STACK.json:
# the one object the stackOutputReaders' role may read (.github/workflows/stack-outputs.yml), so other
# repositories get the contract without the state or the passphrase.
# Needs PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, PULUMI_STATE_BUCKET and AWS credentials.
# Usage: scripts/ci-publish-outputs.sh STACK
set -euo pipefail
stack=${1:?usage: ci-publish-outputs.sh STACK}
bucket=${PULUMI_STATE_BUCKET:?PULUMI_STATE_BUCKET must name the state backend bucket}

outputs=$(mktemp)
trap 'rm -f "$outputs"' EXIT
pulumi stack output --json --stack "$stack" >"$outputs"
aws s3 cp --only-show-errors --content-type application/json "$outputs" "s3://$bucket/outputs/hoodcloud/$stack.json"
echo "ci-publish-outputs: outputs of $stack published to s3://$bucket/outputs/hoodcloud/$stack.json"
