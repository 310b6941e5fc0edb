#!/usr/bin/env bash
# Sets a stack's secret configuration from environment variables (GitHub secrets in the workflows), so the
# committed stack files hold no secret. Each value reaches `pulumi config set --secret` on stdin, never on
# a command line. Variables left empty are skipped (registryPassword when there is no registry login;
# read-only runs that need no secret may pass none). Needs PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE.
#
#   HCLOUD_TOKEN → hcloud:token                 CLOUDFLARE_API_TOKEN → cloudflareApiToken
#   STRIPE_SECRET_KEY → stripeSecretKey         STRIPE_WEBHOOK_SECRET → stripeWebhookSecret
#   CLERK_SECRET_KEY → clerkSecretKey           POSTGRES_PASSWORD → postgresPassword
#   PAYMENT_POSTGRES_PASSWORD → paymentPostgresPassword
#   GRAFANA_ADMIN_PASSWORD → grafanaAdminPassword   REGISTRY_PASSWORD → registryPassword
#
# Usage: scripts/ci-stack-secrets.sh STACK
set -euo pipefail
stack=${1:?usage: ci-stack-secrets.sh STACK}

pulumi stack select --create "$stack" --secrets-provider passphrase
set_secret() { # config-key env-var
	local value=${!2:-}
	if [[ -z "$value" ]]; then
		echo "ci-stack-secrets: $2 is empty; $1 left as it is"
		return 0
	fi
	printf '%s' "$value" | pulumi config set --stack "$stack" --secret "$1"
	echo "ci-stack-secrets: $1 set from $2"
}
set_secret hcloud:token HCLOUD_TOKEN
set_secret cloudflareApiToken CLOUDFLARE_API_TOKEN
set_secret stripeSecretKey STRIPE_SECRET_KEY
set_secret stripeWebhookSecret STRIPE_WEBHOOK_SECRET
set_secret clerkSecretKey CLERK_SECRET_KEY
set_secret postgresPassword POSTGRES_PASSWORD
set_secret paymentPostgresPassword PAYMENT_POSTGRES_PASSWORD
set_secret grafanaAdminPassword GRAFANA_ADMIN_PASSWORD
set_secret registryPassword REGISTRY_PASSWORD
