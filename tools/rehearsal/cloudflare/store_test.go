package main

import (
	"errors"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"Staging.HoodCloud.IO.": "staging.hoodcloud.io",
		"_ACME-challenge.x.":    "_acme-challenge.x",
		"plain":                 "plain",
		"\xffÄ.Example":         "\xffÄ.example", // only ASCII folds; other bytes stay as they are
	} {
		if got := canonicalName(in); got != want {
			t.Errorf("canonicalName(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		name, zone string
		in         bool
	}{
		{"staging.hoodcloud.io", "staging.hoodcloud.io", true},
		{"a.b.staging.hoodcloud.io", "staging.hoodcloud.io", true},
		{"evilstaging.hoodcloud.io", "staging.hoodcloud.io", false},
		{"hoodcloud.io", "staging.hoodcloud.io", false},
	} {
		if got := inZone(c.name, c.zone); got != c.in {
			t.Errorf("inZone(%q, %q) = %v", c.name, c.zone, got)
		}
	}
	for name, ok := range map[string]bool{
		"_acme-challenge.nats.staging.hoodcloud.io": true,
		"*.staging.hoodcloud.io":                    true,
		"":                                          false,
		"a..b":                                      false,
		".a":                                        false,
		"a b.example":                               false,
		"a,b.example":                               false,
		"ä.example":                                 false,
		string(make([]byte, 64)) + ".example":       false,
	} {
		if err := checkName(name); (err == nil) != ok {
			t.Errorf("checkName(%q) = %v", name, err)
		}
	}
}

// Zone IDs look like Cloudflare's and do not change between runs; the zone list is canonical.
func TestZones(t *testing.T) {
	if id := zoneID("staging.hoodcloud.io"); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) || id != zoneID("staging.hoodcloud.io") || id == zoneID("prod.hoodcloud.io") {
		t.Errorf("zone id %q", id)
	}
	s, err := newStore([]string{" Staging.HoodCloud.io. ", "hoodcloud.io", "staging.hoodcloud.io"})
	if err != nil {
		t.Fatal(err)
	}
	want := []zone{{zoneID("hoodcloud.io"), "hoodcloud.io"}, {zoneID("staging.hoodcloud.io"), "staging.hoodcloud.io"}}
	if d := cmp.Diff(want, s.zones); d != "" {
		t.Errorf("zones (-want +got):\n%s", d)
	}
	// Nested zones: a name belongs to the most specific one.
	for name, want := range map[string]string{"x.staging.hoodcloud.io": "staging.hoodcloud.io", "x.prod.hoodcloud.io": "hoodcloud.io", "hoodcloud.io": "hoodcloud.io"} {
		if z, ok := s.authority(name); !ok || z.Name != want {
			t.Errorf("authority(%q) = %v %v, want %s", name, z, ok, want)
		}
	}
	if _, ok := s.authority("io"); ok {
		t.Error("io has an authority")
	}
	for _, bad := range [][]string{nil, {""}, {"a..b"}} {
		if _, err := newStore(bad); err == nil {
			t.Errorf("newStore(%q) accepted", bad)
		}
	}
}

func TestStoreRecords(t *testing.T) {
	s, err := newStore([]string{"staging.hoodcloud.io"})
	if err != nil {
		t.Fatal(err)
	}
	zid := zoneID("staging.hoodcloud.io")
	a, err := s.create(zid, record{Type: "TXT", Name: "_Acme-Challenge.x.staging.hoodcloud.io.", Content: "v", TTL: 120})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "_acme-challenge.x.staging.hoodcloud.io" || a.ZoneID != zid || a.ZoneName != "staging.hoodcloud.io" || len(a.ID) != 32 {
		t.Errorf("created %+v", a)
	}
	if _, err := s.create(zid, record{Type: "TXT", Name: "_acme-challenge.x.staging.hoodcloud.io", Content: "v"}); !errors.Is(err, errIdentical) {
		t.Errorf("identical record: %v", err)
	}
	if _, err := s.create("nope", record{Type: "TXT", Name: "x.staging.hoodcloud.io", Content: "v"}); !errors.Is(err, errNoZone) {
		t.Errorf("unknown zone: %v", err)
	}
	if _, err := s.create(zid, record{Type: "TXT", Name: "x.prod.hoodcloud.io", Content: "v"}); !errors.Is(err, errOutsideZone) {
		t.Errorf("outside the zone: %v", err)
	}

	for _, c := range []struct {
		name   string
		recs   int
		exists bool
	}{
		{"_acme-challenge.x.staging.hoodcloud.io", 1, true},
		{"x.staging.hoodcloud.io", 0, true}, // empty non-terminal
		{"staging.hoodcloud.io", 0, true},   // apex
		{"y.staging.hoodcloud.io", 0, false},
		{"cme-challenge.x.staging.hoodcloud.io", 0, false},
	} {
		recs, exists := s.lookup(c.name, "TXT")
		if len(recs) != c.recs || exists != c.exists {
			t.Errorf("lookup(%q) = %d records, exists %v", c.name, len(recs), exists)
		}
	}

	if _, err := s.remove(zid, "nope"); !errors.Is(err, errNoRecord) {
		t.Errorf("remove unknown: %v", err)
	}
	if _, err := s.remove(zid, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.remove(zid, a.ID); !errors.Is(err, errNoRecord) {
		t.Errorf("remove twice: %v", err)
	}
	if _, exists := s.lookup("x.staging.hoodcloud.io", "TXT"); exists {
		t.Error("the empty non-terminal outlived its record")
	}
}
