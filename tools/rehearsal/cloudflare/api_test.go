package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/dns/dnsmessage"
)

// certbot's whole DNS-01 round for nats.staging.hoodcloud.io, call for call as the dns-cloudflare plugin
// makes it, with pebble's question in between: the zone is found at the second guess, the record
// resolves once posted (next to a second value, as for a certificate with the wildcard too), and stops
// resolving once deleted.
func TestCertbotRoundResolvesThenCleansUp(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io", "prod.hoodcloud.io")
	const domain = "nats.staging.hoodcloud.io"
	const name = "_acme-challenge." + domain

	zid, asked := r.findZoneID(domain)
	if zid != zoneID("staging.hoodcloud.io") {
		t.Fatalf("zone id %q, want the staging zone's %q", zid, zoneID("staging.hoodcloud.io"))
	}
	if d := cmp.Diff([]string{domain, "staging.hoodcloud.io"}, asked); d != "" {
		t.Errorf("guesses asked (-want +got):\n%s", d)
	}

	if m, _ := queryUDP(t, r.dnsUDP, name+".", dnsmessage.TypeTXT, 0); m.RCode != dnsmessage.RCodeNameError || !m.Authoritative {
		t.Fatalf("before the POST: rcode %v aa %v, want an authoritative NXDOMAIN", m.RCode, m.Authoritative)
	}

	first := r.addTXT(zid, name, "dGhlLWZpcnN0LXZhbGlkYXRpb24tdmFsdWUtNDMtY2hhcnM")
	want := recordJSON{ID: first.ID, ZoneID: zid, ZoneName: "staging.hoodcloud.io", Name: name, Type: "TXT",
		Content: "dGhlLWZpcnN0LXZhbGlkYXRpb24tdmFsdWUtNDMtY2hhcnM", TTL: 120, CreatedOn: first.CreatedOn, ModifiedOn: first.ModifiedOn}
	if d := cmp.Diff(want, first); d != "" || len(first.ID) != 32 || first.CreatedOn == "" {
		t.Errorf("created record (-want +got):\n%s\nid %q", d, first.ID)
	}
	second := r.addTXT(zid, name, "c2Vjb25kLXZhbHVlLWZvci10aGUtd2lsZGNhcmQtbmFtZQ")

	// pebble asks with the name as it likes, case included; the answer echoes it.
	m, _ := queryUDP(t, r.dnsUDP, "_ACME-Challenge.NATS.staging.hoodcloud.io.", dnsmessage.TypeTXT, 0)
	if m.RCode != dnsmessage.RCodeSuccess || !m.Authoritative || m.RecursionAvailable {
		t.Fatalf("after the POSTs: header %+v", m.Header)
	}
	if d := cmp.Diff([]string{first.Content, second.Content}, txtValues(m)); d != "" {
		t.Errorf("TXT values (-want +got):\n%s", d)
	}
	for _, a := range m.Answers {
		if a.Header.Name.String() != "_ACME-Challenge.NATS.staging.hoodcloud.io." || a.Header.TTL != 120 || a.Header.Class != dnsmessage.ClassINET {
			t.Errorf("answer header %+v", a.Header)
		}
	}

	var deleted map[string]string
	r.call("DELETE", "/zones/"+zid+"/dns_records/"+first.ID, nil, "").result(t, &deleted)
	if d := cmp.Diff(map[string]string{"id": first.ID}, deleted); d != "" {
		t.Errorf("DELETE result (-want +got):\n%s", d)
	}
	m, _ = queryUDP(t, r.dnsUDP, name+".", dnsmessage.TypeTXT, 0)
	if d := cmp.Diff([]string{second.Content}, txtValues(m)); d != "" {
		t.Errorf("after one DELETE (-want +got):\n%s", d)
	}
	if got := r.findTXT(zid, name, first.Content); got != nil {
		t.Errorf("deleted record still listed: %+v", got)
	}

	r.call("DELETE", "/zones/"+zid+"/dns_records/"+second.ID, nil, "").result(t, &deleted)
	if m, _ := queryUDP(t, r.dnsUDP, name+".", dnsmessage.TypeTXT, 0); m.RCode != dnsmessage.RCodeNameError || len(m.Answers) != 0 {
		t.Errorf("after both DELETEs: rcode %v answers %v, want NXDOMAIN", m.RCode, txtValues(m))
	}

	logs := r.logs.String()
	for _, want := range []string{"method=POST", "method=DELETE", "name=_ACME-Challenge.NATS.staging.hoodcloud.io.", "rcode=RCodeNameError"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, testToken) {
		t.Errorf("the token is in the log:\n%s", logs)
	}
}

