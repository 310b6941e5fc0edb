package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

const testToken = "cf-rehearsal-token-Zx81"

// rehearsal is the stand-in as the tests drive it: the API behind an httptest server, the DNS server
// on UDP and TCP at one 127.0.0.1 port, and everything both log.
type rehearsal struct {
	t       *testing.T
	store   *store
	api     *httptest.Server
	dnsUDP  net.Addr
	dnsTCP  net.Addr
	logs    *syncBuffer
	handler *api
	dns     *dnsServer
}

func newRehearsal(t *testing.T, zones ...string) *rehearsal {
	t.Helper()
	st, err := newStore(zones)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	h := &api{store: st, token: testToken, log: log}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	d := &dnsServer{store: st, log: log}
	pc, tl, err := listenDNS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { done <- d.serveUDP(pc) }()
	go func() { done <- d.serveTCP(tl) }()
	t.Cleanup(func() {
		pc.Close()
		tl.Close()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("dns server: %v", err)
			}
		}
	})
	return &rehearsal{t: t, store: st, api: srv, dnsUDP: pc.LocalAddr(), dnsTCP: tl.Addr(), logs: logs, handler: h, dns: d}
}

// cfAnswer is an API answer as python-cloudflare sees it: it parses the body as JSON because the
// Content-Type says so, raises on success:false, and otherwise hands result to certbot.
type cfAnswer struct {
	Status      int
	ContentType string
	Raw         string

	Success    bool            `json:"success"`
	Errors     []apiError      `json:"errors"`
	Messages   []string        `json:"messages"`
	Result     json.RawMessage `json:"result"`
	ResultInfo *resultInfo     `json:"result_info"`
}

// call sends a request the way python-cloudflare 2.11 does with an API token: Authorization: Bearer,
// Content-Type: application/json on every method, params in the query string, data as a JSON body.
func (r *rehearsal) call(method, path string, params url.Values, body string) cfAnswer {
	r.t.Helper()
	return r.callWith(method, path, params, body, map[string]string{"Authorization": "Bearer " + testToken})
}

func (r *rehearsal) callWith(method, path string, params url.Values, body string, headers map[string]string) cfAnswer {
	r.t.Helper()
	u := r.api.URL + apiBase + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("User-Agent", "python-cloudflare/2.11.1/python-requests/2.28.1/python/3.11.2")
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := r.api.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	a := cfAnswer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Raw: string(raw)}
	if err := json.Unmarshal(raw, &a); err != nil {
		r.t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, raw)
	}
	return a
}

// result decodes the result of a successful answer, failing the test as certbot would fail on an error.
func (a cfAnswer) result(t *testing.T, into any) {
	t.Helper()
	if a.Status != 200 || !a.Success || len(a.Errors) != 0 {
		t.Fatalf("call failed (python-cloudflare would raise): %d %s", a.Status, a.Raw)
	}
	if err := json.Unmarshal(a.Result, into); err != nil {
		t.Fatalf("result: %v\n%s", err, a.Raw)
	}
}

// baseDomainNameGuesses is certbot's dns_common.base_domain_name_guesses: the domain and each suffix.
func baseDomainNameGuesses(domain string) []string {
	labels := strings.Split(domain, ".")
	out := make([]string, 0, len(labels))
	for i := range labels {
		out = append(out, strings.Join(labels[i:], "."))
	}
	return out
}

// findZoneID is certbot's _find_zone_id: GET /zones?name=<guess>&per_page=1 for each guess, first
// non-empty list wins. It also returns the guesses it asked about.
func (r *rehearsal) findZoneID(domain string) (id string, asked []string) {
	r.t.Helper()
	for _, guess := range baseDomainNameGuesses(domain) {
		asked = append(asked, guess)
		var zones []zoneJSON
		r.call("GET", "/zones", url.Values{"name": {guess}, "per_page": {"1"}}, "").result(r.t, &zones)
		if len(zones) > 0 {
			return zones[0].ID, asked
		}
	}
	return "", asked
}

