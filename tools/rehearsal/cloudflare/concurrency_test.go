package main

import (
	"fmt"
	"net"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// Several certbots (one per domain) run their rounds while resolvers keep asking, directly and over
// UDP: each certbot sees its own record in DNS between its POST and its DELETE, and the zones end
// empty. Run with -race, this is what guards the store's locking. The certbots are parallel subtests,
// so that they may stop the test from their own goroutines; the resolvers only report errors.
func TestConcurrentRoundsAndQueries(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io", "prod.hoodcloud.io")
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
	// ask is a question answered without the network, so that certbots see the store at that moment.
	ask := func(t testing.TB, name string) ([]string, error) {
		_, packet := buildQuery(t, name+".", dnsmessage.TypeTXT, 1232)
		resp, ok := r.dns.respond(packet, "udp", from)
		if !ok {
			return nil, fmt.Errorf("no answer for %s", name)
		}
		var m dnsmessage.Message
		if err := m.Unpack(resp); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return txtValues(m), nil
	}

	stop := make(chan struct{})
	var resolvers sync.WaitGroup
	for i := range 4 {
		_, direct := buildQuery(t, fmt.Sprintf("_acme-challenge.svc%d.staging.hoodcloud.io.", i), dnsmessage.TypeTXT, 0)
		_, overUDP := buildQuery(t, "_acme-challenge.svc1.prod.hoodcloud.io.", dnsmessage.TypeTXT, 0)
		resolvers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, ok := r.dns.respond(direct, "udp", from); !ok {
					t.Error("no answer")
				}
				if _, err := exchangeUDP(r.dnsUDP, overUDP); err != nil {
					t.Error(err)
				}
			}
		})
	}

	t.Run("certbots", func(t *testing.T) {
		for i := range 8 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				c := *r
				c.t = t
				domain := fmt.Sprintf("svc%d.%s.hoodcloud.io", i, []string{"staging", "prod"}[i%2])
				name := "_acme-challenge." + domain
				for round := range 5 {
					zid, _ := c.findZoneID(domain)
					rec := c.addTXT(zid, name, fmt.Sprintf("round-%d-of-%d", round, i))
					if got, err := ask(t, name); err != nil || len(got) != 1 || got[0] != rec.Content {
						t.Errorf("%s after POST: %v %v", name, got, err)
					}
					var deleted map[string]string
					c.call("DELETE", "/zones/"+zid+"/dns_records/"+rec.ID, nil, "").result(t, &deleted)
					if got, err := ask(t, name); err != nil || len(got) != 0 {
						t.Errorf("%s after DELETE: %v %v", name, got, err)
					}
				}
			})
		}
	})
	close(stop)
	resolvers.Wait()

	for _, z := range r.store.zones {
		if recs, _ := r.store.list(z.ID, recordFilter{}); len(recs) != 0 {
			t.Errorf("%s left with %d records", z.Name, len(recs))
		}
	}
}
