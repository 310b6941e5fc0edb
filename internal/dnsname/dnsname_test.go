package dnsname

import "testing"

func TestProblem(t *testing.T) {
	for d, ok := range map[string]bool{
		"hoodcloud.io": true, "staging.hoodcloud.io": true, "a-b.c0.io": true,
		"": false, "localhost": false, "Hood.io": false, "-a.io": false, "a-.io": false, "a..io": false,
		"under_score.io": false, string(make([]byte, 254)): false,
	} {
		if got := Problem(d) == ""; got != ok {
			t.Errorf("Problem(%q) = %q, want ok=%v", d, Problem(d), ok)
		}
	}
}
