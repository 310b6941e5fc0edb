package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/dns/dnsmessage"
)

// The DNS server is authoritative for the zones and nothing else: TXT values where the API put them,
// an empty answer for names that exist without TXT records (apex, the names above a record, other
// types), NXDOMAIN for the rest of the zone, REFUSED (not authoritative) outside it.
func TestDNSAnswers(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io")
	zid := zoneID("staging.hoodcloud.io")
	for _, c := range []string{"v1", "v2"} {
		if _, err := r.store.create(zid, record{Type: "TXT", Name: "_acme-challenge.nats.staging.hoodcloud.io", Content: c, TTL: 300}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name   string
		typ    dnsmessage.Type
		class  dnsmessage.Class
		rcode  dnsmessage.RCode
		aa     bool
		values []string
	}{
		{"_acme-challenge.nats.staging.hoodcloud.io.", dnsmessage.TypeTXT, 0, dnsmessage.RCodeSuccess, true, []string{"v1", "v2"}},
		{"_ACME-CHALLENGE.Nats.Staging.HoodCloud.IO.", dnsmessage.TypeTXT, 0, dnsmessage.RCodeSuccess, true, []string{"v1", "v2"}},
		{"_acme-challenge.nats.staging.hoodcloud.io.", dnsmessage.TypeALL, 0, dnsmessage.RCodeSuccess, true, []string{"v1", "v2"}},
		{"_acme-challenge.nats.staging.hoodcloud.io.", dnsmessage.TypeA, 0, dnsmessage.RCodeSuccess, true, nil},
		{"nats.staging.hoodcloud.io.", dnsmessage.TypeTXT, 0, dnsmessage.RCodeSuccess, true, nil},
		{"staging.hoodcloud.io.", dnsmessage.TypeSOA, 0, dnsmessage.RCodeSuccess, true, nil},
		{"_acme-challenge.vault.staging.hoodcloud.io.", dnsmessage.TypeTXT, 0, dnsmessage.RCodeNameError, true, nil},
		{"x._acme-challenge.nats.staging.hoodcloud.io.", dnsmessage.TypeTXT, 0, dnsmessage.RCodeNameError, true, nil},
		{"hoodcloud.io.", dnsmessage.TypeTXT, 0, dnsmessage.RCodeRefused, false, nil},
		{"_acme-challenge.nats.evilstaging.hoodcloud.io.", dnsmessage.TypeTXT, 0, dnsmessage.RCodeRefused, false, nil},
		{"example.com.", dnsmessage.TypeTXT, 0, dnsmessage.RCodeRefused, false, nil},
		{".", dnsmessage.TypeNS, 0, dnsmessage.RCodeRefused, false, nil},
		{"_acme-challenge.nats.staging.hoodcloud.io.", dnsmessage.TypeTXT, 3 /* CHAOS */, dnsmessage.RCodeRefused, false, nil},
	} {
		t.Run(fmt.Sprintf("%s %v class %d", c.name, c.typ, c.class), func(t *testing.T) {
			q := dnsmessage.Question{Name: dnsmessage.MustNewName(c.name), Type: c.typ, Class: dnsmessage.ClassINET}
			if c.class != 0 {
				q.Class = c.class
			}
			msg := dnsmessage.Message{Header: dnsmessage.Header{ID: 4242, RecursionDesired: true}, Questions: []dnsmessage.Question{q}}
			packet, err := msg.Pack()
			if err != nil {
				t.Fatal(err)
			}
			m := exchangePacket(t, r.dnsUDP, packet)
			if m.RCode != c.rcode || m.Authoritative != c.aa || !m.RecursionDesired || m.RecursionAvailable || m.Truncated {
				t.Errorf("header %+v, want rcode %v aa %v", m.Header, c.rcode, c.aa)
			}
			if d := cmp.Diff([]dnsmessage.Question{q}, m.Questions); d != "" {
				t.Errorf("question not echoed as asked (-want +got):\n%s", d)
			}
			if d := cmp.Diff(c.values, txtValues(m)); d != "" {
				t.Errorf("values (-want +got):\n%s", d)
			}
			for _, a := range m.Answers {
				if a.Header.TTL != 300 || a.Header.Type != dnsmessage.TypeTXT {
					t.Errorf("answer header %+v", a.Header)
				}
			}
		})
	}
}

// Many values do not fit a plain UDP answer: the server sends what fits with TC set, stays within the
// client's EDNS size (capped at 1232), and gives everything over TCP — which is where Go's resolver
// goes on its own after TC, finding every value.
func TestDNSTruncatesUDPAndAnswersFullyOverTCP(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io")
	const name = "_acme-challenge.nats.staging.hoodcloud.io"
	var want []string
	for i := range 20 {
		v := fmt.Sprintf("%02d-%s", i, strings.Repeat("x", 97))
		want = append(want, v)
		if _, err := r.store.create(zoneID("staging.hoodcloud.io"), record{Type: "TXT", Name: name, Content: v, TTL: 120}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		udpSize, limit int
	}{{0, 512}, {4096, 1232}, {800, 800}, {100, 512}} {
		m, size := queryUDP(t, r.dnsUDP, name+".", dnsmessage.TypeTXT, c.udpSize)
		got := txtValues(m)
		if !m.Truncated || size > c.limit || len(got) == 0 || !slices.Equal(got, want[:len(got)]) {
			t.Errorf("EDNS %d: TC %v, %d bytes (limit %d), %d values %v", c.udpSize, m.Truncated, size, c.limit, len(got), got)
		}
		if hasOPT := len(m.Additionals) == 1 && m.Additionals[0].Header.Type == dnsmessage.TypeOPT; hasOPT != (c.udpSize > 0) {
			t.Errorf("EDNS %d: additionals %+v", c.udpSize, m.Additionals)
		} else if hasOPT && m.Additionals[0].Header.Class != ednsUDPLimit {
			t.Errorf("EDNS %d: OPT advertises %d", c.udpSize, m.Additionals[0].Header.Class)
		}
	}
	m := queryTCP(t, r.dnsTCP, name+".", dnsmessage.TypeTXT)
	if m.Truncated || m.RCode != dnsmessage.RCodeSuccess || !m.Authoritative {
		t.Errorf("TCP header %+v", m.Header)
	}
	if d := cmp.Diff(want, txtValues(m)); d != "" {
		t.Errorf("TCP values (-want +got):\n%s", d)
	}

	got, err := goResolver(r.dnsUDP.String(), "").LookupTXT(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Go resolver (-want +got):\n%s", d)
	}
}

// Content longer than one TXT character-string (255 bytes) goes out as several strings of one record,
// which resolvers join back.
func TestDNSSplitsLongContent(t *testing.T) {
	if got := txtStrings(strings.Repeat("a", 255)); len(got) != 1 {
		t.Errorf("255 bytes split into %d strings", len(got))
	}
	long := strings.Repeat("0123456789", 60)
	parts := txtStrings(long)
	if len(parts) != 3 || len(parts[0]) != 255 || len(parts[1]) != 255 || strings.Join(parts, "") != long {
		t.Errorf("600 bytes split into %d strings", len(parts))
	}
	r := newRehearsal(t, "staging.hoodcloud.io")
	if _, err := r.store.create(zoneID("staging.hoodcloud.io"), record{Type: "TXT", Name: "long.staging.hoodcloud.io", Content: long}); err != nil {
		t.Fatal(err)
	}
	m := queryTCP(t, r.dnsTCP, "long.staging.hoodcloud.io.", dnsmessage.TypeTXT)
	if d := cmp.Diff([]string{long}, txtValues(m)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// Packets that are not queries get nothing back (answering responses could loop two servers); a query
// without exactly one question is FORMERR, another opcode NOTIMP, both with the ID echoed.
func TestDNSOddPackets(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io")
	from := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
	pack := func(m dnsmessage.Message) []byte {
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	q := dnsmessage.Question{Name: dnsmessage.MustNewName("staging.hoodcloud.io."), Type: dnsmessage.TypeTXT, Class: dnsmessage.ClassINET}
	for _, c := range []struct {
		name   string
		packet []byte
		answer bool
		rcode  dnsmessage.RCode
	}{
		{"short", []byte{1, 2, 3}, false, 0},
		{"response", pack(dnsmessage.Message{Header: dnsmessage.Header{ID: 7, Response: true}, Questions: []dnsmessage.Question{q}}), false, 0},
		{"no question", pack(dnsmessage.Message{Header: dnsmessage.Header{ID: 7}}), true, dnsmessage.RCodeFormatError},
		{"two questions", pack(dnsmessage.Message{Header: dnsmessage.Header{ID: 7}, Questions: []dnsmessage.Question{q, q}}), true, dnsmessage.RCodeFormatError},
		{"truncated question", pack(dnsmessage.Message{Header: dnsmessage.Header{ID: 7}, Questions: []dnsmessage.Question{q}})[:20], true, dnsmessage.RCodeFormatError},
		{"status opcode", pack(dnsmessage.Message{Header: dnsmessage.Header{ID: 7, OpCode: 2}, Questions: []dnsmessage.Question{q}}), true, dnsmessage.RCodeNotImplemented},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, ok := r.dns.respond(c.packet, "udp", from)
			if ok != c.answer {
				t.Fatalf("answered %v, want %v", ok, c.answer)
			}
			if !ok {
				return
			}
			m := unpackResponse(t, 7, resp)
			if m.RCode != c.rcode || m.Authoritative || len(m.Answers) != 0 {
				t.Errorf("header %+v, want rcode %v", m.Header, c.rcode)
			}
		})
	}
	// The server keeps answering after them.
	for _, c := range []struct{ packet []byte }{{[]byte{1, 2, 3}}, {pack(dnsmessage.Message{Header: dnsmessage.Header{ID: 9, Response: true}})}} {
		conn, err := net.Dial("udp", r.dnsUDP.String())
		if err != nil {
			t.Fatal(err)
		}
		conn.Write(c.packet)
		conn.Close()
	}
	if m, _ := queryUDP(t, r.dnsUDP, "staging.hoodcloud.io.", dnsmessage.TypeTXT, 0); m.RCode != dnsmessage.RCodeSuccess {
		t.Errorf("after odd packets: %v", m.RCode)
	}
}

// One TCP connection carries several queries, as RFC 7766 allows resolvers to do.
func TestDNSTCPConnectionIsReused(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io")
	got, err := goResolver(r.dnsTCP.String(), "tcp").LookupTXT(context.Background(), "nothing.staging.hoodcloud.io")
	if dnsErr, ok := err.(*net.DNSError); !ok || !dnsErr.IsNotFound {
		t.Fatalf("LookupTXT of a missing name: %v %v, want not found", got, err)
	}
	conn, err := net.Dial("tcp", r.dnsTCP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	for i := range 3 {
		id, packet := buildQuery(t, "staging.hoodcloud.io.", dnsmessage.TypeTXT, 0)
		if _, err := conn.Write(append([]byte{byte(len(packet) >> 8), byte(len(packet))}, packet...)); err != nil {
			t.Fatal(err)
		}
		var l [2]byte
		if _, err := io.ReadFull(conn, l[:]); err != nil {
			t.Fatalf("query %d: %v", i, err)
		}
		resp := make([]byte, int(l[0])<<8|int(l[1]))
		if _, err := io.ReadFull(conn, resp); err != nil {
			t.Fatal(err)
		}
		if m := unpackResponse(t, id, resp); m.RCode != dnsmessage.RCodeSuccess {
			t.Errorf("query %d: %v", i, m.RCode)
		}
	}
}

// exchangePacket sends a packed query over UDP and reads the response.
func exchangePacket(t *testing.T, addr net.Addr, packet []byte) dnsmessage.Message {
	t.Helper()
	var p dnsmessage.Parser
	h, err := p.Start(packet)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := exchangeUDP(addr, packet)
	if err != nil {
		t.Fatal(err)
	}
	return unpackResponse(t, h.ID, resp)
}

// goResolver is Go's own resolver pointed at the stand-in, as a client with the stand-in as its
// nameserver would be; network forces "tcp" or "udp" when not empty.
func goResolver(addr, network string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, n, _ string) (net.Conn, error) {
		if network != "" {
			n = network
		}
		var d net.Dialer
		return d.DialContext(ctx, n, addr)
	}}
}
