package compose

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadBundleFixture(t *testing.T) {
	b, err := ReadBundle(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range b.Files {
		names = append(names, f.Name)
	}
	want := []string{"config/caddy/Caddyfile", "config/gatus/config.yaml", "config/grafana/provisioning/datasources/datasources.yaml",
		"config/loki/loki.yaml", "config/nats/nats.conf", "config/prometheus/prometheus.yml", "docker-compose.payment.yml", "docker-compose.yml"}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Fatalf("bundle files (sorted):\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
}

// TestBundleHashIsContent: the hash depends on names, modes and contents only — not on where the bundle
// lies or when its files were written — and changes with each of them.
func TestBundleHashIsContent(t *testing.T) {
	files := map[string]string{"docker-compose.yml": "services: {}\n", "config/a.conf": "a\n", "config/b.conf": "b\n"}
	h1 := mustBundle(t, writeBundle(t, files)).Hash()
	if h2 := mustBundle(t, writeBundle(t, files)).Hash(); h1 != h2 {
		t.Fatalf("same files in another directory hash differently: %s vs %s", h1, h2)
	}
	changed := map[string]map[string]string{
		"content": {"docker-compose.yml": "services: {}\n", "config/a.conf": "A\n", "config/b.conf": "b\n"},
		"name":    {"docker-compose.yml": "services: {}\n", "config/a2.conf": "a\n", "config/b.conf": "b\n"},
		"removed": {"docker-compose.yml": "services: {}\n", "config/a.conf": "a\n"},
		"moved":   {"docker-compose.yml": "services: {}\n", "config/a.conf": "a\nb\n", "config/b.conf": ""},
	}
	for what, fs := range changed {
		if h := mustBundle(t, writeBundle(t, fs)).Hash(); h == h1 {
			t.Errorf("changing the %s does not change the hash", what)
		}
	}
	dir := writeBundle(t, files)
	if err := os.Chmod(filepath.Join(dir, "config/a.conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if h := mustBundle(t, dir).Hash(); h == h1 {
		t.Error("making a file executable does not change the hash")
	}
	if err := os.Chmod(filepath.Join(dir, "config/a.conf"), 0o600); err != nil {
		t.Fatal(err)
	}
	if h := mustBundle(t, dir).Hash(); h != h1 {
		t.Error("a umask difference (0600 vs 0644) changes the hash")
	}
}

func TestBundleTarIsDeterministicAndComplete(t *testing.T) {
	b := mustBundle(t, fixtureDir)
	s1, err := b.UploadStream("DOMAIN=example.org\n", "services: {}\n")
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := mustBundle(t, fixtureDir).UploadStream("DOMAIN=example.org\n", "services: {}\n")
	if s1 != s2 {
		t.Fatal("two streams of the same bundle differ")
	}
	got, headers := untarWithHeaders(t, s1)
	for _, h := range headers {
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 || h.Typeflag != tar.TypeReg {
			t.Errorf("%s: header not normalised: %+v", h.Name, h)
		}
	}
	if got[EnvFileName] != "DOMAIN=example.org\n" {
		t.Errorf(".env in the stream: %q", got[EnvFileName])
	}
	for _, f := range b.Files {
		if got[f.Name] != string(f.Content) {
			t.Errorf("%s missing or different in the stream", f.Name)
		}
	}
	if got[OverrideFileName] != "services: {}\n" {
		t.Errorf("override in the stream: %q", got[OverrideFileName])
	}
	if len(got) != len(b.Files)+2 {
		t.Errorf("stream holds %d files, want %d", len(got), len(b.Files)+2)
	}
}

func TestReadBundleRefuses(t *testing.T) {
	withEnv := writeBundle(t, map[string]string{"docker-compose.yml": "services: {}\n", ".env": "A=b\n"})
	if _, err := ReadBundle(withEnv); err == nil || !strings.Contains(err.Error(), "expected no .env") {
		t.Errorf("a bundle with its own .env must be refused, got %v", err)
	}
	withLink := writeBundle(t, map[string]string{"docker-compose.yml": "services: {}\n"})
	if err := os.Symlink("/etc/passwd", filepath.Join(withLink, "passwd")); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBundle(withLink); err == nil || !strings.Contains(err.Error(), "regular files only") {
		t.Errorf("a symbolic link must be refused, got %v", err)
	}
	if _, err := ReadBundle(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "hoodcloud:bundleDir") {
		t.Errorf("a missing directory must be refused naming the key, got %v", err)
	}
	if _, err := ReadBundle(t.TempDir()); err == nil || !strings.Contains(err.Error(), "empty directory") {
		t.Errorf("an empty directory must be refused, got %v", err)
	}
}

func mustBundle(t testing.TB, dir string) *Bundle {
	t.Helper()
	b, err := ReadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
