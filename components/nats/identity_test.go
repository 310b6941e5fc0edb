package nats

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base32"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// fixtureKeyPEM is a PKCS#8 PEM Ed25519 key derived from a label, as the tls provider would return one.
func fixtureKeyPEM(t testing.TB, label string) string {
	t.Helper()
	seed := sha256.Sum256([]byte("hoodcloud nats fixture " + label))
	der, err := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func fixtureKeys(t testing.TB) KeyPEMs {
	return KeyPEMs{Operator: fixtureKeyPEM(t, "operator"), System: fixtureKeyPEM(t, "sys"),
		Ctrl: fixtureKeyPEM(t, "ctrl"), CtrlSigning: fixtureKeyPEM(t, "signing"), Payment: fixtureKeyPEM(t, "payment")}
}

func fixtureIdentity(t testing.TB) *Identity {
	t.Helper()
	id, err := BuildIdentity(fixtureKeys(t), IdentityParams{IssuedAt: DefaultIssuedAt})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestNkeysDeriveFromTheEd25519Seed(t *testing.T) {
	pemText := fixtureKeyPEM(t, "operator")
	seed := sha256.Sum256([]byte("hoodcloud nats fixture operator"))
	raw, err := RawSeedFromPKCS8(pemText)
	if err != nil || string(raw) != string(seed[:]) {
		t.Fatalf("raw seed %x, %v; want %x", raw, err, seed)
	}
	for _, r := range keyRoles {
		kp, err := KeyPairFromPKCS8(r.Prefix, pemText)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := kp.PublicKey()
		want, _ := nkeys.Encode(r.Prefix, ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
		if pub != string(want) {
			t.Errorf("%s: public key %s, want %s", r.Suffix, pub, want)
		}
		if _, err := nkeys.FromPublicKey(pub); err != nil {
			t.Errorf("%s: %v", r.Suffix, err)
		}
	}
}

func TestRawSeedRefusesOtherKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	cases := map[string]string{
		"not PEM": "garbage",
		"PKCS#1":  string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})),
		"RSA":     string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"corrupt": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
	}
	for name, in := range cases {
		if _, err := RawSeedFromPKCS8(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestIdentityIsDeterministic(t *testing.T) {
	a, b := fixtureIdentity(t), fixtureIdentity(t)
	if *a != *b {
		t.Fatalf("two builds differ:\n%+v\n%+v", a, b)
	}
	// A different key changes exactly what it should.
	k := fixtureKeys(t)
	k.Payment = fixtureKeyPEM(t, "payment-2")
	c, err := BuildIdentity(k, IdentityParams{IssuedAt: DefaultIssuedAt})
	if err != nil {
		t.Fatal(err)
	}
	if c.OperatorJWT != a.OperatorJWT || c.CtrlAccountJWT != a.CtrlAccountJWT || c.PaymentUserJWT == a.PaymentUserJWT {
		t.Errorf("a new payment key must change the user JWT only")
	}
}

func TestJWTsValidateAndChain(t *testing.T) {
	id := fixtureIdentity(t)

	op, err := jwt.DecodeOperatorClaims(id.OperatorJWT)
	if err != nil {
		t.Fatalf("operator JWT: %v", err)
	}
	sys, err := jwt.DecodeAccountClaims(id.SystemAccountJWT)
	if err != nil {
		t.Fatalf("SYS JWT: %v", err)
	}
	ctrl, err := jwt.DecodeAccountClaims(id.CtrlAccountJWT)
	if err != nil {
		t.Fatalf("CTRL JWT: %v", err)
	}
	user, err := jwt.DecodeUserClaims(id.PaymentUserJWT)
	if err != nil {
		t.Fatalf("user JWT: %v", err)
	}
	for name, c := range map[string]jwt.Claims{"operator": op, "SYS": sys, "CTRL": ctrl, "user": user} {
		vr := jwt.CreateValidationResults()
		c.Validate(vr)
		if vr.IsBlocking(true) {
			t.Errorf("%s claims do not validate: %v", name, vr.Errors())
		}
		if got := c.Claims().IssuedAt; got != DefaultIssuedAt {
			t.Errorf("%s iat %d, want %d", name, got, DefaultIssuedAt)
		}
		if c.Claims().ID == "" {
			t.Errorf("%s has no jti", name)
		}
	}

	if op.Subject != id.OperatorPublicKey || op.Issuer != id.OperatorPublicKey || !nkeys.IsValidPublicOperatorKey(op.Subject) {
		t.Errorf("operator must be self-signed by an operator key: sub %s iss %s", op.Subject, op.Issuer)
	}
	if op.SystemAccount != id.SystemAccountPublicKey {
		t.Errorf("operator's system_account %s, want SYS %s", op.SystemAccount, id.SystemAccountPublicKey)
	}
	for name, ac := range map[string]*jwt.AccountClaims{"SYS": sys, "CTRL": ctrl} {
		if ac.Issuer != id.OperatorPublicKey || !op.DidSign(ac) {
			t.Errorf("%s account must be issued by the operator, issuer %s", name, ac.Issuer)
		}
	}
	if sys.Subject != id.SystemAccountPublicKey || ctrl.Subject != id.CtrlAccountPublicKey {
		t.Errorf("account subjects %s %s", sys.Subject, ctrl.Subject)
	}
	if !ctrl.SigningKeys.Contains(id.CtrlSigningPublicKey) || len(ctrl.SigningKeys) != 1 {
		t.Errorf("CTRL signing keys %v, want exactly %s", ctrl.SigningKeys.Keys(), id.CtrlSigningPublicKey)
	}
	if !ctrl.Limits.IsJSEnabled() {
		t.Errorf("JetStream is not enabled for CTRL")
	}
	if sys.Limits.IsJSEnabled() {
		t.Errorf("JetStream must stay off in the system account")
	}
	if user.Issuer != id.CtrlSigningPublicKey || user.IssuerAccount != id.CtrlAccountPublicKey {
		t.Errorf("user issuer %s account %s; want signing key %s on behalf of CTRL %s",
			user.Issuer, user.IssuerAccount, id.CtrlSigningPublicKey, id.CtrlAccountPublicKey)
	}
	if !ctrl.DidSign(user) || sys.DidSign(user) {
		t.Errorf("the user must verify against CTRL (and only CTRL)")
	}
	if user.Subject != id.PaymentUserPublicKey || user.Name != PaymentUserName {
		t.Errorf("user subject %s name %s", user.Subject, user.Name)
	}
}

func TestPaymentCredsAndSigningSeed(t *testing.T) {
	id := fixtureIdentity(t)
	gotJWT, err := jwt.ParseDecoratedJWT([]byte(id.PaymentCreds))
	if err != nil || gotJWT != id.PaymentUserJWT {
		t.Fatalf("creds JWT %q, %v", gotJWT, err)
	}
	kp, err := nkeys.ParseDecoratedUserNKey([]byte(id.PaymentCreds))
	if err != nil {
		t.Fatal(err)
	}
	if pub, _ := kp.PublicKey(); pub != id.PaymentUserPublicKey {
		t.Errorf("creds seed belongs to %s, want %s", pub, id.PaymentUserPublicKey)
	}
	signer, err := nkeys.FromSeed([]byte(id.CtrlSigningSeed))
	if err != nil || !strings.HasPrefix(id.CtrlSigningSeed, "SA") {
		t.Fatalf("signing seed: %v", err)
	}
	if pub, _ := signer.PublicKey(); pub != id.CtrlSigningPublicKey {
		t.Errorf("signing seed belongs to %s, want %s", pub, id.CtrlSigningPublicKey)
	}
	// The control plane issues users with the seed from Vault: CTRL accepts them.
	ukp, _ := nkeys.CreateUser()
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.IssuerAccount = id.CtrlAccountPublicKey
	tok, err := uc.Encode(signer)
	if err != nil {
		t.Fatal(err)
	}
	issued, err := jwt.DecodeUserClaims(tok)
	if err != nil {
		t.Fatal(err)
	}
	ctrl, _ := jwt.DecodeAccountClaims(id.CtrlAccountJWT)
	if !ctrl.DidSign(issued) {
		t.Errorf("a user issued with the signing seed is not accepted by CTRL")
	}
}

func TestPaymentPermissions(t *testing.T) {
	id, err := BuildIdentity(fixtureKeys(t), IdentityParams{IssuedAt: DefaultIssuedAt,
		PaymentPublish: []string{"payments.events.>"}, PaymentSubscribe: []string{"_INBOX.>"}})
	if err != nil {
		t.Fatal(err)
	}
	user, err := jwt.DecodeUserClaims(id.PaymentUserJWT)
	if err != nil {
		t.Fatal(err)
	}
	if !user.Pub.Allow.Contains("payments.events.>") || len(user.Pub.Allow) != 1 ||
		!user.Sub.Allow.Contains("_INBOX.>") || len(user.Sub.Allow) != 1 {
		t.Errorf("permissions pub %v sub %v", user.Pub.Allow, user.Sub.Allow)
	}
	if unrestricted, _ := jwt.DecodeUserClaims(fixtureIdentity(t).PaymentUserJWT); len(unrestricted.Pub.Allow) != 0 {
		t.Errorf("default user is restricted: %v", unrestricted.Pub.Allow)
	}
}

// TestEncoderMatchesTheLibrary proves that encodeJWT differs from jwt/v2's Encode only in iat (and the jti
// that hashes it): same header bytes, same claims, same jti rule, a signature jwt/v2 verifies.
func TestEncoderMatchesTheLibrary(t *testing.T) {
	op, err := KeyPairFromPKCS8(nkeys.PrefixByteOperator, fixtureKeyPEM(t, "operator"))
	if err != nil {
		t.Fatal(err)
	}
	acct, _ := KeyPairFromPKCS8(nkeys.PrefixByteAccount, fixtureKeyPEM(t, "ctrl"))
	acctPub, _ := acct.PublicKey()
	signingPub := "ADUCWDMAFLBORCKNL3O4ZC34MGBBZKSQJGHFFSFOMKB2NDV7LXR6MQ3N"
	claims := func() *jwt.AccountClaims {
		c := jwt.NewAccountClaims(acctPub)
		c.Name = "CTRL"
		c.SigningKeys.Add(signingPub)
		c.Exports = jwt.Exports{&jwt.Export{Subject: "b.>", Type: jwt.Stream}, &jwt.Export{Subject: "a.>", Type: jwt.Service}}
		return c
	}
	lib, err := claims().Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := encodeJWT(claims(), op, 1234567890)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := encodeJWT(claims(), op, 1234567890)
	if ours != again {
		t.Fatalf("two encodings differ:\n%s\n%s", ours, again)
	}
	if strings.Split(lib, ".")[0] != strings.Split(ours, ".")[0] {
		t.Errorf("headers differ")
	}
	libC, err := jwt.DecodeAccountClaims(lib)
	if err != nil {
		t.Fatal(err)
	}
	ourC, err := jwt.DecodeAccountClaims(ours)
	if err != nil {
		t.Fatalf("jwt/v2 does not accept our encoding: %v", err)
	}
	if ourC.IssuedAt != 1234567890 {
		t.Errorf("iat %d", ourC.IssuedAt)
	}
	if got, want := jti(t, ourC.ClaimsData), ourC.ID; got != want {
		t.Errorf("our jti %s, recomputed %s", want, got)
	}
	if got, want := jti(t, libC.ClaimsData), libC.ID; got != want {
		t.Errorf("the library's jti %s is not the rule we copied (%s)", want, got)
	}
	libC.IssuedAt, libC.ID = ourC.IssuedAt, ourC.ID
	a, _ := json.Marshal(libC)
	b, _ := json.Marshal(ourC)
	if string(a) != string(b) {
		t.Errorf("claims differ beyond iat/jti:\nlibrary %s\nours    %s", a, b)
	}
	// A tampered payload or signature is refused.
	parts := strings.Split(ours, ".")
	if _, err := jwt.DecodeAccountClaims(parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))); err == nil {
		t.Errorf("a forged signature was accepted")
	}
	// The library's checks run first: a user key cannot issue a user JWT, an account JWT needs an account
	// subject.
	userKP, _ := KeyPairFromPKCS8(nkeys.PrefixByteUser, fixtureKeyPEM(t, "payment"))
	userPub, _ := userKP.PublicKey()
	if tok, err := encodeJWT(jwt.NewUserClaims(userPub), userKP, 1); err == nil {
		t.Errorf("a user key issued a user JWT: %s", tok)
	}
	if tok, err := encodeJWT(jwt.NewAccountClaims(userPub), op, 1); err == nil {
		t.Errorf("an account JWT with a user subject was encoded: %s", tok)
	}
}

func jti(t *testing.T, c jwt.ClaimsData) string {
	t.Helper()
	c.ID = ""
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512_256(raw)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])
}
