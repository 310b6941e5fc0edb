# hoodcloud-pulumi: the credential the Pulumi program's Vault provider logs in with. It reaches only
# what the program manages: the KV v2 mount at secret/, the policies and AppRole roles named hoodcloud-*
# (never its own), and the secrets under secret/. Auth methods are not managed through it: the AppRole
# method is enabled by the bootstrap step that creates this credential.
path "sys/mounts" {
  capabilities = ["read"]
}
# Every up reads the AppRole method's mount (vault.getAuthBackend): a sealed or unreachable Vault fails
# there, before anything changes.
path "sys/mounts/auth/approle" {
  capabilities = ["read"]
}
path "sys/mounts/secret" {
  capabilities = ["create", "read", "update", "delete", "sudo"]
}
path "sys/mounts/secret/tune" {
  capabilities = ["read", "update", "sudo"]
}
path "sys/policies/acl/hoodcloud-*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "sys/policies/acl/hoodcloud-pulumi" {
  capabilities = ["deny"]
}
path "auth/approle/role/hoodcloud-*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "auth/approle/role/hoodcloud-pulumi" {
  capabilities = ["deny"]
}
path "auth/approle/role/hoodcloud-pulumi/*" {
  capabilities = ["deny"]
}
path "secret/data/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "secret/metadata/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
