package platform

import "testing"

// The table is consistent: one row per role and port, loopback rows bind 127.0.0.1, public rows bind all
// interfaces, and peer rows name the roles they admit.
func TestPortReferenceIsConsistent(t *testing.T) {
	seen := map[Role]map[int]bool{}
	for _, e := range PortReference {
		if seen[e.Role] == nil {
			seen[e.Role] = map[int]bool{}
		}
		if seen[e.Role][e.Port] {
			t.Errorf("%s port %d listed twice", e.Role, e.Port)
		}
		seen[e.Role][e.Port] = true
		switch e.Exposure {
		case Loopback:
			if e.Bind != "127.0.0.1" {
				t.Errorf("%s %d is internal but binds %s", e.Role, e.Port, e.Bind)
			}
		case Peer:
			if len(e.From) == 0 || !e.Public() {
				t.Errorf("%s %d is a peer port without peers or not bound publicly", e.Role, e.Port)
			}
		default:
			if !e.Public() {
				t.Errorf("%s %d is exposed but binds %s", e.Role, e.Port, e.Bind)
			}
		}
	}
}

func TestEntriesForKeepsTableOrder(t *testing.T) {
	got := EntriesFor([]Role{Payment})
	if len(got) != 3 || got[0].Port != 50051 || got[2].Port != 5433 {
		t.Errorf("payment entries %v", got)
	}
	if len(EntriesFor(nil)) != 0 {
		t.Error("no roles, no entries")
	}
}
