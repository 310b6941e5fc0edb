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
	cfg *config.Config
	// provider returns the config bag of a provider namespace.
	provider func(namespace string) *config.Config
	// isSecret reports whether a fully qualified key is encrypted in the stack configuration.
	isSecret func(key string) bool
	errs     []error
	read     []string
}

func newReader(ctx *pulumi.Context) *reader {
	return &reader{
		cfg:      config.New(ctx, Namespace),
		provider: func(ns string) *config.Config { return config.New(ctx, ns) },
		isSecret: ctx.IsConfigSecret,
	}
}

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

// requiredSecret reads a secret that must be set, encrypted (Pulumi.yaml marks it `secret: true`).
func (r *reader) requiredSecret(key string) pulumi.StringOutput {
	v, ok := r.optionalSecret(key)
	if !ok {
		r.fail(key, "a secret (set it with `pulumi config set --secret "+key+" …`)", "nothing")
	}
	return v
}

// optionalSecret reads a secret whose empty default means "not used". A value that is set must be
// encrypted in the stack file: a plaintext secret is refused rather than silently accepted.
func (r *reader) optionalSecret(key string) (pulumi.StringOutput, bool) {
	r.read = append(r.read, key)
	raw, err := r.cfg.Try(key)
	if err != nil || raw == "" {
		return pulumi.String("").ToStringOutput(), false
	}
	if r.isSecret != nil && !r.isSecret(Namespace+":"+key) {
		r.fail(key, "an encrypted value (pulumi config set --secret "+key+" …)", "a plaintext value")
	}
	v, err := r.cfg.TrySecret(key)
	if err != nil {
		return pulumi.String("").ToStringOutput(), false
	}
	return v, true
}

// providerSecret reads a provider's secret setting (hcloud:token), which the platform also needs at run
// time (the control plane provisions nodes with it). Provider keys are not declared in Pulumi.yaml.
// The shape check gets the plaintext (decrypted config) and must never put it in its message.
func (r *reader) providerSecret(namespace, key string, shape func(plaintext string) (expected, found string)) pulumi.StringOutput {
	v, err := r.provider(namespace).TrySecret(key)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s:%s: expected a secret (pulumi config set --secret %s:%s …), found nothing",
			namespace, key, namespace, key))
		return pulumi.String("").ToStringOutput()
	}
	if raw, err := r.provider(namespace).Try(key); err == nil && shape != nil {
		if expected, found := shape(raw); expected != "" {
			r.errs = append(r.errs, fmt.Errorf("%s:%s: expected %s, found %s", namespace, key, expected, found))
		}
	}
	if r.isSecret != nil && !r.isSecret(namespace+":"+key) {
		r.errs = append(r.errs, fmt.Errorf("%s:%s: expected an encrypted value (pulumi config set --secret %s:%s …), found a plaintext value",
			namespace, key, namespace, key))
	}
	return v
}

// providerString reads a provider's plain setting (aws:region).
func (r *reader) providerString(namespace, key string) string {
	v, err := r.provider(namespace).Try(key)
	if err != nil || v == "" {
		r.errs = append(r.errs, fmt.Errorf("%s:%s: expected a value (pulumi config set %s:%s …), found nothing",
			namespace, key, namespace, key))
	}
	return v
}

func (r *reader) err() error { return errors.Join(r.errs...) }
