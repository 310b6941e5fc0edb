package pki_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoodcloud/infra/components/pki"
	"github.com/hoodcloud/infra/internal/platform"
)

// Where each role's files land (guide 2.3): the host layout other components ship.
func TestFileLayoutPerRole(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	want := map[platform.Role][]string{
		platform.Vault: {"vault/ca.crt", "vault/tls.crt", "vault/tls.key"},
		platform.Payment: {"vault/ca.crt",
			"payment/ca.crt", "payment/server.crt", "payment/server.key"},
		platform.ControlPlane: {"vault/ca.crt",
			"payment-client/ca.crt", "payment-client/client.crt", "payment-client/client.key",
			"agent-gateway/ca.crt", "agent-gateway/server.crt", "agent-gateway/server.key"},
	}
	for _, role := range platform.AllRoles {
		var got []string
		for _, f := range r.files[role] {
			rel, ok := strings.CutPrefix(f.Path, "/opt/hoodcloud/secrets/")
			if !ok {
				t.Errorf("%s: %s is not under /opt/hoodcloud/secrets/", role, f.Path)
			}
			got = append(got, rel)
			if f.Mode != "0644" {
				t.Errorf("%s: mode %s, want 0644 (containers run as non-root)", f.Path, f.Mode)
			}
			isKey := strings.HasSuffix(f.Path, ".key")
			if f.Secret != isKey || f.content.secret != isKey {
				t.Errorf("%s: Secret=%v, content secret=%v, want %v", f.Path, f.Secret, f.content.secret, isKey)
			}
			if !isKey && strings.Contains(f.content.s, "PRIVATE KEY") {
				t.Errorf("%s: a private key in a non-secret file", f.Path)
			}
			if f.hash.secret || len(f.hash.s) != 64 {
				t.Errorf("%s: hash %q secret=%v, want a plaintext SHA-256", f.Path, f.hash.s, f.hash.secret)
			}
		}
		if d := cmp.Diff(want[role], got); d != "" {
			t.Errorf("%s files (-want +got):\n%s", role, d)
		}
	}
	if pki.SecretsDir != "/opt/hoodcloud/secrets" || pki.DirMode != "0711" {
		t.Errorf("secrets dir %s mode %s", pki.SecretsDir, pki.DirMode)
	}
}

func fileByPath(t *testing.T, r *run, role platform.Role, rel string) resolvedFile {
	t.Helper()
	for _, f := range r.files[role] {
		if f.Path == pki.SecretsDir+"/"+rel {
			return f
		}
	}
	t.Fatalf("%s has no %s", role, rel)
	return resolvedFile{}
}

// Each file holds what its name says: the certificate and key of a directory pair up, ca.crt is the CA
// that issued the certificate beside it.
func TestFileContents(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	for _, tc := range []struct {
		role          platform.Role
		dir, crt, key string
		want          resolvedCert
	}{
		{platform.Vault, "vault", "tls.crt", "tls.key", r.vault},
		{platform.Payment, "payment", "server.crt", "server.key", r.payment},
		{platform.ControlPlane, "payment-client", "client.crt", "client.key", r.client},
		{platform.ControlPlane, "agent-gateway", "server.crt", "server.key", r.agent},
	} {
		ca := fileByPath(t, r, tc.role, tc.dir+"/ca.crt")
		crt := fileByPath(t, r, tc.role, tc.dir+"/"+tc.crt)
		key := fileByPath(t, r, tc.role, tc.dir+"/"+tc.key)
		if ca.content.s != tc.want.ca.s || crt.content.s != tc.want.cert.s || key.content.s != tc.want.key.s {
			t.Errorf("%s: files do not hold the %s certificate, key and CA", tc.role, tc.dir)
		}
		if _, err := tls.X509KeyPair([]byte(crt.content.s), []byte(key.content.s)); err != nil {
			t.Errorf("%s/%s and %s do not pair: %v", tc.dir, tc.crt, tc.key, err)
		}
	}
	for _, role := range []platform.Role{platform.ControlPlane, platform.Payment} {
		if fileByPath(t, r, role, "vault/ca.crt").content.s != r.vaultCA.s {
			t.Errorf("%s: vault/ca.crt is not the Vault CA", role)
		}
	}
}

// A server hosting several roles gets each file once; FileHashes covers every file of every role.
func TestFilesForRolesAndFileHashes(t *testing.T) {
	r := runPKI(t, fixtureArgs())
	all := map[string]string{}
	for _, role := range platform.AllRoles {
		for _, f := range r.files[role] {
			if prev, ok := all[f.Path]; ok && prev != f.hash.s {
				t.Errorf("%s hashes differently for two roles", f.Path)
			}
			all[f.Path] = f.hash.s
		}
	}
	if d := cmp.Diff(all, r.fileHashes); d != "" {
		t.Errorf("FileHashes (-files +FileHashes):\n%s", d)
	}
	if len(all) != 12 {
		t.Errorf("%d distinct files, want 12", len(all))
	}

	var paths []string
	for _, f := range r.prodControlPlaneHost {
		paths = append(paths, strings.TrimPrefix(f.Path, pki.SecretsDir+"/"))
		if f.hash.s != all[f.Path] || f.Secret != strings.HasSuffix(f.Path, ".key") || f.content.secret != f.Secret {
			t.Errorf("%s differs from the per-role file", f.Path)
		}
	}
	want := []string{"agent-gateway/ca.crt", "agent-gateway/server.crt", "agent-gateway/server.key",
		"payment-client/ca.crt", "payment-client/client.crt", "payment-client/client.key",
		"vault/ca.crt", "vault/tls.crt", "vault/tls.key"}
	if d := cmp.Diff(want, paths); d != "" {
		t.Errorf("FilesForRoles(control plane, vault) (-want +got):\n%s", d)
	}
	if h := r.hashFor; h[0] != h[1] || h[0].secret || len(h[0].s) != 64 {
		t.Errorf("HashFor: %v and %v, want one plaintext SHA-256 regardless of role order", h[0], h[1])
	}
}

// Hashes change exactly with the certificates: a new payment address reissues the payment server's
// certificate (its files' hashes change) and nothing else.
func TestHashesChangeExactlyWithTheirCertificate(t *testing.T) {
	before := runPKI(t, fixtureArgs())
	args := fixtureArgs()
	args.PaymentIPs = pulumiStrings("203.0.113.21", "2001:db8:21::1")
	after := runPKI(t, args)
	var changed []string
	for path, h := range before.fileHashes {
		if after.fileHashes[path] != h {
			changed = append(changed, path)
		}
	}
	want := []string{"/opt/hoodcloud/secrets/payment/server.crt", "/opt/hoodcloud/secrets/payment/server.key"}
	if d := cmp.Diff(want, sorted(changed)); d != "" {
		t.Errorf("changed hashes (-want +got):\n%s", d)
	}
	if before.hashFor != after.hashFor {
		t.Error("HashFor of the control plane host changed although none of its files did")
	}
	if before.payment.cert.s == after.payment.cert.s {
		t.Error("the payment certificate was not reissued for new addresses")
	}
}