// Without the right bearer token every call is the 403 Cloudflare gives, in the error shape that makes
// python-cloudflare raise (and certbot print its "valid Cloudflare Token?" hint for code 9109), and
// nothing changes.
func TestWrongTokenIsForbidden(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io")
	zid := zoneID("staging.hoodcloud.io")
	const want = `{"success":false,"errors":[{"code":9109,"message":"Invalid access token"}],"messages":[],"result":null}`
	for _, c := range []struct {
		name    string
		headers map[string]string
	}{
		{"no Authorization", map[string]string{}},
		{"wrong token", map[string]string{"Authorization": "Bearer not-" + testToken}},
		{"token with a suffix", map[string]string{"Authorization": "Bearer " + testToken + "x"}},
		{"not a bearer", map[string]string{"Authorization": "Basic " + testToken}},
		{"global key headers", map[string]string{"X-Auth-Email": "ops@hoodcloud.io", "X-Auth-Key": testToken}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, call := range []struct{ method, path, body string }{
				{"GET", "/zones", ""},
				{"POST", "/zones/" + zid + "/dns_records", txtBody("_acme-challenge.staging.hoodcloud.io", "v")},
				{"DELETE", "/zones/" + zid + "/dns_records/0123", ""},
			} {
				a := r.callWith(call.method, call.path, url.Values{"name": {"staging.hoodcloud.io"}}, call.body, c.headers)
				if a.Status != 403 || a.ContentType != "application/json" {
					t.Errorf("%s %s: %d %s", call.method, call.path, a.Status, a.ContentType)
				}
				if !jsonEqual(t, want, a.Raw) {
					t.Errorf("%s %s body\n got %s\nwant %s", call.method, call.path, a.Raw, want)
				}
			}
		})
	}
	if recs, _ := r.store.list(zid, recordFilter{}); len(recs) != 0 {
		t.Errorf("a refused POST stored %+v", recs)
	}
	if strings.Contains(r.logs.String(), testToken) {
		t.Errorf("the token is in the log:\n%s", r.logs.String())
	}
}

// A record whose name is not in the zone it is posted to is a 400, not a record nobody can resolve.
func TestRecordOutsideTheZoneIsRejected(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io", "prod.hoodcloud.io")
	zid := zoneID("staging.hoodcloud.io")
	for _, name := range []string{
		"_acme-challenge.nats.prod.hoodcloud.io", // another zone of ours
		"_acme-challenge.hoodcloud.io",           // the parent
		"_acme-challenge.evilstaging.hoodcloud.io",
		"_acme-challenge.nats.staging.hoodcloud.io.example.com",
	} {
		a := r.call("POST", "/zones/"+zid+"/dns_records", nil, txtBody(name, "v"))
		if a.Status != 400 || a.Success || len(a.Errors) != 1 || a.Errors[0].Code != codeValidation || string(a.Result) != "null" {
			t.Errorf("%s: %d %s", name, a.Status, a.Raw)
		}
	}
	if recs, _ := r.store.list(zid, recordFilter{}); len(recs) != 0 {
		t.Errorf("stored %+v", recs)
	}
	if m, _ := queryUDP(t, r.dnsUDP, "_acme-challenge.nats.prod.hoodcloud.io.", dnsmessage.TypeTXT, 0); m.RCode != dnsmessage.RCodeNameError {
		t.Errorf("rejected record resolves: %v %v", m.RCode, txtValues(m))
	}
}

