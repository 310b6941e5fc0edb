package compose

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"unicode"
)

// fixtureDir is the repository's fixture bundle (testdata/bundle at the repo root), the bundle both
// stacks deploy in the mocked program.
const fixtureDir = "../../testdata/bundle"

// fixtureEnv is a plausible staging .env; no registry host is contacted by any test.
func fixtureEnv(t testing.TB) map[string]string {
	t.Helper()
	vars, err := AppEnv{
		Domain:            "staging.hoodcloud.io",
		ImageRegistry:     "registry.example/hoodcloud",
		Version:           "v1.8.2",
		VaultAddr:         "https://10.0.0.4:8200",
		AWSRegion:         "eu-central-1",
		StateBucket:       "hoodcloud-staging-terraform-state",
		LockTable:         "hoodcloud-staging-terraform-locks",
		ChainConfigBucket: "hoodcloud-staging-chain-configs",
		PaymentGRPCAddr:   "10.0.0.3:50051",
		// A syntactically valid account public key (NATS keys are base32, prefix A).
		NATSCtrlAccountPub: "ADBGJTGNMVBYFSEVSBQ3QS2OEOZDKJLAPOPCAT3JWR6TKMKSOLRFLDHV",
		NATSHostIP:         "192.0.2.10",
	}.Vars()
	if err != nil {
		t.Fatal(err)
	}
	return vars
}

// writeBundle writes files (name → content) into a fresh temporary bundle directory.
func writeBundle(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// rangeTableOf returns a unicode.RangeTable of the runes of s (for rapid generators).
func rangeTableOf(s string) unicode.RangeTable {
	var t unicode.RangeTable
	seen := map[rune]bool{}
	var rs []rune
	for _, r := range s {
		if !seen[r] {
			seen[r] = true
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	for _, r := range rs {
		if r <= 0xFFFF {
			t.R16 = append(t.R16, unicode.Range16{Lo: uint16(r), Hi: uint16(r), Stride: 1})
		} else {
			t.R32 = append(t.R32, unicode.Range32{Lo: uint32(r), Hi: uint32(r), Stride: 1})
		}
	}
	return t
}
