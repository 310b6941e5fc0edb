package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hoodcloud/infra/internal/testkit"
)

func TestFlags(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("  "+testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"-cert", "c.pem", "-key", "k.pem", "-token-file", tokenFile}

	cfg, err := parseFlags(append(base, "-zone", "staging.hoodcloud.io", "-zone", "a.example, b.example,"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{apiListen: ":443", dnsListen: ":53", certFile: "c.pem", keyFile: "k.pem", token: testToken,
		zones: []string{"staging.hoodcloud.io", "a.example", "b.example"}}
	if d := cmp.Diff(want, cfg, cmp.AllowUnexported(config{})); d != "" {
		t.Errorf("config (-want +got):\n%s", d)
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no zone", base, "-zone"},
		{"only commas", append(base, "-zone", " , "), "-zone"},
		{"no token file", []string{"-cert", "c", "-key", "k", "-zone", "z"}, "-token-file"},
		{"no cert", []string{"-key", "k", "-token-file", tokenFile, "-zone", "z"}, "-cert"},
		{"missing token file", []string{"-cert", "c", "-key", "k", "-token-file", filepath.Join(dir, "nope"), "-zone", "z"}, "token file"},
		{"empty token", []string{"-cert", "c", "-key", "k", "-token-file", empty, "-zone", "z"}, "empty"},
		{"stray argument", append(base, "-zone", "z", "extra"), "unexpected"},
	} {
		if _, err := parseFlags(c.args, io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := parseFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

// The program as the rehearsal runs it: HTTPS with the given certificate for api.cloudflare.com, DNS on
// UDP and TCP at one port, until its context ends. A client that trusts the certificate reaches the API
// by that name, and Go's resolver finds the record over both transports.
func TestRunServesTheAPIOverTLSAndTheRecordsOverDNS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := writeCert(t, dir, "api.cloudflare.com")
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseFlags([]string{"-api-listen", "127.0.0.1:0", "-dns-listen", "127.0.0.1:0", "-cert", certFile,
		"-key", keyFile, "-token-file", tokenFile, "-zone", "staging.hoodcloud.io"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	addrs := make(chan [2]net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, cfg, slog.New(slog.NewTextHandler(logs, nil)), func(api, dns net.Addr) { addrs <- [2]net.Addr{api, dns} })
	}()
	var apiAddr, dnsAddr net.Addr
	select {
	case a := <-addrs:
		apiAddr, dnsAddr = a[0], a[1]
	case err := <-done:
		t.Fatalf("run: %v", err)
	}

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, apiAddr.String())
		},
	}}
	body := txtBody("_acme-challenge.nats.staging.hoodcloud.io", "over-tls")
	req, _ := http.NewRequest("POST", "https://api.cloudflare.com/client/v4/zones/"+zoneID("staging.hoodcloud.io")+"/dns_records", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Success bool       `json:"success"`
		Result  recordJSON `json:"result"`
	}
	err = json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !env.Success || env.Result.Content != "over-tls" {
		t.Fatalf("POST over TLS: %d %+v %v", resp.StatusCode, env, err)
	}

	for _, network := range []string{"udp", "tcp"} {
		got, err := goResolver(dnsAddr.String(), network).LookupTXT(context.Background(), "_acme-challenge.nats.staging.hoodcloud.io")
		if err != nil || !cmp.Equal(got, []string{"over-tls"}) {
			t.Errorf("%s: LookupTXT %v %v", network, got, err)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
	for _, want := range []string{"msg=zone name=staging.hoodcloud.io id=" + zoneID("staging.hoodcloud.io"), "msg=api", "proto=udp", "proto=tcp", "msg=stopping"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), testToken) {
		t.Errorf("the token is in the log:\n%s", logs.String())
	}
}

// A certificate the program cannot load stops it before it listens.
func TestRunRefusesABadCertificate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	cfg := config{apiListen: "127.0.0.1:0", dnsListen: "127.0.0.1:0", certFile: bad, keyFile: bad, token: testToken, zones: []string{"z.example"}}
	err := run(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), func(net.Addr, net.Addr) {
		t.Error("listening with a bad certificate")
	})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("run: %v", err)
	}
}

// writeCert writes a certificate for name, signed by a test CA, and its key as PEM files, as the
// rehearsal's caller provides them, and returns a pool that trusts the CA.
func writeCert(t *testing.T, dir, name string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	ca := testkit.NewTestCA(t, "cloudflare stand-in test CA")
	certPEM, keyPEM := ca.Issue(t, testkit.Leaf{CommonName: name, DNSNames: []string{name}, Usage: x509.ExtKeyUsageServerAuth, Serial: 2})
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, ca.Pool()
}
