// Package dnsname checks DNS names the way every layer needs them checked (the platform domain, a
// registry host, certificate SANs), so that all layers accept and refuse the same names.
package dnsname

import (
	"fmt"
	"regexp"
	"strings"
)

var label = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Problem returns why d is not a usable lowercase DNS domain of at least two labels, or "".
func Problem(d string) string {
	if d == "" {
		return "empty"
	}
	if len(d) > 253 {
		return "longer than 253 characters"
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "needs at least two labels"
	}
	for _, l := range labels {
		if !label.MatchString(l) {
			return fmt.Sprintf("label %q is not lowercase letters, digits and inner hyphens of at most 63 characters", l)
		}
	}
	return ""
}

// IsLabel reports whether s is one lowercase DNS label.
func IsLabel(s string) bool { return label.MatchString(s) }
