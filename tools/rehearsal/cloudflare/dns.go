package main

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

const (
	// defaultTTL is served for records whose TTL is Cloudflare's 1 ("automatic").
	defaultTTL = 120
	// plainUDPLimit is the largest UDP answer a client without EDNS accepts (RFC 1035).
	plainUDPLimit = 512
	// ednsUDPLimit caps UDP answers to clients with EDNS at the size that avoids IP fragmentation
	// (DNS flag day 2020); anything larger goes over TCP.
	ednsUDPLimit = 1232
	// tcpIdle is how long a TCP connection may sit between queries.
	tcpIdle = 10 * time.Second
)

// dnsServer is the authoritative server of the zones, answering from the records the API created. It is
// what pebble's -dnsserver points at: pebble asks it for TXT _acme-challenge.<domain> directly (no
// recursion), so it must answer with AA set and with every current value of the name.
type dnsServer struct {
	store *store
	log   *slog.Logger
}

// query is what respond needs from a query packet.
type query struct {
	header   dnsmessage.Header
	question *dnsmessage.Question // nil when the packet did not carry exactly one readable question
	edns     bool
	udpSize  int // the client's advertised EDNS payload size
}

// parseQuery reads the header, the question and, for the size limit, an EDNS OPT record. ok is false for
// packets not worth an answer: too short for a header, or themselves responses (answering those could
// start a loop between two servers).
func parseQuery(packet []byte) (q query, ok bool) {
	var p dnsmessage.Parser
	h, err := p.Start(packet)
	if err != nil || h.Response {
		return q, false
	}
	q.header = h
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 {
		return q, true
	}
	q.question = &qs[0]
	if p.SkipAllAnswers() != nil || p.SkipAllAuthorities() != nil {
		return q, true
	}
	for {
		rh, err := p.AdditionalHeader()
		if err != nil {
			return q, true // ErrSectionDone, or a malformed tail: answer without EDNS
		}
		if rh.Type == dnsmessage.TypeOPT {
			q.edns, q.udpSize = true, int(rh.Class)
		}
		if p.SkipAdditional() != nil {
			return q, true
		}
	}
}

// answer decides the response code and the TXT records to return. Names outside the zones are REFUSED,
// as an authoritative-only server does; inside them a name that does not exist is NXDOMAIN and one that
// does but has no TXT records is an empty NOERROR.
func (s *dnsServer) answer(q query) (rcode dnsmessage.RCode, authoritative bool, recs []record) {
	switch {
	case q.header.OpCode != 0:
		return dnsmessage.RCodeNotImplemented, false, nil
	case q.question == nil:
		return dnsmessage.RCodeFormatError, false, nil
	case q.question.Class != dnsmessage.ClassINET && q.question.Class != dnsmessage.ClassANY:
		return dnsmessage.RCodeRefused, false, nil
	}
	name := canonicalName(q.question.Name.String())
	if _, ok := s.store.authority(name); !ok {
		return dnsmessage.RCodeRefused, false, nil
	}
	recs, exists := s.store.lookup(name, "TXT")
	if !exists {
		return dnsmessage.RCodeNameError, true, nil
	}
	if t := q.question.Type; t != dnsmessage.TypeTXT && t != dnsmessage.TypeALL {
		recs = nil
	}
	return dnsmessage.RCodeSuccess, true, recs
}

// respond answers one query packet and logs the answer on one line. ok is false when nothing should be
// sent back.
func (s *dnsServer) respond(packet []byte, proto string, from net.Addr) (resp []byte, ok bool) {
	q, ok := parseQuery(packet)
	if !ok {
		return nil, false
	}
	rcode, aa, recs := s.answer(q)
	limit := 65535
	if proto == "udp" {
		limit = plainUDPLimit
		if q.edns {
			limit = min(max(q.udpSize, plainUDPLimit), ednsUDPLimit)
		}
	}
	resp, sent, err := build(q, rcode, aa, recs, limit)
	attrs := []any{"proto", proto, "from", from.String(), "id", q.header.ID}
	if q.question != nil {
		attrs = append(attrs, "name", q.question.Name.String(), "type", q.question.Type)
	}
	attrs = append(attrs, "rcode", rcode, "answers", sent, "truncated", sent < len(recs))
	if err != nil {
		s.log.Error("dns", append(attrs, "error", err)...)
		return nil, false
	}
	s.log.Info("dns", attrs...)
	return resp, true
}

