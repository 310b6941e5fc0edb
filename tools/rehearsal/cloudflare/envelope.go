package main

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Cloudflare error codes the stand-in answers with. python-cloudflare raises CloudFlareAPIError with
// the first error's code, and certbot's plugin looks at some of them (9109 gets a hint about the token),
// so the codes are the ones the real API uses for the same situation.
const (
	codeValidation     = 1004  // DNS Validation Error
	codeNoRoute        = 7000  // No route for that URI
	codeInvalidID      = 7003  // Could not route to ..., perhaps your object identifier is invalid?
	codeInvalidToken   = 9109  // Invalid access token
	codeInvalidBody    = 9207  // Request body is invalid.
	codeRecordNotFound = 81044 // Record does not exist.
	codeIdentical      = 81058 // An identical record already exists.
)

// envelope is the shape of every Cloudflare v4 answer. python-cloudflare only looks at success, errors
// and result, and returns result to certbot; result_info is there for lists, as in the real API.
type envelope struct {
	Success    bool        `json:"success"`
	Errors     []apiError  `json:"errors"`
	Messages   []string    `json:"messages"`
	Result     any         `json:"result"`
	ResultInfo *resultInfo `json:"result_info,omitempty"`
}

type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type resultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
	TotalPages int `json:"total_pages"`
}

// reply is what a handler decided: the HTTP status, the envelope, and a short note for the log line.
type reply struct {
	status int
	body   envelope
	note   string
}

func success(result any, note string) reply {
	return reply{status: 200, body: envelope{Success: true, Errors: []apiError{}, Messages: []string{}, Result: result}, note: note}
}

func failure(status, code int, message string) reply {
	return reply{
		status: status,
		body:   envelope{Errors: []apiError{{Code: code, Message: message}}, Messages: []string{}},
		note:   fmt.Sprintf("error %d: %s", code, message),
	}
}

// page cuts one page out of a list, as the API's page and per_page parameters do (certbot asks for
// per_page=1 and takes the first item).
func page[T any](items []T, q url.Values, defaultPerPage int) ([]T, *resultInfo, error) {
	num, err := positiveParam(q, "page", 1)
	if err != nil {
		return nil, nil, err
	}
	per, err := positiveParam(q, "per_page", defaultPerPage)
	if err != nil {
		return nil, nil, err
	}
	per = min(per, 5000)
	start := min((num-1)*per, len(items))
	end := min(start+per, len(items))
	out := items[start:end]
	return out, &resultInfo{Page: num, PerPage: per, Count: len(out), TotalCount: len(items), TotalPages: (len(items) + per - 1) / per}, nil
}

func positiveParam(q url.Values, name string, def int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s must be a positive integer, got %q", name, s)
	}
	return n, nil
}

// zoneJSON is a zone as the API lists it; certbot reads only id.
type zoneJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Paused bool   `json:"paused"`
	Type   string `json:"type"`
}

func (z zone) json() zoneJSON {
	return zoneJSON{ID: z.ID, Name: z.Name, Status: "active", Type: "full"}
}

// recordJSON is a DNS record as the API returns it; certbot reads only id.
type recordJSON struct {
	ID         string `json:"id"`
	ZoneID     string `json:"zone_id"`
	ZoneName   string `json:"zone_name"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Content    string `json:"content"`
	Proxiable  bool   `json:"proxiable"`
	Proxied    bool   `json:"proxied"`
	TTL        int    `json:"ttl"`
	CreatedOn  string `json:"created_on"`
	ModifiedOn string `json:"modified_on"`
}

func (r record) json() recordJSON {
	at := r.Created.Format(time.RFC3339Nano)
	return recordJSON{ID: r.ID, ZoneID: r.ZoneID, ZoneName: r.ZoneName, Name: r.Name, Type: r.Type,
		Content: r.Content, TTL: r.TTL, CreatedOn: at, ModifiedOn: at}
}
