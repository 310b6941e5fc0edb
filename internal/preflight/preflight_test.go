package preflight

import (
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

// The operator's path without credentials fails at once, listing everything to set, each with its command.
func TestProdWithoutCredentialsListsEverythingMissing(t *testing.T) {
	_, err := Check("../..", "prod", noEnv)
	if err == nil {
		t.Fatal("prod accepted without secrets or credentials")
	}
	for _, want := range []string{
		"stack prod cannot be previewed yet",
		"export PULUMI_CONFIG_PASSPHRASE",
		"hoodcloud:cloudflareApiToken: pulumi config set --stack prod --secret cloudflareApiToken",
		"hoodcloud:stripeSecretKey", "hoodcloud:stripeWebhookSecret", "hoodcloud:clerkSecretKey",
		"hoodcloud:postgresPassword", "hoodcloud:paymentPostgresPassword", "hoodcloud:grafanaAdminPassword",
		`hoodcloud:registryPassword (registryUsername is "deploy")`,
		"hcloud:token", "AWS credentials",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
}

// The demo stack needs nothing from the user: its passphrase is the published demo one.
func TestDemoNeedsNothing(t *testing.T) {
	env, err := Check("../..", DemoStack, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if env.Passphrase != DemoPassphrase || !strings.HasSuffix(env.BackendURL, ".pulumi-local") {
		t.Errorf("env %+v", env)
	}
}

// A stack file that does not exist is named with the command that makes it.
func TestUnknownStack(t *testing.T) {
	_, err := Check("../..", "qa", func(k string) string { return map[string]string{"AWS_PROFILE": "x"}[k] })
	if err == nil || !strings.Contains(err.Error(), "pulumi stack init qa") {
		t.Errorf("error %v", err)
	}
}
