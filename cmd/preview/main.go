// Command preview is `pulumi preview --diff` of one stack of the program where the Pulumi CLI cannot run a
// Go program (no pulumi-language-go, as on machines without internet): it runs stacks.Program through
// the Automation API as an inline program, with the real engine and plugins of the engine toolchain
// (scripts/engine-toolchain.sh), and prints what the CLI prints. `make preview` picks it when needed.
//
// Usage (from the project directory): go run ./cmd/preview [-stack demo]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"

	"github.com/hoodcloud/infra/internal/engine"
	"github.com/hoodcloud/infra/internal/preflight"
	"github.com/hoodcloud/infra/stacks"
)

func main() {
	stack := flag.String("stack", "demo", "stack to preview")
	engineDir := flag.String("engine-dir", engine.DefaultToolchainDir(), "engine toolchain (scripts/engine-toolchain.sh)")
	backend := flag.String("backend", "", "state backend URL (default: $PULUMI_BACKEND_URL, else file://<project>/.pulumi-local)")
	flag.Parse()
	if err := run(*stack, *engineDir, *backend); err != nil {
		fmt.Fprintln(os.Stderr, "preview:", err)
		os.Exit(1)
	}
}

func run(stack, engineDir, backend string) error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	env, err := preflight.Check(dir, stack, os.Getenv)
	if err != nil {
		return err
	}
	if backend == "" {
		backend = env.BackendURL
	}
	if local, ok := strings.CutPrefix(backend, "file://"); ok {
		if err := os.MkdirAll(local, 0o700); err != nil {
			return fmt.Errorf("local backend: %w", err)
		}
	}
	tc, err := engine.FindToolchain(engineDir)
	if err != nil {
		return fmt.Errorf("%w\n(run `make engine-toolchain`, or install the Pulumi CLI with pulumi-language-go)", err)
	}
	if tc.StandInAWS() && stack != preflight.DemoStack {
		return fmt.Errorf("stack %s: this toolchain's aws plugin is a stand-in (the real one cannot be built offline), "+
			"so the plan of the stack's AWS resources would be invented; install the Pulumi CLI with pulumi-language-go "+
			"(make preview then runs plain pulumi preview), or make the toolchain where the internet is reachable "+
			"(HOODCLOUD_PLUGIN_SOURCE=download scripts/engine-toolchain.sh)", stack)
	}
	ctx := context.Background()
	st, err := engine.Open(ctx, engine.Options{
		Toolchain: tc, Plugins: engine.Real, ProjectDir: dir, Stack: stack,
		BackendURL: backend, Passphrase: env.Passphrase,
	}, stacks.Program)
	if err != nil {
		return err
	}
	started := time.Now()
	res, err := st.Preview(ctx, optpreview.Diff(), optpreview.ProgressStreams(os.Stdout), optpreview.ErrorProgressStreams(os.Stderr))
	if err != nil {
		return fmt.Errorf("pulumi preview of %s: %w", stack, err)
	}
	fmt.Printf("\npreview of %s through the Automation API: %v in %s\n", stack, res.ChangeSummary, time.Since(started).Round(time.Second))
	return nil
}
