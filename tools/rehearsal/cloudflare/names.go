package main

import (
	"errors"
	"fmt"
	"strings"
)

// canonicalName is the form every name is stored and compared in: DNS names are case-insensitive for
// ASCII letters only (RFC 4343) and the API and DNS disagree about the trailing dot, so both are folded
// away here once instead of at each comparison. Bytes outside ASCII are kept as they are, unlike
// strings.ToLower, which would rewrite invalid UTF-8.
func canonicalName(name string) string {
	name = strings.TrimSuffix(name, ".")
	b := []byte(name)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// inZone reports whether the canonical name is the zone's apex or below it. The label boundary matters:
// "evilstaging.hoodcloud.io" is not in "staging.hoodcloud.io".
func inZone(name, zone string) bool {
	return name == zone || strings.HasSuffix(name, "."+zone)
}

// checkName rejects names the DNS side could not put on the wire, so that a record the API accepted is
// always one the DNS server can serve, and names no ACME client would use: only ASCII letters, digits,
// '-', '_' (as in _acme-challenge) and '*' are allowed, as in Cloudflare's punycode names.
func checkName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if len(name) > 253 {
		return fmt.Errorf("name %q is longer than 253 characters", name)
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			return fmt.Errorf("name %q has an empty label", name)
		}
		if len(label) > 63 {
			return fmt.Errorf("name %q has a label longer than 63 characters", name)
		}
		if i := strings.IndexFunc(label, func(c rune) bool {
			return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '*')
		}); i >= 0 {
			return fmt.Errorf("name %q has a character %q outside letters, digits, '-', '_' and '*'", name, label[i])
		}
	}
	return nil
}
