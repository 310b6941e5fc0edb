package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Errors of the store, which the API turns into Cloudflare's error codes.
var (
	errNoZone      = errors.New("no such zone")
	errNoRecord    = errors.New("no such record")
	errOutsideZone = errors.New("name is not in the zone")
	errIdentical   = errors.New("an identical record already exists")
)

// zone is one zone the stand-in owns. Its ID is derived from its name so that it is the same in every
// run, which keeps log lines of separate rehearsals comparable.
type zone struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// zoneID is Cloudflare-shaped (32 hex digits) and stable across runs.
func zoneID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])[:32]
}

// record is one DNS record as the API creates it. Only TXT records exist here: they are all that
// certbot's DNS-01 challenge writes, and all the DNS side serves.
type record struct {
	ID       string
	Type     string
	Name     string // canonical
	Content  string
	TTL      int
	ZoneID   string
	ZoneName string
	Created  time.Time

	seq uint64 // creation order, so lists come back in a stable order
}

// recordFilter is the subset of Cloudflare's dns_records filters that certbot uses; an empty field
// matches everything.
type recordFilter struct {
	Type, Name, Content string
}

func (f recordFilter) matches(r record) bool {
	return (f.Type == "" || strings.EqualFold(f.Type, r.Type)) &&
		(f.Name == "" || canonicalName(f.Name) == r.Name) &&
		(f.Content == "" || f.Content == r.Content)
}

// store holds the zones (fixed at start) and the records (changed by the API, read by the DNS server,
// concurrently: certbot may clean up while pebble still queries).
type store struct {
	zones []zone // sorted by name

	mu      sync.RWMutex
	records map[string]record // by ID
	seq     uint64
}

// newStore owns the given zones; names are canonicalized and duplicates dropped.
func newStore(zoneNames []string) (*store, error) {
	seen := map[string]bool{}
	var zones []zone
	for _, n := range zoneNames {
		n = canonicalName(strings.TrimSpace(n))
		if err := checkName(n); err != nil {
			return nil, fmt.Errorf("zone: %w", err)
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		zones = append(zones, zone{ID: zoneID(n), Name: n})
	}
	if len(zones) == 0 {
		return nil, errors.New("no zones")
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].Name < zones[j].Name })
	return &store{zones: zones, records: map[string]record{}}, nil
}

// zonesNamed is the zone list filtered by exact name, as GET /zones?name= does; an empty name lists all.
func (s *store) zonesNamed(name string) []zone {
	if name == "" {
		return append([]zone(nil), s.zones...)
	}
	name = canonicalName(name)
	for _, z := range s.zones {
		if z.Name == name {
			return []zone{z}
		}
	}
	return []zone{}
}

func (s *store) zoneByID(id string) (zone, bool) {
	for _, z := range s.zones {
		if z.ID == id {
			return z, true
		}
	}
	return zone{}, false
}

// authority is the zone a canonical name belongs to: the most specific one, in case zones nest.
func (s *store) authority(name string) (zone, bool) {
	var best zone
	found := false
	for _, z := range s.zones {
		if inZone(name, z.Name) && len(z.Name) > len(best.Name) {
			best, found = z, true
		}
	}
	return best, found
}

// create adds a record to a zone. Like Cloudflare, it refuses a second record with the same type, name
// and content, which would otherwise make certbot's lookup by content ambiguous.
func (s *store) create(zoneID string, r record) (record, error) {
	z, ok := s.zoneByID(zoneID)
	if !ok {
		return record{}, errNoZone
	}
	r.Name = canonicalName(r.Name)
	if !inZone(r.Name, z.Name) {
		return record{}, fmt.Errorf("%w: %q is not in %q", errOutsideZone, r.Name, z.Name)
	}
	r.ID, r.ZoneID, r.ZoneName, r.Created = newRecordID(), z.ID, z.Name, time.Now().UTC()

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, old := range s.records {
		if old.ZoneID == r.ZoneID && old.Type == r.Type && old.Name == r.Name && old.Content == r.Content {
			return record{}, errIdentical
		}
	}
	s.seq++
	r.seq = s.seq
	s.records[r.ID] = r
	return r, nil
}

// list is a zone's records matching the filter, oldest first.
func (s *store) list(zoneID string, f recordFilter) ([]record, error) {
	if _, ok := s.zoneByID(zoneID); !ok {
		return nil, errNoZone
	}
	s.mu.RLock()
	out := []record{}
	for _, r := range s.records {
		if r.ZoneID == zoneID && f.matches(r) {
			out = append(out, r)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out, nil
}

// remove deletes one record of a zone.
func (s *store) remove(zoneID, id string) (record, error) {
	if _, ok := s.zoneByID(zoneID); !ok {
		return record{}, errNoZone
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[id]
	if !ok || r.ZoneID != zoneID {
		return record{}, errNoRecord
	}
	delete(s.records, id)
	return r, nil
}

// lookup is what the DNS server needs for a canonical name: its records of the given type (oldest
// first), and whether the name exists at all. A name exists if it holds any record, is a zone apex, or
// has records below it (an empty non-terminal such as nats.staging.hoodcloud.io under
// _acme-challenge.nats.staging.hoodcloud.io); for anything else a resolver must hear NXDOMAIN.
func (s *store) lookup(name, typ string) (recs []record, exists bool) {
	for _, z := range s.zones {
		if z.Name == name {
			exists = true
		}
	}
	s.mu.RLock()
	for _, r := range s.records {
		switch {
		case r.Name == name:
			exists = true
			if r.Type == typ {
				recs = append(recs, r)
			}
		case strings.HasSuffix(r.Name, "."+name):
			exists = true
		}
	}
	s.mu.RUnlock()
	sort.Slice(recs, func(i, j int) bool { return recs[i].seq < recs[j].seq })
	return recs, exists
}

// newRecordID is Cloudflare-shaped: 32 random hex digits. Random rather than a counter so that an ID
// from an earlier run of the stand-in never names a record of this one.
func newRecordID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b[:])
}
