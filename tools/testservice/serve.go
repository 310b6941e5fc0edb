package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// serveHTTP answers /health with 200 (503 when unhealthy) and / with the message, on every plain listener
// and, when asked, on a TLS listener that requires a client certificate signed by the client CA: the
// stand-in of the payment service and the agent gateway, whose mTLS the program's checks exercise.
func serveHTTP(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", env("TESTSERVICE_LISTEN", ":8080"), "addresses to listen on, comma-separated (empty: none)")
	tlsListen := fs.String("tls-listen", env("TESTSERVICE_TLS_LISTEN", ""), "address of the TLS listener (empty: none)")
	// The TLS files default to the variables the bundle's mTLS services are given.
	certFile := fs.String("tls-cert", env("TLS_CERT_FILE", ""), "server certificate (PEM)")
	keyFile := fs.String("tls-key", env("TLS_KEY_FILE", ""), "server key (PEM)")
	clientCA := fs.String("client-ca", env("TLS_CLIENT_CA_FILE", ""), "CA whose client certificates are required (empty: none required)")
	delay := fs.Duration("delay", envDuration("TESTSERVICE_DELAY"), "sleep before listening (a slow starter)")
	unhealthy := fs.Bool("unhealthy", envBool("TESTSERVICE_UNHEALTHY"), "answer /health with 503")
	message := fs.String("message", env("TESTSERVICE_MESSAGE", "ok"), "body of /")
	req := requirementFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := req.check(); err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	time.Sleep(*delay)
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		if *unhealthy {
			http.Error(w, "unhealthy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "healthy")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, *message) })

	var listeners []net.Listener
	closeAll := func() {
		for _, ln := range listeners {
			_ = ln.Close()
		}
	}
	for _, addr := range splitList(*listen) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll()
			fmt.Fprintf(stderr, "serve: %v\n", err)
			return 1
		}
		listeners = append(listeners, ln)
	}
	if *tlsListen != "" {
		cfg, err := serverTLS(*certFile, *keyFile, *clientCA)
		if err != nil {
			closeAll()
			fmt.Fprintf(stderr, "serve: %v\n", err)
			return 1
		}
		ln, err := tls.Listen("tcp", *tlsListen, cfg)
		if err != nil {
			closeAll()
			fmt.Fprintf(stderr, "serve: %v\n", err)
			return 1
		}
		listeners = append(listeners, ln)
	}
	if len(listeners) == 0 {
		fmt.Fprintln(stderr, "serve: nothing to listen on (-listen and -tls-listen are empty)")
		return 2
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go stopOnSignal(func() { _ = srv.Close() })
	errs := make(chan error, len(listeners))
	for _, ln := range listeners {
		fmt.Fprintf(stdout, "serve: listening on %s\n", ln.Addr())
		go func(ln net.Listener) { errs <- srv.Serve(ln) }(ln)
	}
	if err := <-errs; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	return 0
}

// serverTLS is the TLS listener's configuration: HTTP/2 offered (gRPC clients and `curl --http2` ask for
// it), and client certificates required and verified when a client CA is given.
func serverTLS(certFile, keyFile, clientCA string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("-tls-listen needs -tls-cert and -tls-key (TLS_CERT_FILE, TLS_KEY_FILE)")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	if clientCA != "" {
		pem, err := os.ReadFile(clientCA)
		if err != nil {
			return nil, fmt.Errorf("client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client CA %s: no PEM certificate", clientCA)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
