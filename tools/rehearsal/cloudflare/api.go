package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// apiBase is where python-cloudflare puts every call (its BASE_URL is
// https://api.cloudflare.com/client/v4).
const apiBase = "/client/v4"

// maxBody bounds a request body; a TXT record is a few hundred bytes of JSON.
const maxBody = 64 << 10

// api is the HTTP handler standing in for the part of the Cloudflare v4 API that certbot's
// dns-cloudflare plugin calls: find the zone, create a TXT record, find it again by content, delete it.
type api struct {
	store *store
	token string
	log   *slog.Logger
}

// ServeHTTP answers every request with Cloudflare's JSON envelope (python-cloudflare only parses the body
// when the Content-Type is application/json) and logs it on one line, without the Authorization header.
func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := a.handle(r)
	body, err := json.Marshal(rep.body)
	if err != nil {
		rep = failure(http.StatusInternalServerError, 0, err.Error())
		body, _ = json.Marshal(rep.body)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	w.Write(body)
	a.log.Info("api", "from", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery,
		"status", rep.status, "result", rep.note)
}

// handle authenticates, then routes by method and path. Anything certbot does not call is a 404, so a
// rehearsal that starts depending on more of the API fails here rather than against the real one.
func (a *api) handle(r *http.Request) reply {
	if !a.authorized(r) {
		return failure(http.StatusForbidden, codeInvalidToken, "Invalid access token")
	}
	rest, ok := strings.CutPrefix(r.URL.Path, apiBase+"/")
	parts := strings.Split(rest, "/")
	q := r.URL.Query()
	switch {
	case !ok || parts[0] != "zones": // not an endpoint of the stand-in: the 404 below
	case len(parts) == 1 && r.Method == http.MethodGet:
		return a.listZones(q)
	case len(parts) == 3 && parts[2] == "dns_records" && r.Method == http.MethodGet:
		return a.listRecords(parts[1], q)
	case len(parts) == 3 && parts[2] == "dns_records" && r.Method == http.MethodPost:
		return a.createRecord(parts[1], r)
	case len(parts) == 4 && parts[2] == "dns_records" && r.Method == http.MethodDelete:
		return a.deleteRecord(parts[1], parts[3])
	}
	return failure(http.StatusNotFound, codeNoRoute, fmt.Sprintf("No route for that URI: %s %s", r.Method, r.URL.Path))
}

// authorized accepts only "Authorization: Bearer <token>", which is what python-cloudflare sends for an
// API token (certbot's dns_cloudflare_api_token); the global-key headers are refused like a wrong token.
func (a *api) authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(a.token)) == 1
}

// listZones is GET /zones. certbot asks with name=<guess>&per_page=1 for each suffix of the domain
// and takes the first non-empty answer, so an unknown name must be an empty list, not an error.
func (a *api) listZones(q url.Values) reply {
	if err := knownParams(q, "name", "status", "page", "per_page", "order", "direction", "match"); err != nil {
		return failure(http.StatusBadRequest, codeValidation, err.Error())
	}
	zones := a.store.zonesNamed(q.Get("name"))
	if s := q.Get("status"); s != "" && s != "active" {
		zones = nil // every zone here is active
	}
	out := make([]zoneJSON, 0, len(zones))
	for _, z := range zones {
		out = append(out, z.json())
	}
	return paged(out, q, 20, fmt.Sprintf("%d zone(s) named %q", len(out), q.Get("name")))
}

// listRecords is GET /zones/<id>/dns_records; certbot filters by type, name and content to find the ID
// of the record it created.
func (a *api) listRecords(zoneID string, q url.Values) reply {
	if err := knownParams(q, "type", "name", "content", "page", "per_page", "order", "direction", "match"); err != nil {
		return failure(http.StatusBadRequest, codeValidation, err.Error())
	}
	recs, err := a.store.list(zoneID, recordFilter{Type: q.Get("type"), Name: q.Get("name"), Content: q.Get("content")})
	if err != nil {
		return storeFailure(zoneID, err)
	}
	out := make([]recordJSON, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.json())
	}
	return paged(out, q, 100, fmt.Sprintf("%d record(s)", len(out)))
}