// addTXT is certbot's add_txt_record after the zone lookup: the POST, then the lookup of the new
// record's ID by type, name and content.
func (r *rehearsal) addTXT(zoneID, name, content string) recordJSON {
	r.t.Helper()
	var created recordJSON
	r.call("POST", "/zones/"+zoneID+"/dns_records", nil, txtBody(name, content)).result(r.t, &created)
	found := r.findTXT(zoneID, name, content)
	if found == nil || found.ID != created.ID {
		r.t.Fatalf("created %+v, lookup found %+v", created, found)
	}
	return created
}

// txtBody is the JSON python-cloudflare sends for certbot's record (json.dumps, with its spaces).
func txtBody(name, content string) string {
	return fmt.Sprintf(`{"type": "TXT", "name": %q, "content": %q, "ttl": 120}`, name, content)
}

// findTXT is certbot's _find_txt_record_id.
func (r *rehearsal) findTXT(zoneID, name, content string) *recordJSON {
	r.t.Helper()
	var recs []recordJSON
	r.call("GET", "/zones/"+zoneID+"/dns_records",
		url.Values{"type": {"TXT"}, "name": {name}, "content": {content}, "per_page": {"1"}}, "").result(r.t, &recs)
	if len(recs) == 0 {
		return nil
	}
	return &recs[0]
}

// buildQuery packs a DNS query; udpSize > 0 adds an EDNS OPT record advertising it.
func buildQuery(t testing.TB, name string, typ dnsmessage.Type, udpSize int) (uint16, []byte) {
	t.Helper()
	id := uint16(rand.N(1 << 16))
	msg := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: id, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName(name), Type: typ, Class: dnsmessage.ClassINET}},
	}
	if udpSize > 0 {
		var h dnsmessage.ResourceHeader
		if err := h.SetEDNS0(udpSize, dnsmessage.RCodeSuccess, false); err != nil {
			t.Fatal(err)
		}
		msg.Additionals = []dnsmessage.Resource{{Header: h, Body: &dnsmessage.OPTResource{}}}
	}
	packet, err := msg.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return id, packet
}

// queryUDP asks the DNS server one question over UDP; it returns the response and its size on the wire.
func queryUDP(t testing.TB, addr net.Addr, name string, typ dnsmessage.Type, udpSize int) (dnsmessage.Message, int) {
	t.Helper()
	id, packet := buildQuery(t, name, typ, udpSize)
	resp, err := exchangeUDP(addr, packet)
	if err != nil {
		t.Fatalf("%s %v: %v", name, typ, err)
	}
	return unpackResponse(t, id, resp), len(resp)
}

// exchangeUDP sends one packet and reads one back; it does not fail the test, so that goroutines other
// than the test's may use it.
func exchangeUDP(addr net.Addr, packet []byte) ([]byte, error) {
	c, err := net.Dial("udp", addr.String())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(packet); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// queryTCP asks the same over TCP, with the two-byte length prefix.
func queryTCP(t testing.TB, addr net.Addr, name string, typ dnsmessage.Type) dnsmessage.Message {
	t.Helper()
	id, packet := buildQuery(t, name, typ, 0)
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(packet))), packet...)); err != nil {
		t.Fatal(err)
	}
	var l [2]byte
	if _, err := io.ReadFull(c, l[:]); err != nil {
		t.Fatal(err)
	}
	resp := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(c, resp); err != nil {
		t.Fatal(err)
	}
	return unpackResponse(t, id, resp)
}

func unpackResponse(t testing.TB, id uint16, b []byte) dnsmessage.Message {
	t.Helper()
	var m dnsmessage.Message
	if err := m.Unpack(b); err != nil {
		t.Fatalf("response does not parse: %v", err)
	}
	if m.Header.ID != id || !m.Header.Response {
		t.Fatalf("response header %+v, want a response to ID %d", m.Header, id)
	}
	return m
}

// txtValues is what a resolver makes of the answer: one value per TXT record, its strings joined.
func txtValues(m dnsmessage.Message) []string {
	var out []string
	for _, a := range m.Answers {
		if txt, ok := a.Body.(*dnsmessage.TXTResource); ok {
			out = append(out, strings.Join(txt.TXT, ""))
		}
	}
	return out
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
