package contenthash

import (
	"testing"

	"pgregory.net/rapid"
)

// Moving a boundary between parts changes the hash: ("ab","c") and ("a","bc") are different contents.
func TestPartsAreLengthPrefixed(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringN(2, 40, -1).Draw(t, "s")
		i := rapid.IntRange(1, len(s)-1).Draw(t, "i")
		j := rapid.IntRange(1, len(s)-1).Draw(t, "j")
		if i != j && Of(s[:i], s[i:]) == Of(s[:j], s[j:]) {
			t.Fatalf("split at %d and %d hash alike", i, j)
		}
		if Of(s) != Of(s) {
			t.Fatal("not deterministic")
		}
	})
}

// OfFiles does not depend on map iteration order, and depends on every name and content.
func TestOfFiles(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		files := rapid.MapOfN(rapid.StringN(1, 8, -1), rapid.String(), 1, 6).Draw(t, "files")
		h := OfFiles(files)
		for range 3 {
			if OfFiles(files) != h {
				t.Fatal("hash depends on map order")
			}
		}
		for name, content := range files {
			changed := map[string]string{}
			for k, v := range files {
				changed[k] = v
			}
			changed[name] = content + "x"
			if OfFiles(changed) == h {
				t.Fatalf("changing %s did not change the hash", name)
			}
		}
	})
}
