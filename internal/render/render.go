// Package render renders the embedded templates (shell scripts, cloud-init, unit files, compose .env) with
// a fixed set of functions. Rendering is a pure function of the template and its data: no clock, no
// environment, no map-order dependence (text/template ranges over maps in key order).
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
)

// Funcs are available in every template.
var Funcs = template.FuncMap{
	// shq quotes a value for POSIX shells: 'it'\''s' — safe for any byte string.
	"shq": ShellQuote,
	// indent prefixes every line of s with n spaces (for YAML block scalars).
	"indent": Indent,
	// join joins a string slice with sep.
	"join": strings.Join,
	// yamlq quotes a value as a YAML (JSON-compatible) double-quoted scalar.
	"yamlq": YAMLQuote,
}

// Template renders the named template text with data; missing keys are an error, not "<no value>".
func Template(name, text string, data any) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(Funcs).Parse(text)
	if err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return b.String(), nil
}

// ShellQuote returns s quoted for a POSIX shell.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// YAMLQuote returns s as a double-quoted scalar; JSON strings are valid YAML.
func YAMLQuote(s string) string {
	b, _ := json.Marshal(s) // marshalling a string cannot fail
	return string(b)
}

// Indent prefixes every non-empty line of s with n spaces and drops one trailing newline.
func Indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}
