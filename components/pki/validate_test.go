package pki_test

import (
	"strings"
	"testing"

	"github.com/hoodcloud/infra/components/pki"
)

func TestValidateAcceptsTheFixtureAndDefaults(t *testing.T) {
	if err := fixtureArgs().Validate(); err != nil {
		t.Fatal(err)
	}
}

// Every problem is reported at once, each naming its key, what was expected and what was found.
func TestValidateListsEveryProblem(t *testing.T) {
	args := &pki.Args{
		Domain:            "Not A Domain",
		LeafValidityHours: 100,
		RenewBeforeHours:  100,
		CAValidityHours:   -1,
	}
	err := args.Validate()
	if err == nil {
		t.Fatal("invalid arguments accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		`hoodcloud:domain: expected a DNS domain such as hoodcloud.io, found "Not A Domain"`,
		"hoodcloud:topology: expected the addresses of the server hosting the Vault role, found none",
		"hoodcloud:topology: expected the addresses of the server hosting the payment role, found none",
		"hoodcloud:topology: expected the addresses of the server hosting the control plane role, found none",
		"hoodcloud:pkiCaValidityHours: expected a positive number of hours (or 0 for the default), found -1",
		"hoodcloud:pkiRenewBeforeHours: expected fewer hours than the leaf validity (100), found 100",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != 6 {
		t.Errorf("%d problems reported, want 6:\n%s", n, msg)
	}
}

func TestValidateRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*pki.Args)
		want   string
	}{
		"empty domain":           {func(a *pki.Args) { a.Domain = "" }, `hoodcloud:domain: expected a DNS domain such as hoodcloud.io, found "" (empty)`},
		"single label":           {func(a *pki.Args) { a.Domain = "localhost" }, "needs at least two labels"},
		"renew beyond default":   {func(a *pki.Args) { a.RenewBeforeHours = 2160 }, "hoodcloud:pkiRenewBeforeHours: expected fewer hours than the leaf validity (2160), found 2160"},
		"negative leaf validity": {func(a *pki.Args) { a.LeafValidityHours = -5 }, "hoodcloud:pkiLeafValidityHours: expected a positive number"},
		"CA shorter than leaf":   {func(a *pki.Args) { a.CAValidityHours = 2000 }, "hoodcloud:pkiCaValidityHours: expected more hours than the leaf validity (2160)"},
		"missing payment IPs":    {func(a *pki.Args) { a.PaymentIPs = nil }, "hosting the payment role"},
	} {
		t.Run(name, func(t *testing.T) {
			args := fixtureArgs()
			tc.mutate(args)
			err := args.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	var nilArgs *pki.Args
	if nilArgs.Validate() == nil {
		t.Error("nil arguments accepted")
	}
}

// New validates before registering anything, and names the component in the error.
func TestNewRefusesInvalidArgsBeforeRegistering(t *testing.T) {
	args := fixtureArgs()
	args.Domain = ""
	rec, err := runErr(args)
	if err == nil || !strings.Contains(err.Error(), pki.TypeToken+` "pki"`) || !strings.Contains(err.Error(), "hoodcloud:domain") {
		t.Fatalf("got %v, want the wrapped validation error", err)
	}
	if regs := rec.Registrations(); len(regs) != 0 {
		t.Errorf("registered %d resources despite invalid arguments", len(regs))
	}
}
