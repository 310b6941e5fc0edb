package testkit

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CommandStdout fakes pulumi-command: a step whose name ends with a key of stdouts prints that value;
// others print nothing. stdout/stderr are secret when the step asked for it (AdditionalSecretOutputs), as
// the engine makes them.
func CommandStdout(stdouts map[string]string) ResourceFunc {
	return func(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
		outs := a.Inputs.Copy()
		stdout := ""
		for suffix, v := range stdouts {
			if strings.HasSuffix(a.Name, suffix) {
				stdout = v
			}
		}
		secret := map[string]bool{}
		if a.RegisterRPC != nil {
			for _, k := range a.RegisterRPC.GetAdditionalSecretOutputs() {
				secret[k] = true
			}
		}
		for k, v := range map[string]string{"stdout": stdout, "stderr": ""} {
			p := resource.NewProperty(v)
			if secret[k] {
				p = resource.MakeSecret(p)
			}
			outs[resource.PropertyKey(k)] = p
		}
		return a.Name + "-id", outs, nil
	}
}

// FixtureDeployLog is what a compose deploy step prints on a host, ending with its receipt; the fakes
// answer it for every "*-app-deploy" step, and the log itself quotes a service's secret-looking line so
// the secret sweep proves the log stays secret while the receipt is public.
const FixtureDeployLog = `deploy: pulling images
migrate: connecting with password=fixture-deploy-log-secret-4e1
deploy: migration succeeded
deploy: healthy
deploy-receipt: begin
deploy-receipt: deployed-at 2026-12-02T01:40:00Z
deploy-receipt: migrate migrate exit 0
deploy-receipt: container api|registry.hoodcloud.io/hoodcloud/api:v1.42.0|running|healthy
deploy-receipt: container postgres|postgres:16-alpine|running|healthy
deploy-receipt: end
`

// FakeAppRoleSecretID is the secret_id the fake Vault issues to an AppRole secret-id resource.
func FakeAppRoleSecretID(name string) string { return "fake-approle-secret-id-of-" + name }

func fakeAppRoleSecretID(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	outs := a.Inputs.Copy()
	outs["secretId"] = resource.MakeSecret(resource.NewProperty(FakeAppRoleSecretID(a.Name)))
	outs["accessor"] = resource.NewProperty("accessor-of-" + a.Name)
	return a.Name + "-id", outs, nil
}

// fakeAppRole answers like Vault for an AppRole role: the role_id Vault generates when none is given.
func fakeAppRole(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	outs := a.Inputs.Copy()
	if _, ok := outs["roleId"]; !ok {
		outs["roleId"] = resource.NewProperty(fmt.Sprintf("00000000-0000-4000-8000-%012d", stableNumber(a.Name, 999_999_999)))
	}
	return "auth/approle/role/" + a.Name, outs, nil
}

func init() {
	defaultResources["vault:appRole/authBackendRole:AuthBackendRole"] = fakeAppRole
	defaultResources["vault:appRole/authBackendRoleSecretId:AuthBackendRoleSecretId"] = fakeAppRoleSecretID
	defaultResources["command:remote:Command"] = CommandStdout(nil)
}
