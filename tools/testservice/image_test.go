package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An image's healthcheck commands (pg_isready, api healthcheck) check TESTSERVICE_HEALTH, ${VAR} expanded.
func TestHealthCommandChecksTheImagesTarget(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Setenv("TESTSERVICE_HEALTH_COMMANDS", "pg_isready,redis-cli")
	t.Setenv("DB_ADDR", l.Addr().String())
	t.Setenv("TESTSERVICE_HEALTH", "tcp://${DB_ADDR}")
	var errb bytes.Buffer
	if code := runAs("pg_isready", []string{"-U", "hoodcloud"}, &errb, &errb); code != 0 {
		t.Fatalf("pg_isready against an open port: %d %s", code, errb.String())
	}
	l.Close()
	if code := runAs("redis-cli", []string{"ping"}, &errb, &errb); code != 1 {
		t.Errorf("redis-cli against a closed port must fail, got %d", code)
	}
	t.Setenv("TESTSERVICE_HEALTH", "")
	if code := runAs("pg_isready", nil, &errb, &errb); code != 2 || !strings.Contains(errb.String(), "TESTSERVICE_HEALTH is not set") {
		t.Errorf("a health command without a target is a usage error: %d %s", code, errb.String())
	}
}

// The real image's arguments reach the entrypoint; the stand-in runs its own mode and says what it ignored.
func TestStandInRunsTheImagesModeWhateverTheArguments(t *testing.T) {
	t.Setenv("TESTSERVICE_MODE", "migrate")
	t.Setenv("TESTSERVICE_FAIL", "true")
	t.Setenv("TESTSERVICE_MESSAGE", "relation \"accounts\" already exists")
	var out, errb bytes.Buffer
	code := runAs("testservice", []string{"--database", "payment"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), `"--database" "payment"`) || !strings.Contains(errb.String(), "migrate: relation \"accounts\" already exists") {
		t.Errorf("failing migrate stand-in: code %d, stderr %q", code, errb.String())
	}
	// Under another name that is not a health command (temporal's entrypoint.sh) it runs the mode too.
	t.Setenv("TESTSERVICE_FAIL", "false")
	out.Reset()
	if code := runAs("entrypoint.sh", []string{"autosetup"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "migrate:") {
		t.Errorf("entrypoint.sh must run the image's mode: %d %q", code, out.String())
	}
	// testservice's own modes still win over the image's.
	if code := runAs("testservice", []string{"check"}, &out, &errb); code != 2 {
		t.Errorf("an explicit mode must be run as given: %d", code)
	}
	t.Setenv("TESTSERVICE_MODE", "check")
	if code := runAs("testservice", nil, &out, &errb); code != 2 {
		t.Errorf("check is not an image mode: %d", code)
	}
}

// A stand-in fails to start without the secrets its real image needs.
func TestRequirementsFailTheService(t *testing.T) {
	dir := t.TempDir()
	full, empty := filepath.Join(dir, "password"), filepath.Join(dir, "empty")
	if err := os.WriteFile(full, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, files, vars, want string
	}{
		{"file named by a variable", "${PW_FILE}", "", ""},
		{"variable naming the file unset", "${NOPE_FILE}", "", "NOPE_FILE is not set"},
		{"empty file", empty, "", "is empty"},
		{"missing file", filepath.Join(dir, "missing"), "", "no such file"},
		{"unset variable", "", "POSTGRES_PWD", "POSTGRES_PWD is not set"},
	}
	t.Setenv("PW_FILE", full)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run([]string{"migrate", "-require-file", c.files, "-require-env", c.vars}, &out, &errb)
			if c.want == "" {
				if code != 0 {
					t.Fatalf("met requirements must pass: %d %s", code, errb.String())
				}
				return
			}
			if code != 1 || !strings.Contains(errb.String(), c.want) {
				t.Errorf("want exit 1 saying %q, got %d %q", c.want, code, errb.String())
			}
		})
	}
}
