package hcloudhost

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/hoodcloud/infra/internal/render"
)

//go:embed authorized-keys.sh.tmpl
var authorizedKeysTemplate string

// AuthorizedKeysFile is root's authorized_keys on a server.
const AuthorizedKeysFile = "/root/.ssh/authorized_keys"

// AuthorizedKeysParams are the keys root accepts on one server, one OpenSSH public key line each.
type AuthorizedKeysParams struct {
	ServerName string
	// File is the authorized_keys file (AuthorizedKeysFile on a server).
	File string
	Keys []string
}

// RenderAuthorizedKeys renders the step that installs the server's authorized_keys. Keys are checked
// again here (the stack validated the operators' keys; the deploy keys come from the graph): a line break
// would split a key into two records, an empty list would lock everyone out.
func RenderAuthorizedKeys(p AuthorizedKeysParams) (string, error) {
	if len(p.Keys) == 0 {
		return "", fmt.Errorf("hoodcloud:sshPublicKeys: expected at least one authorized key for %s, found none", p.ServerName)
	}
	for i, k := range p.Keys {
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, "\r\n") {
			return "", fmt.Errorf("hoodcloud:sshPublicKeys: expected one non-empty line per key for %s, found a broken key %d", p.ServerName, i)
		}
	}
	return render.Template("authorized-keys.sh", authorizedKeysTemplate, p)
}