// build packs the response, dropping trailing answers and setting TC when they do not fit the limit:
// a client that gets TC retries over TCP, and one that does not (pebble's miekg/dns client on UDP)
// still sees the answers that fit. sent is how many answers went in.
func build(q query, rcode dnsmessage.RCode, aa bool, recs []record, limit int) (msg []byte, sent int, err error) {
	for n := len(recs); ; n-- {
		msg, err = pack(q, rcode, aa, recs[:n], n < len(recs))
		if err != nil || len(msg) <= limit || n == 0 {
			return msg, n, err
		}
	}
}

func pack(q query, rcode dnsmessage.RCode, aa bool, recs []record, truncated bool) ([]byte, error) {
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), dnsmessage.Header{
		ID:                 q.header.ID,
		Response:           true,
		OpCode:             q.header.OpCode,
		Authoritative:      aa,
		Truncated:          truncated,
		RecursionDesired:   q.header.RecursionDesired,
		RecursionAvailable: false,
		RCode:              rcode,
	})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if q.question != nil {
		// Echoed as asked, case included: resolvers randomize the case of the name and check it comes back.
		if err := b.Question(*q.question); err != nil {
			return nil, err
		}
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	for _, r := range recs {
		h := dnsmessage.ResourceHeader{Name: q.question.Name, Type: dnsmessage.TypeTXT, Class: dnsmessage.ClassINET, TTL: dnsTTL(r)}
		if err := b.TXTResource(h, dnsmessage.TXTResource{TXT: txtStrings(r.Content)}); err != nil {
			return nil, err
		}
	}
	if q.edns {
		if err := b.StartAdditionals(); err != nil {
			return nil, err
		}
		var h dnsmessage.ResourceHeader
		if err := h.SetEDNS0(ednsUDPLimit, dnsmessage.RCodeSuccess, false); err != nil {
			return nil, err
		}
		if err := b.OPTResource(h, dnsmessage.OPTResource{}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// dnsTTL is the record's TTL, or defaultTTL for Cloudflare's "automatic".
func dnsTTL(r record) uint32 {
	if r.TTL <= 1 {
		return defaultTTL
	}
	return uint32(r.TTL)
}

// txtStrings splits content into the 255-byte character-strings a TXT record is made of; one string
// for an ACME validation (43 bytes). Resolvers join them back into one value.
func txtStrings(content string) []string {
	var out []string
	for len(content) > 255 {
		out = append(out, content[:255])
		content = content[255:]
	}
	return append(out, content)
}

// serveUDP answers datagrams until the connection is closed.
func (s *dnsServer) serveUDP(pc net.PacketConn) error {
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			s.log.Error("dns", "proto", "udp", "error", err)
			time.Sleep(10 * time.Millisecond) // do not spin on a persistent error
			continue
		}
		if resp, ok := s.respond(buf[:n], "udp", from); ok {
			if _, err := pc.WriteTo(resp, from); err != nil {
				s.log.Error("dns", "proto", "udp", "from", from.String(), "error", err)
			}
		}
	}
}

// serveTCP accepts connections until the listener is closed. TCP is where a resolver goes after a
// truncated UDP answer.
func (s *dnsServer) serveTCP(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			s.log.Error("dns", "proto", "tcp", "error", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go s.serveConn(c)
	}
}

// serveConn answers length-prefixed queries (RFC 1035 4.2.2) on one connection until the client closes
// it or stays idle too long.
func (s *dnsServer) serveConn(c net.Conn) {
	defer c.Close()
	for {
		if err := c.SetDeadline(time.Now().Add(tcpIdle)); err != nil {
			return
		}
		var l [2]byte
		if _, err := io.ReadFull(c, l[:]); err != nil {
			return
		}
		packet := make([]byte, binary.BigEndian.Uint16(l[:]))
		if _, err := io.ReadFull(c, packet); err != nil {
			return
		}
		resp, ok := s.respond(packet, "tcp", c.RemoteAddr())
		if !ok {
			return
		}
		if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(resp))), resp...)); err != nil {
			return
		}
	}
}
