package vault

import (
	"github.com/pulumi/pulumi-vault/sdk/v7/go/vault"
	"github.com/pulumi/pulumi-vault/sdk/v7/go/vault/approle"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/component"
	"github.com/hoodcloud/infra/internal/remotestep"
)

// Consumers' AppRole tokens: an hour, renewable to a day. Secret IDs do not expire and have no use
// limit, because the services log in with the same file for as long as it is deployed; rotating one
// is replacing its secret ID resource.
const (
	consumerTokenTTL    = 3600
	consumerTokenMaxTTL = 86400
)

// consumers creates, per consumer, its policy (exactly its path rules), AppRole role, secret ID and the
// step that installs role_id and secret_id on its host.
func (v *Vault) consumers(ctx *pulumi.Context, name string, args *Args, managed func(...pulumi.ResourceOption) []pulumi.ResourceOption) error {
	roleIDs := pulumi.StringMap{}
	v.AppRoleFiles = map[string]AppRoleFiles{}
	v.ConsumerReady = map[string][]pulumi.Resource{}
	for _, c := range args.Consumers {
		base := name + "-" + c.Name
		text, err := RenderConsumerPolicy(c)
		if err != nil {
			return err
		}
		policy, err := vault.NewPolicy(ctx, base+"-policy", &vault.PolicyArgs{
			Name:   pulumi.String(ConsumerPrefix + c.Name),
			Policy: pulumi.String(text),
		}, managed()...)
		if err != nil {
			return err
		}
		role, err := approle.NewAuthBackendRole(ctx, base+"-role", &approle.AuthBackendRoleArgs{
			Backend:         pulumi.String("approle"),
			RoleName:        pulumi.String(ConsumerPrefix + c.Name),
			TokenPolicies:   pulumi.StringArray{policy.Name},
			TokenTtl:        pulumi.Int(consumerTokenTTL),
			TokenMaxTtl:     pulumi.Int(consumerTokenMaxTTL),
			SecretIdTtl:     pulumi.Int(0),
			SecretIdNumUses: pulumi.Int(0),
		}, managed()...)
		if err != nil {
			return err
		}
		secretID, err := approle.NewAuthBackendRoleSecretId(ctx, base+"-secret-id", &approle.AuthBackendRoleSecretIdArgs{
			Backend:  role.Backend,
			RoleName: role.RoleName,
		}, managed()...)
		if err != nil {
			return err
		}
		dir := c.dir()
		script, err := RenderAppRoleFilesScript(dir)
		if err != nil {
			return err
		}
		remove, err := RenderAppRoleFilesRemoveScript(dir)
		if err != nil {
			return err
		}
		stdin := pulumi.All(role.RoleId, secretID.SecretId).ApplyT(func(x []any) string {
			return appRoleFilesInput(x[0].(string), x[1].(string))
		}).(pulumi.StringOutput)
		files, err := remotestep.Run(ctx, base+"-approle-files", c.Host, remotestep.Step{
			Script: script, Stdin: stdin, Sensitive: true, Delete: remove,
		}, component.Child(v, pulumi.DependsOn(c.DependsOn))...)
		if err != nil {
			return err
		}
		roleIDs[c.Name] = role.RoleId
		v.AppRoleFiles[c.Name] = AppRoleFiles{Dir: dir, RoleID: dir + "/role_id", SecretID: dir + "/secret_id"}
		v.ConsumerReady[c.Name] = []pulumi.Resource{files}
	}
	v.ConsumerRoleIDs = roleIDs.ToStringMapOutput()
	return nil
}
