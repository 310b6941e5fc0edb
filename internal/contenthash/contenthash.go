// Package contenthash computes the content hashes that drive re-runs of remote commands (their Triggers).
// A hash is taken over the exact bytes a step ships, so a step re-runs exactly when what it ships changes.
package contenthash

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
)

// Of returns the hex SHA-256 of the parts, each length-prefixed so that ("ab","c") and ("a","bc") differ.
func Of(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		l := uint64(len(p))
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// OfFiles hashes a set of named files independently of map order: names are sorted first.
func OfFiles(files map[string]string) string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, 2*len(names))
	for _, n := range names {
		parts = append(parts, n, files[n])
	}
	return Of(parts...)
}