// createRecord is POST /zones/<id>/dns_records with the JSON body python-cloudflare sends for certbot:
// {"type":"TXT","name":"_acme-challenge.<domain>","content":"<validation>","ttl":120}.
func (a *api) createRecord(zoneID string, r *http.Request) reply {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return failure(http.StatusBadRequest, codeInvalidBody, "Request body is invalid: Content-Type must be application/json")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return failure(http.StatusBadRequest, codeInvalidBody, "Request body is invalid: unreadable or too large")
	}
	var in struct {
		Type    string `json:"type"`
		Name    string `json:"name"`
		Content string `json:"content"`
		TTL     *int   `json:"ttl"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return failure(http.StatusBadRequest, codeInvalidBody, "Request body is invalid: "+err.Error())
	}
	rec, err := newTXT(in.Type, in.Name, in.Content, in.TTL)
	if err != nil {
		return failure(http.StatusBadRequest, codeValidation, "DNS Validation Error: "+err.Error())
	}
	rec, err = a.store.create(zoneID, rec)
	if err != nil {
		return storeFailure(zoneID, err)
	}
	return success(rec.json(), fmt.Sprintf("created %s %s %q ttl=%d id=%s", rec.Type, rec.Name, rec.Content, rec.TTL, rec.ID))
}

// deleteRecord is DELETE /zones/<id>/dns_records/<record id>; the result is {"id": <record id>}.
func (a *api) deleteRecord(zoneID, id string) reply {
	rec, err := a.store.remove(zoneID, id)
	if err != nil {
		return storeFailure(zoneID, err)
	}
	return success(map[string]string{"id": rec.ID}, fmt.Sprintf("deleted %s %s %q id=%s", rec.Type, rec.Name, rec.Content, rec.ID))
}

// newTXT validates a record the way Cloudflare would for what certbot sends. Only TXT is accepted: it is
// the only type the DNS side serves, and accepting others would let a rehearsal pass on records that
// resolve nowhere. A missing TTL is Cloudflare's 1 ("automatic").
func newTXT(typ, name, content string, ttl *int) (record, error) {
	if !strings.EqualFold(typ, "TXT") {
		return record{}, fmt.Errorf("type %q is not supported by the stand-in (only TXT)", typ)
	}
	name = canonicalName(name)
	if err := checkName(name); err != nil {
		return record{}, err
	}
	if content == "" {
		return record{}, errors.New("content is empty")
	}
	if len(content) > 2048 {
		return record{}, errors.New("content is longer than 2048 characters")
	}
	t := 1
	if ttl != nil {
		t = *ttl
	}
	if t != 1 && (t < 30 || t > 86400) {
		return record{}, fmt.Errorf("ttl %d must be 1 (automatic) or between 30 and 86400", t)
	}
	return record{Type: "TXT", Name: name, Content: content, TTL: t}, nil
}

// storeFailure maps the store's errors to the statuses and codes Cloudflare uses.
func storeFailure(zoneID string, err error) reply {
	switch {
	case errors.Is(err, errNoZone):
		return failure(http.StatusNotFound, codeInvalidID,
			fmt.Sprintf("Could not route to /zones/%s, perhaps your object identifier is invalid?", zoneID))
	case errors.Is(err, errOutsideZone):
		return failure(http.StatusBadRequest, codeValidation, "DNS Validation Error: "+err.Error())
	case errors.Is(err, errIdentical):
		return failure(http.StatusBadRequest, codeIdentical, "An identical record already exists.")
	case errors.Is(err, errNoRecord):
		return failure(http.StatusNotFound, codeRecordNotFound, "Record does not exist.")
	}
	return failure(http.StatusInternalServerError, 0, err.Error())
}

// paged answers a list with its result_info.
func paged[T any](items []T, q url.Values, defaultPerPage int, note string) reply {
	out, info, err := page(items, q, defaultPerPage)
	if err != nil {
		return failure(http.StatusBadRequest, codeValidation, err.Error())
	}
	rep := success(out, note)
	rep.body.ResultInfo = info
	return rep
}

// knownParams refuses query parameters the stand-in does not implement, so that a filter it would
// silently ignore cannot make a list look like an answer. match=any is refused for the same reason; the
// order parameters are accepted because the stand-in's order (creation) is stable anyway.
func knownParams(q url.Values, known ...string) error {
	for k := range q {
		if !slices.Contains(known, k) {
			return fmt.Errorf("query parameter %q is not supported by the stand-in", k)
		}
	}
	if m := q.Get("match"); m != "" && m != "all" {
		return fmt.Errorf("match=%q is not supported by the stand-in (only all)", m)
	}
	return nil
}