// Everything else the API answers is an error in Cloudflare's shape, with the code the real API uses,
// so python-cloudflare raises rather than handing certbot something half-right.
func TestAPIErrors(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io")
	zid := zoneID("staging.hoodcloud.io")
	records := "/zones/" + zid + "/dns_records"
	existing := r.addTXT(zid, "_acme-challenge.staging.hoodcloud.io", "taken")
	for _, c := range []struct {
		name, method, path string
		params             url.Values
		body               string
		contentType        string
		status, code       int
	}{
		{name: "unknown route", method: "GET", path: "/user/tokens/verify", status: 404, code: codeNoRoute},
		{name: "zone by id is not implemented", method: "GET", path: "/zones/" + zid, status: 404, code: codeNoRoute},
		{name: "wrong method", method: "PUT", path: records, status: 404, code: codeNoRoute},
		{name: "outside the API", method: "GET", path: "/../zones", status: 404, code: codeNoRoute},
		{name: "unknown zone list", method: "GET", path: "/zones/0000/dns_records", status: 404, code: codeInvalidID},
		{name: "unknown zone post", method: "POST", path: "/zones/0000/dns_records", body: txtBody("_acme-challenge.staging.hoodcloud.io", "v"), status: 404, code: codeInvalidID},
		{name: "unknown zone delete", method: "DELETE", path: "/zones/0000/dns_records/" + existing.ID, status: 404, code: codeInvalidID},
		{name: "unknown record", method: "DELETE", path: records + "/0123456789abcdef0123456789abcdef", status: 404, code: codeRecordNotFound},
		{name: "identical record", method: "POST", path: records, body: txtBody("_ACME-challenge.staging.hoodcloud.io.", "taken"), status: 400, code: codeIdentical},
		{name: "not TXT", method: "POST", path: records, body: `{"type": "A", "name": "x.staging.hoodcloud.io", "content": "192.0.2.1", "ttl": 120}`, status: 400, code: codeValidation},
		{name: "no content", method: "POST", path: records, body: `{"type": "TXT", "name": "x.staging.hoodcloud.io", "ttl": 120}`, status: 400, code: codeValidation},
		{name: "bad ttl", method: "POST", path: records, body: `{"type": "TXT", "name": "x.staging.hoodcloud.io", "content": "v", "ttl": 5}`, status: 400, code: codeValidation},
		{name: "empty label", method: "POST", path: records, body: txtBody("x..staging.hoodcloud.io", "v"), status: 400, code: codeValidation},
		{name: "bad JSON", method: "POST", path: records, body: `{"type": "TXT",`, status: 400, code: codeInvalidBody},
		{name: "form body", method: "POST", path: records, body: "type=TXT&name=x.staging.hoodcloud.io&content=v", contentType: "application/x-www-form-urlencoded", status: 400, code: codeInvalidBody},
		{name: "unknown filter", method: "GET", path: records, params: url.Values{"name.contains": {"acme"}}, status: 400, code: codeValidation},
		{name: "match any", method: "GET", path: records, params: url.Values{"type": {"TXT"}, "match": {"any"}}, status: 400, code: codeValidation},
		{name: "zero per_page", method: "GET", path: "/zones", params: url.Values{"per_page": {"0"}}, status: 400, code: codeValidation},
	} {
		t.Run(c.name, func(t *testing.T) {
			headers := map[string]string{"Authorization": "Bearer " + testToken}
			if c.contentType != "" {
				headers["Content-Type"] = c.contentType
			}
			a := r.callWith(c.method, c.path, c.params, c.body, headers)
			if a.Status != c.status || a.Success || len(a.Errors) != 1 || a.Errors[0].Code != c.code ||
				a.Errors[0].Message == "" || string(a.Result) != "null" || a.ContentType != "application/json" {
				t.Errorf("got %d %s %s, want %d with code %d", a.Status, a.ContentType, a.Raw, c.status, c.code)
			}
		})
	}
	if recs, _ := r.store.list(zid, recordFilter{}); len(recs) != 1 {
		t.Errorf("records after the errors: %+v", recs)
	}
}

