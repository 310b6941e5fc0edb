package render

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"pgregory.net/rapid"

	"github.com/hoodcloud/infra/internal/testkit"
)

// Whatever the bytes, bash reads a ShellQuote'd word back as exactly those bytes (no expansion).
func TestShellQuoteRoundTripsThroughBash(t *testing.T) {
	bash := testkit.RequireTool(t, "bash")
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringMatching(`[^\x00]{0,40}`).Draw(t, "s")
		out, err := exec.Command(bash, "-c", "printf '%s' "+ShellQuote(s)).Output()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != s {
			t.Fatalf("bash read %q back as %q", s, out)
		}
	})
}

func TestYAMLQuoteRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.String().Draw(t, "s")
		var got struct {
			V string `yaml:"v"`
		}
		if err := yaml.Unmarshal([]byte("v: "+YAMLQuote(s)+"\n"), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got.V != s {
			t.Fatalf("YAML read %q back as %q", s, got.V)
		}
	})
}

func TestIndentAndMissingKeys(t *testing.T) {
	if got := Indent(2, "a\n\nb\n"); got != "  a\n\n  b" {
		t.Errorf("Indent = %q", got)
	}
	if _, err := Template("t", "{{ .Missing }}", map[string]string{}); err == nil || !strings.Contains(err.Error(), "Missing") {
		t.Errorf("a missing key must fail rendering, got %v", err)
	}
}
