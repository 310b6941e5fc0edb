// Package contenthash computes the content hashes that drive re-runs of remote commands (their Triggers).
// A hash is taken over the exact bytes a step ships, so a step re-runs exactly when what it ships changes.
package contenthash

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sort"
)

// Keyed returns the hex HMAC-SHA256 of the parts (length-prefixed as in Of) under key: a hash that may be
// shown although the parts are secret, because without the key it says nothing about them, even when
// they are guessable.
func Keyed(key string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(key))
	writeParts(m, parts)
	return hex.EncodeToString(m.Sum(nil))
}

// Of returns the hex SHA-256 of the parts, each length-prefixed so that ("ab","c") and ("a","bc") differ.
func Of(parts ...string) string {
	h := sha256.New()
	writeParts(h, parts)
	return hex.EncodeToString(h.Sum(nil))
}

func writeParts(w hash.Hash, parts []string) {
	for _, p := range parts {
		var n [8]byte
		l := uint64(len(p))
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		w.Write(n[:])
		w.Write([]byte(p))
	}
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