// Listing zones without a name lists them all; page and per_page cut the list as the real API does,
// with a result_info to match; a name is matched whole, whatever its case or trailing dot.
func TestZoneListing(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io", "prod.hoodcloud.io", "Staging.HoodCloud.io.")
	names := func(a cfAnswer) []string {
		var zones []zoneJSON
		a.result(t, &zones)
		var out []string
		for _, z := range zones {
			if z.Status != "active" || z.ID != zoneID(z.Name) {
				t.Errorf("zone %+v", z)
			}
			out = append(out, z.Name)
		}
		return out
	}
	for _, c := range []struct {
		params url.Values
		want   []string
		info   resultInfo
	}{
		{nil, []string{"prod.hoodcloud.io", "staging.hoodcloud.io"}, resultInfo{1, 20, 2, 2, 1}},
		{url.Values{"per_page": {"1"}, "page": {"2"}}, []string{"staging.hoodcloud.io"}, resultInfo{2, 1, 1, 2, 2}},
		{url.Values{"per_page": {"1"}, "page": {"3"}}, nil, resultInfo{3, 1, 0, 2, 2}},
		{url.Values{"name": {"Prod.HoodCloud.io."}, "per_page": {"1"}}, []string{"prod.hoodcloud.io"}, resultInfo{1, 1, 1, 1, 1}},
		{url.Values{"name": {"hoodcloud.io"}, "per_page": {"1"}}, nil, resultInfo{1, 1, 0, 0, 0}},
		{url.Values{"name": {"io"}, "status": {"active"}}, nil, resultInfo{1, 20, 0, 0, 0}},
		{url.Values{"status": {"pending"}}, nil, resultInfo{1, 20, 0, 0, 0}},
	} {
		a := r.call("GET", "/zones", c.params, "")
		if d := cmp.Diff(c.want, names(a)); d != "" {
			t.Errorf("%v: zones (-want +got):\n%s", c.params, d)
		}
		if a.ResultInfo == nil || *a.ResultInfo != c.info {
			t.Errorf("%v: result_info %+v, want %+v", c.params, a.ResultInfo, c.info)
		}
		if !strings.Contains(a.Raw, `"result":[`) {
			t.Errorf("%v: result is not a list: %s", c.params, a.Raw)
		}
	}
}

// The record list filters by each of type, name and content alone, and lists everything without them.
func TestRecordFilters(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io")
	zid := zoneID("staging.hoodcloud.io")
	a := r.addTXT(zid, "_acme-challenge.a.staging.hoodcloud.io", "one")
	b := r.addTXT(zid, "_acme-challenge.b.staging.hoodcloud.io", "one")
	c := r.addTXT(zid, "_acme-challenge.b.staging.hoodcloud.io", "two")
	ids := func(params url.Values) []string {
		var recs []recordJSON
		r.call("GET", "/zones/"+zid+"/dns_records", params, "").result(t, &recs)
		var out []string
		for _, rec := range recs {
			out = append(out, rec.ID)
		}
		return out
	}
	for _, tc := range []struct {
		params url.Values
		want   []string
	}{
		{nil, []string{a.ID, b.ID, c.ID}},
		{url.Values{"type": {"txt"}}, []string{a.ID, b.ID, c.ID}},
		{url.Values{"type": {"A"}}, nil},
		{url.Values{"name": {"_ACME-challenge.b.staging.hoodcloud.io"}}, []string{b.ID, c.ID}},
		{url.Values{"content": {"one"}}, []string{a.ID, b.ID}},
		{url.Values{"name": {"_acme-challenge.b.staging.hoodcloud.io"}, "content": {"two"}, "match": {"all"}}, []string{c.ID}},
		{url.Values{"content": {"one"}, "per_page": {"1"}, "page": {"2"}}, []string{b.ID}},
	} {
		if d := cmp.Diff(tc.want, ids(tc.params)); d != "" {
			t.Errorf("%v (-want +got):\n%s", tc.params, d)
		}
	}
}

// A missing TTL is Cloudflare's automatic 1 in the API, and served as defaultTTL.
func TestMissingTTLIsAutomatic(t *testing.T) {
	r := newRehearsal(t, "staging.hoodcloud.io")
	var rec recordJSON
	r.call("POST", "/zones/"+zoneID("staging.hoodcloud.io")+"/dns_records", nil,
		`{"type": "TXT", "name": "auto.staging.hoodcloud.io", "content": "v"}`).result(t, &rec)
	if rec.TTL != 1 {
		t.Errorf("ttl %d, want 1", rec.TTL)
	}
	m, _ := queryUDP(t, r.dnsUDP, "auto.staging.hoodcloud.io.", dnsmessage.TypeTXT, 0)
	if len(m.Answers) != 1 || m.Answers[0].Header.TTL != defaultTTL {
		t.Errorf("answers %+v", m.Answers)
	}
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	return cmp.Equal(x, y)
}
