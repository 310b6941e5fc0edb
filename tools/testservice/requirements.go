package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// requirements are what a stand-in service needs before it starts, as its real image does: the secret
// files its compose file mounts (POSTGRES_PASSWORD_FILE, an AppRole's role_id) and the variables its
// entrypoint must have set (temporal's POSTGRES_PWD). A missing one fails the service, so a deploy that
// forgets a secret fails its health matrix instead of passing on a stand-in that needs nothing.
type requirements struct {
	files, vars *string
}

// requirementFlags adds -require-file and -require-env to fs. Their values, and the environment
// fallbacks TESTSERVICE_REQUIRE_FILES and TESTSERVICE_REQUIRE_ENV, are comma-separated; ${VAR} in them is
// expanded when checked, so an image can require "the file POSTGRES_PASSWORD_FILE names".
func requirementFlags(fs *flag.FlagSet) requirements {
	return requirements{
		files: fs.String("require-file", env("TESTSERVICE_REQUIRE_FILES", ""), "files that must be readable and not empty (comma-separated, ${VAR} expanded)"),
		vars:  fs.String("require-env", env("TESTSERVICE_REQUIRE_ENV", ""), "environment variables that must be set and not empty (comma-separated)"),
	}
}

// check reports the first requirement not met.
func (r requirements) check() error {
	for _, name := range splitList(*r.vars) {
		if os.Getenv(name) == "" {
			return fmt.Errorf("required environment variable %s is not set", name)
		}
	}
	for _, raw := range splitList(*r.files) {
		var unset []string
		path := os.Expand(raw, func(name string) string {
			v := os.Getenv(name)
			if v == "" {
				unset = append(unset, name)
			}
			return v
		})
		if len(unset) > 0 {
			return fmt.Errorf("required file %s: %s is not set", raw, strings.Join(unset, ", "))
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("required file: %w", err)
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			return fmt.Errorf("required file %s is empty", path)
		}
	}
	return nil
}
