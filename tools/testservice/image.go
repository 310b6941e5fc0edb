package main

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// An image that stands in for a real one (the rehearsal's, tools/rehearsal) has testservice as its
// entrypoint and is configured by its environment alone, because the compose file passes the real image's
// arguments (redis-server --appendonly yes, --config.file=..., --database payment), which mean nothing
// here:
//
//	TESTSERVICE_MODE             the mode the image runs (serve, tcp, migrate), with its TESTSERVICE_* settings
//	TESTSERVICE_HEALTH           what the image's healthcheck commands check (a check URL, ${VAR} expanded)
//	TESTSERVICE_HEALTH_COMMANDS  the names testservice is installed under that are healthcheck commands
//	                             (pg_isready, redis-cli, api ...); installed under any other name (temporal's
//	                             /etc/temporal/entrypoint.sh) it runs the image's mode
const standInModeVar = "TESTSERVICE_MODE"

// modes are testservice's own first arguments.
var modes = []string{"serve", "tcp", "migrate", "check"}

// runAs runs testservice as installed under name (the base name of argv[0]).
func runAs(name string, args []string, stdout, stderr io.Writer) int {
	if name != "testservice" {
		if slices.Contains(splitList(os.Getenv("TESTSERVICE_HEALTH_COMMANDS")), name) {
			return healthCommand(name, stderr)
		}
		return standIn(name, args, stdout, stderr)
	}
	if len(args) == 0 || !slices.Contains(modes, args[0]) {
		if os.Getenv(standInModeVar) != "" {
			return standIn(name, args, stdout, stderr)
		}
	}
	return run(args, stdout, stderr)
}

// standIn runs the image's mode, saying which arguments of the real image it ignores.
func standIn(name string, args []string, stdout, stderr io.Writer) int {
	mode := os.Getenv(standInModeVar)
	if !slices.Contains(modes, mode) || mode == "check" {
		fmt.Fprintf(stderr, "testservice: run as %s with %s=%q; expected serve, tcp or migrate\n", name, standInModeVar, mode)
		return 2
	}
	if len(args) > 0 {
		fmt.Fprintf(stderr, "testservice: standing in as %s; the real image's arguments %q are not used\n", mode, args)
	}
	return run([]string{mode}, stdout, stderr)
}

// healthCommand answers a healthcheck command of the real image with a check of TESTSERVICE_HEALTH.
func healthCommand(name string, stderr io.Writer) int {
	target := os.ExpandEnv(os.Getenv("TESTSERVICE_HEALTH"))
	if target == "" {
		fmt.Fprintf(stderr, "testservice: %s is a healthcheck command here, but TESTSERVICE_HEALTH is not set\n", name)
		return 2
	}
	return check([]string{target}, stderr)
}
