package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMigrateSucceedsOrFailsAsTold(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"migrate", "-message", "applied 2 migrations"}, &out, &errb); code != 0 || out.String() != "migrate: applied 2 migrations\n" {
		t.Errorf("success: code %d, stdout %q", code, out.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"migrate", "-fail", "-exit-code", "3", "-message", "relation exists"}, &out, &errb); code != 3 || errb.String() != "migrate: relation exists\n" {
		t.Errorf("failure: code %d, stderr %q", code, errb.String())
	}
	t.Setenv("TESTSERVICE_FAIL", "true")
	if code := run([]string{"migrate"}, &out, &errb); code != 1 {
		t.Errorf("TESTSERVICE_FAIL=true must fail the migration, code %d", code)
	}
	if code := run([]string{"migrate", "-fail=false", "-require", "127.0.0.1:1"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "unreachable") {
		t.Errorf("an unreachable data service must fail the migration: code %d, stderr %q", code, errb.String())
	}
}

func TestCheckHTTPAndTCP(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer bad.Close()
	var errb bytes.Buffer
	if code := run([]string{"check", ok.URL + "/health"}, &errb, &errb); code != 0 {
		t.Errorf("200 must pass: %d %s", code, errb.String())
	}
	if code := run([]string{"check", bad.URL + "/health"}, &errb, &errb); code != 1 {
		t.Errorf("503 must fail: %d", code)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if code := run([]string{"check", "tcp://" + addr}, &errb, &errb); code != 0 {
		t.Errorf("an open port must pass: %d %s", code, errb.String())
	}
	l.Close()
	if code := run([]string{"check", "tcp://" + addr}, &errb, &errb); code != 1 {
		t.Errorf("a closed port must fail: %d", code)
	}
	if code := run([]string{"bogus"}, &errb, &errb); code != 2 {
		t.Errorf("an unknown mode must be a usage error: %d", code)
	}
}
