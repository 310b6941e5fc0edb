package compose

import (
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"pgregory.net/rapid"
)

func TestRenderEnvSortedAndDeterministic(t *testing.T) {
	vars := map[string]string{"ZETA": "z", "ALPHA": "a b", "MID": "https://vault.internal:8200", "EMPTY": ""}
	first, err := RenderEnv(vars)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		again, _ := RenderEnv(map[string]string{"MID": "https://vault.internal:8200", "EMPTY": "", "ZETA": "z", "ALPHA": "a b"})
		if again != first {
			t.Fatalf("render %d differs:\n%s\nvs\n%s", i, again, first)
		}
	}
	var keys []string
	for _, line := range strings.Split(strings.TrimSpace(first), "\n") {
		if !strings.HasPrefix(line, "#") {
			keys = append(keys, strings.SplitN(line, "=", 2)[0])
		}
	}
	if strings.Join(keys, ",") != "ALPHA,EMPTY,MID,ZETA" {
		t.Fatalf("keys not sorted: %v\n%s", keys, first)
	}
	if !strings.Contains(first, "ALPHA='a b'\n") || !strings.Contains(first, "MID=https://vault.internal:8200\n") {
		t.Fatalf("unexpected quoting:\n%s", first)
	}
}

// TestRenderEnvRoundTrips: compose's own dotenv parser reads back exactly the values rendered, for any
// value the renderer accepts ($, #, spaces, quotes included).
func TestRenderEnvRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		vars := rapid.MapOf(
			rapid.StringMatching(`[A-Z][A-Z0-9_]{0,12}`).Filter(func(k string) bool { return checkEnvKey(k) == "" }),
			rapid.StringOfN(rapid.RuneFrom(nil, &unicodeSafe), 0, 24, -1),
		).Draw(t, "vars")
		text, err := RenderEnv(vars)
		if err != nil {
			for _, v := range vars {
				if strings.ContainsAny(v, "'\\\n\r\x00") {
					return // refused, as documented
				}
			}
			t.Fatalf("refused acceptable vars %q: %v", vars, err)
		}
		got, err := dotenv.UnmarshalWithLookup(text, func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatalf("compose cannot parse the rendered .env: %v\n%s", err, text)
		}
		if len(got) != len(vars) {
			t.Fatalf("read back %d vars, rendered %d:\n%s", len(got), len(vars), text)
		}
		for k, v := range vars {
			if got[k] != v {
				t.Fatalf("%s: rendered %q, compose reads %q\n%s", k, v, got[k], text)
			}
		}
	})
}

var unicodeSafe = rangeTableOf(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~é")

func TestEnvRefusesSecretsAndMalformedKeys(t *testing.T) {
	for key, want := range map[string]string{
		"POSTGRES_PASSWORD":      "named like a secret",
		"STRIPE_SECRET_KEY":      "named like a secret",
		"VAULT_TOKEN":            "named like a secret",
		"NATS_CTRL_SIGNING_SEED": "named like a secret",
		"CLERK_API_KEY":          "named like a secret key",
		"lower_case":             "upper-case letters",
		"1ABC":                   "upper-case letters",
	} {
		err := CheckEnv(map[string]string{key: "x"})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "hoodcloud:bundleDir: .env key") {
			t.Errorf("%s: expected an error containing %q, got %v", key, want, err)
		}
	}
	for _, key := range []string{"POSTGRES_PASSWORD_FILE", "VAULT_SECRET_ID_FILE", "NATS_CTRL_ACCOUNT_PUB", "AWS_ACCESS_KEY_ID", "TLS_KEY_PATH"} {
		if err := CheckEnv(map[string]string{key: "x"}); err != nil {
			t.Errorf("%s must be allowed: %v", key, err)
		}
	}
	if err := CheckEnv(map[string]string{"A": "it's"}); err == nil || !strings.Contains(err.Error(), "single quotes") {
		t.Errorf("a value with a single quote and spaces must be refused, got %v", err)
	}
}

func TestAppEnvVars(t *testing.T) {
	vars := fixtureEnv(t)
	if vars["LOG_LEVEL"] != "info" || vars["DOMAIN"] != "staging.hoodcloud.io" || len(vars) != 12 {
		t.Fatalf("unexpected vars: %v", vars)
	}
	if _, err := (AppEnv{Version: "latest"}).Vars(); err == nil || !strings.Contains(err.Error(), "HOODCLOUD_VERSION") {
		t.Errorf("latest must be refused, got %v", err)
	}
	if _, err := (AppEnv{Version: "v1", Extra: map[string]string{"DOMAIN": "x"}}).Vars(); err == nil || !strings.Contains(err.Error(), "DOMAIN set twice") {
		t.Errorf("a colliding extra key must be refused, got %v", err)
	}
}
