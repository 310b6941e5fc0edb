// Command preflight checks that a stack can be previewed from the project directory and prints the
// environment the Pulumi CLI needs (PULUMI_BACKEND_URL, and PULUMI_CONFIG_PASSPHRASE for the demo stack)
// as single-quoted shell assignments; scripts/preview-cli.sh evaluates them. On a problem it lists everything missing
// and exits 1, before any engine starts.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/hoodcloud/infra/internal/preflight"
)

func main() {
	stack := flag.String("stack", preflight.DemoStack, "stack to check")
	flag.Parse()
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "preflight:", err)
		os.Exit(1)
	}
	env, err := preflight.Check(dir, *stack, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("export PULUMI_BACKEND_URL=%s\n", shellQuote(env.BackendURL))
	if os.Getenv("PULUMI_CONFIG_PASSPHRASE") == "" && env.Passphrase != "" {
		fmt.Printf("export PULUMI_CONFIG_PASSPHRASE=%s\n", shellQuote(env.Passphrase))
	}
}

// shellQuote makes s one single-quoted shell word: the caller evaluates these lines, and a path or URL
// with $ or ` must stay text.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
