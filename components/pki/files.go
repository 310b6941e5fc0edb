package pki

import (
	"path"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/hoodcloud/infra/internal/contenthash"
	"github.com/hoodcloud/infra/internal/platform"
)

// Where the files land on hosts (guide 2.3). Key files are 0644 like certificates because the containers
// run as non-root users; access control is the root-owned SecretsDir, mode 0711 (guide 2.3): no one but
// root lists it or creates files in it.
const (
	SecretsDir = "/opt/hoodcloud/secrets"
	DirMode    = "0711"
	FileMode   = "0644"
)

// File is one PKI file a host needs.
type File struct {
	// Path is absolute, under SecretsDir.
	Path string
	Mode string
	// Content is the PEM text; secret for keys.
	Content pulumi.StringOutput
	// Secret says the content is a private key: it must travel only on a step's stdin.
	Secret bool
	// Hash changes exactly when the file changes, and is never secret: for a certificate it is the hash of
	// the certificate; for a key it is the hash of the certificate the key belongs to (a new key means a
	// new request and so a new certificate), so no function of a private key is ever in plaintext.
	// Consumers put it in their step's Hashes to redeploy when their certificates rotate.
	Hash pulumi.StringOutput
}

// fileSpec is one file of the layout: pure data, with accessors into the PKI for its content.
type fileSpec struct {
	rel    string
	secret bool
	// content is the file's text; identity is the certificate that changes exactly when it does.
	content, identity func(p *PKI) pulumi.StringOutput
}

func caFile(rel string, pem func(p *PKI) pulumi.StringOutput) fileSpec {
	return fileSpec{rel: rel, content: pem, identity: pem}
}

func certFiles(dir, certName, keyName string, c func(p *PKI) Certificate) []fileSpec {
	cert := func(p *PKI) pulumi.StringOutput { return c(p).CertPEM }
	return []fileSpec{
		caFile(dir+"/ca.crt", func(p *PKI) pulumi.StringOutput { return c(p).CAPEM }),
		{rel: dir + "/" + certName, content: cert, identity: cert},
		{rel: dir + "/" + keyName, secret: true, content: func(p *PKI) pulumi.StringOutput { return c(p).KeyPEM }, identity: cert},
	}
}

var (
	// vaultTrust lets a host verify Vault: every role that reads secrets gets it.
	vaultTrust   = caFile("vault/ca.crt", func(p *PKI) pulumi.StringOutput { return p.VaultCAPEM })
	vaultServer  = certFiles("vault", "tls.crt", "tls.key", func(p *PKI) Certificate { return p.VaultServer })
	paymentSrv   = certFiles("payment", "server.crt", "server.key", func(p *PKI) Certificate { return p.PaymentServer })
	paymentCli   = certFiles("payment-client", "client.crt", "client.key", func(p *PKI) Certificate { return p.ControlPlanePaymentClient })
	agentGateway = certFiles("agent-gateway", "server.crt", "server.key", func(p *PKI) Certificate { return p.AgentGatewayServer })
)

// layout is which files each role's host holds.
func layout(role platform.Role) []fileSpec {
	switch role {
	case platform.Vault:
		return vaultServer
	case platform.Payment:
		return append([]fileSpec{vaultTrust}, paymentSrv...)
	case platform.ControlPlane:
		return append(append([]fileSpec{vaultTrust}, paymentCli...), agentGateway...)
	}
	return nil
}

// FilesFor returns the files the host of role needs, in a fixed order.
func (p *PKI) FilesFor(role platform.Role) []File {
	specs := layout(role)
	out := make([]File, 0, len(specs))
	for _, s := range specs {
		out = append(out, p.file(s))
	}
	return out
}

// FilesForRoles returns the files of a host that plays several roles (staging plays all, prod's control
// plane server also hosts Vault), each path once, sorted by path.
func (p *PKI) FilesForRoles(roles []platform.Role) []File {
	specs := specsFor(roles)
	out := make([]File, 0, len(specs))
	for _, s := range specs {
		out = append(out, p.file(s))
	}
	return out
}

// HashFor is one hash over every file of the roles: it changes exactly when any of them does.
func (p *PKI) HashFor(roles []platform.Role) pulumi.StringOutput {
	files := p.FilesForRoles(roles)
	parts := make([]any, 0, len(files))
	for _, f := range files {
		parts = append(parts, f.Hash)
	}
	return pulumi.All(parts...).ApplyT(func(hs []any) string {
		ss := make([]string, 0, 2*len(hs))
		for i, h := range hs {
			ss = append(ss, files[i].Path, h.(string))
		}
		return contenthash.Of(ss...)
	}).(pulumi.StringOutput)
}

func specsFor(roles []platform.Role) []fileSpec {
	byPath := map[string]fileSpec{}
	for _, r := range roles {
		for _, s := range layout(r) {
			byPath[s.rel] = s
		}
	}
	out := make([]fileSpec, 0, len(byPath))
	for _, s := range byPath {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rel < out[j].rel })
	return out
}

func (p *PKI) file(s fileSpec) File {
	full := path.Join(SecretsDir, s.rel)
	return File{
		Path:    full,
		Mode:    FileMode,
		Content: p.contentOf(s),
		Secret:  s.secret,
		Hash: s.identity(p).ApplyT(func(id string) string {
			return contenthash.Of(full, FileMode, id)
		}).(pulumi.StringOutput),
	}
}

func (p *PKI) contentOf(s fileSpec) pulumi.StringOutput {
	c := s.content(p)
	if s.secret {
		return pulumi.ToSecret(c).(pulumi.StringOutput)
	}
	return c
}

// fileHashes is FileHashes: every file of every role.
func (p *PKI) fileHashes() pulumi.StringMapOutput {
	m := pulumi.StringMap{}
	for _, f := range p.FilesForRoles(platform.AllRoles) {
		m[f.Path] = f.Hash
	}
	return m.ToStringMapOutput()
}
