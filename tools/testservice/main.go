// Command testservice is the one static binary the compose deploy tests and the rehearsal put in every
// stand-in image (images are FROM scratch, so it is also its own healthcheck client). It plays each part a
// HoodCloud service plays in a deploy: an HTTP service with /health (optionally also a TLS listener that
// requires client certificates, as the mTLS services do), a data service (a bare TCP listener), a
// migration that succeeds or fails, and a slow starter. Behaviour comes from flags, each with an
// environment fallback, so that a compose file can switch it through ${VAR} interpolation.
//
//	testservice serve   -listen :8080[,:8081] [-tls-listen :9090 -tls-cert F -tls-key F -client-ca F]
//	                    [-delay 2s] [-unhealthy] [-message v1] [-require-file F,...] [-require-env VAR,...]
//	testservice tcp     -listen :5432 [-delay 2s] [-require-file F,...] [-require-env VAR,...]
//	testservice migrate [-require db:5432] [-fail] [-exit-code 3] [-message "applied 7 migrations"]
//	testservice check   http://127.0.0.1:8080/health | tcp://127.0.0.1:5432
//
// An image that stands in for a real one (image.go) runs it with the real image's arguments: then the
// mode and its settings come from the image's environment alone, and names it is installed under answer
// the real image's healthcheck commands.
//
// Build it with CGO_ENABLED=0 so that it runs in an empty image.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

func main() {
	os.Exit(runAs(filepath.Base(os.Args[0]), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = "usage: testservice serve|tcp|migrate|check [flags]"

// run dispatches to a mode and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	mode, rest := args[0], args[1:]
	switch mode {
	case "serve":
		return serveHTTP(rest, stdout, stderr)
	case "tcp":
		return serveTCP(rest, stdout, stderr)
	case "migrate":
		return migrate(rest, stdout, stderr)
	case "check":
		return check(rest, stderr)
	default:
		fmt.Fprintf(stderr, "testservice: unknown mode %q\n%s\n", mode, usage)
		return 2
	}
}

// env returns the environment value of key, or def.
func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

func envBool(key string) bool {
	b, _ := strconv.ParseBool(env(key, "false"))
	return b
}

func envDuration(key string) time.Duration {
	d, _ := time.ParseDuration(env(key, "0s"))
	return d
}

func envInt(key string, def int) int {
	n, err := strconv.Atoi(env(key, ""))
	if err != nil {
		return def
	}
	return n
}

// serveTCP accepts connections and closes them: enough for a TCP health check and a migration's probe.
func serveTCP(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", env("TESTSERVICE_LISTEN", ":5432"), "address to listen on")
	delay := fs.Duration("delay", envDuration("TESTSERVICE_DELAY"), "sleep before listening (a slow starter)")
	req := requirementFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := req.check(); err != nil {
		fmt.Fprintf(stderr, "tcp: %v\n", err)
		return 1
	}
	time.Sleep(*delay)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "tcp: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "tcp: listening on %s\n", ln.Addr())
	go stopOnSignal(func() { _ = ln.Close() })
	for {
		c, err := ln.Accept()
		if err != nil {
			return 0
		}
		_ = c.Close()
	}
}

// migrate probes its data service (when asked), then succeeds or fails with a message.
func migrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	require := fs.String("require", env("TESTSERVICE_REQUIRE", ""), "host:port that must accept a connection first (${VAR} expanded)")
	fail := fs.Bool("fail", envBool("TESTSERVICE_FAIL"), "fail the migration")
	code := fs.Int("exit-code", envInt("TESTSERVICE_EXIT_CODE", 1), "exit code of a failed migration")
	message := fs.String("message", env("TESTSERVICE_MESSAGE", ""), "what the migration prints")
	req := requirementFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := req.check(); err != nil {
		fmt.Fprintf(stderr, "migrate: %v\n", err)
		return 1
	}
	*require = os.ExpandEnv(*require)
	if *require != "" {
		c, err := net.DialTimeout("tcp", *require, 3*time.Second)
		if err != nil {
			fmt.Fprintf(stderr, "migrate: data service %s unreachable: %v\n", *require, err)
			return 1
		}
		_ = c.Close()
		fmt.Fprintf(stdout, "migrate: data service %s reachable\n", *require)
	}
	if *fail {
		if *message == "" {
			*message = "migration failed"
		}
		fmt.Fprintf(stderr, "migrate: %s\n", *message)
		if *code == 0 {
			*code = 1
		}
		return *code
	}
	if *message == "" {
		*message = "migrations applied"
	}
	fmt.Fprintf(stdout, "migrate: %s\n", *message)
	return 0
}

// check is the images' healthcheck client: exit 0 when an http URL answers 200 or a tcp://host:port
// accepts a connection.
func check(args []string, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: testservice check http://HOST:PORT/PATH | tcp://HOST:PORT")
		return 2
	}
	u, err := url.Parse(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "check: %v\n", err)
		return 2
	}
	switch u.Scheme {
	case "http":
		client := &http.Client{Timeout: 3 * time.Second}
		resp, err := client.Get(u.String())
		if err != nil {
			fmt.Fprintf(stderr, "check: %v\n", err)
			return 1
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			fmt.Fprintf(stderr, "check: %s answered %d\n", u, resp.StatusCode)
			return 1
		}
		return 0
	case "tcp":
		c, err := net.DialTimeout("tcp", u.Host, 3*time.Second)
		if err != nil {
			fmt.Fprintf(stderr, "check: %v\n", err)
			return 1
		}
		_ = c.Close()
		return 0
	default:
		fmt.Fprintf(stderr, "check: unsupported scheme %q\n", u.Scheme)
		return 2
	}
}

// stopOnSignal calls stop on SIGTERM or SIGINT, so that `docker compose down` stops a service at once
// (PID 1 in a container ignores signals it does not handle).
func stopOnSignal(stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
	stop()
}
