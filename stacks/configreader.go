package stacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// reader reads raw config values with the non-panicking Try getters and turns every problem into a message
// that names the key, what was expected and what was found. It records the keys it read so a test can
// check them against the keys Pulumi.yaml declares.
type reader struct {
	cfg  *config.Config
	errs []error
	read []string
}

func newReader(cfg *config.Config) *reader { return &reader{cfg: cfg} }

func (r *reader) fail(key, expected, found string) {
	r.errs = append(r.errs, fmt.Errorf("%s:%s: expected %s, found %s", Namespace, key, expected, found))
}

func (r *reader) raw(key string) (string, bool) {
	r.read = append(r.read, key)
	v, err := r.cfg.Try(key)
	if err != nil {
		return "", false
	}
	return v, true
}

// str reads a required string.
func (r *reader) str(key string) string {
	v, ok := r.raw(key)
	if !ok {
		r.fail(key, "a value (declared in Pulumi.yaml; set it with `pulumi config set "+key+"`)", "nothing")
	}
	return v
}

// optStr reads a string whose empty value means "derive it": fallback is used then.
func (r *reader) optStr(key, fallback string) string {
	v, _ := r.raw(key)
	if v == "" {
		return fallback
	}
	return v
}

func (r *reader) strs(key string) []string {
	v, ok := r.raw(key)
	if !ok {
		r.fail(key, "a list of strings", "nothing")
		return nil
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		r.fail(key, "a list of strings", strconv.Quote(v))
	}
	return out
}

func (r *reader) boolean(key string) bool {
	v, ok := r.raw(key)
	if !ok {
		r.fail(key, "true or false", "nothing")
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(key, "true or false", strconv.Quote(v))
	}
	return b
}

func (r *reader) integer(key string) int {
	v, ok := r.raw(key)
	if !ok {
		r.fail(key, "a whole number", "nothing")
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(key, "a whole number", strconv.Quote(v))
	}
	return n
}

// secret reads a secret string; an absent key yields ok=false (the caller decides whether it is required).
func (r *reader) secret(key string) (pulumi.StringOutput, bool) {
	r.read = append(r.read, key)
	if _, err := r.cfg.Try(key); err != nil {
		return pulumi.StringOutput{}, false
	}
	v, err := r.cfg.TrySecret(key)
	if err != nil {
		return pulumi.StringOutput{}, false
	}
	return v, true
}

func (r *reader) err() error { return errors.Join(r.errs...) }
