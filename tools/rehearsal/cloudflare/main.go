// Command cloudflare stands in for Cloudflare during a local rehearsal of certbot's DNS-01 challenge.
// certbot's dns-cloudflare plugin (through python-cloudflare, with an API token) creates and deletes the
// _acme-challenge TXT records over HTTPS at api.cloudflare.com, which the rehearsal resolves to this
// program; the same records are served by its authoritative DNS server, which the local ACME server
// (pebble -dnsserver <ip>:53) asks to validate them. Records live in memory only: a rehearsal starts
// with empty zones.
//
// It runs in an image built FROM scratch, so it is a static binary with no shell around it, handles
// SIGTERM itself (as PID 1 it would otherwise ignore it), and logs one line per API call and per DNS
// answer to stderr, never the token.
//
// Usage:
//
//	cloudflare -cert api.pem -key api-key.pem -token-file token -zone staging.hoodcloud.io
//	           [-zone other.example,more.example] [-api-listen :443] [-dns-listen :53]
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config is what the flags say.
type config struct {
	apiListen, dnsListen string
	certFile, keyFile    string
	token                string
	zones                []string
}

// parseFlags reads the flags and the token file; every flag without a usable default is required, so a
// misconfigured rehearsal stops here instead of at certbot's first call.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("cloudflare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.apiListen, "api-listen", ":443", "HTTPS address of the API")
	fs.StringVar(&cfg.dnsListen, "dns-listen", ":53", "UDP and TCP address of the authoritative DNS server")
	fs.StringVar(&cfg.certFile, "cert", "", "PEM certificate (chain) for api.cloudflare.com")
	fs.StringVar(&cfg.keyFile, "key", "", "PEM private key of -cert")
	tokenFile := fs.String("token-file", "", "file holding the only accepted API token")
	fs.Func("zone", "zone owned by the stand-in (repeatable, or comma-separated)", func(v string) error {
		for z := range strings.SplitSeq(v, ",") {
			if z = strings.TrimSpace(z); z != "" {
				cfg.zones = append(cfg.zones, z)
			}
		}
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	switch {
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	case cfg.certFile == "" || cfg.keyFile == "":
		return config{}, errors.New("-cert and -key are required")
	case *tokenFile == "":
		return config{}, errors.New("-token-file is required")
	case len(cfg.zones) == 0:
		return config{}, errors.New("at least one -zone is required")
	}
	b, err := os.ReadFile(*tokenFile)
	if err != nil {
		return config{}, fmt.Errorf("token file: %w", err)
	}
	if cfg.token = strings.TrimSpace(string(b)); cfg.token == "" {
		return config{}, fmt.Errorf("token file %s is empty", *tokenFile)
	}
	return cfg, nil
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudflare:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log, nil); err != nil {
		fmt.Fprintln(os.Stderr, "cloudflare:", err)
		os.Exit(1)
	}
}

// run serves the API and DNS until ctx is done or one of the servers fails. ready, if not nil, learns
// the bound addresses (tests listen on port 0).
func run(ctx context.Context, cfg config, log *slog.Logger, ready func(api, dns net.Addr)) error {
	st, err := newStore(cfg.zones)
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(cfg.certFile, cfg.keyFile)
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}

	pc, tl, err := listenDNS(cfg.dnsListen)
	if err != nil {
		return err
	}
	defer pc.Close()
	defer tl.Close()
	al, err := net.Listen("tcp", cfg.apiListen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           &api{store: st, token: cfg.token, log: log},
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	defer srv.Close()
	dns := &dnsServer{store: st, log: log}

	failed := make(chan error, 3)
	go func() { failed <- fmt.Errorf("api: %w", srv.ServeTLS(al, "", "")) }()
	go func() { failed <- fmt.Errorf("dns udp: %w", orStopped(dns.serveUDP(pc))) }()
	go func() { failed <- fmt.Errorf("dns tcp: %w", orStopped(dns.serveTCP(tl))) }()

	for _, z := range st.zones {
		log.Info("zone", "name", z.Name, "id", z.ID)
	}
	log.Info("listening", "api", al.Addr().String(), "dns", pc.LocalAddr().String())
	if ready != nil {
		ready(al.Addr(), pc.LocalAddr())
	}
	select {
	case <-ctx.Done():
		log.Info("stopping", "cause", context.Cause(ctx))
		return nil
	case err := <-failed:
		return err
	}
}

// orStopped turns a server loop's clean return, which only closing its listener should cause, into an
// error when it happens while run is still waiting.
func orStopped(err error) error {
	if err == nil {
		return errors.New("stopped")
	}
	return err
}

// listenDNS binds UDP and TCP on one address, as DNS clients expect. With port 0 the system picks a free
// UDP port, which another socket may hold for TCP; then that port is released and another one tried.
func listenDNS(addr string) (net.PacketConn, net.Listener, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	attempts := 1
	if port == "0" {
		attempts = 20
	}
	for i := 1; ; i++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		tl, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, tl, nil
		}
		pc.Close()
		if i == attempts {
			return nil, nil, err
		}
	}
}
