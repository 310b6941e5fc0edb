package nats

import (
	"crypto/sha512"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// DefaultIssuedAt is the iat of every JWT the component issues: 2025-01-01T00:00:00Z.
//
// jwt/v2's Encode stamps iat with the wall clock and derives the jti from it, so two runs would give two
// different JWTs, a changed nats.conf and a restarted server on every `pulumi up`. The JWTs here carry no
// expiry and the MEMORY resolver never compares iats, so a fixed iat loses nothing; it changes only with
// the program (Args.IssuedAt), never with the time of the run.
const DefaultIssuedAt int64 = 1735689600

// encodeJWT encodes claims signed by kp exactly as jwt/v2 does (same header, same claim JSON, same jti
// rule, same signature input), except that iat is the given fixed value. Ed25519 signatures are
// deterministic, so equal claims and keys give byte-identical tokens.
//
// The library's own Encode runs first, for everything it checks and normalises (subject and issuer
// prefixes, claim type, library version, sorted imports and exports); its clock-stamped token is dropped.
func encodeJWT(claims jwt.Claims, kp nkeys.KeyPair, iat int64) (string, error) {
	if _, err := claims.Encode(kp); err != nil {
		return "", err
	}
	data := claims.Claims()
	data.IssuedAt = iat
	// jti: base32 (no padding) of SHA-512/256 over the JSON of the claims data with an empty jti, as the
	// library computes it (ClaimsData.hash).
	data.ID = ""
	raw, err := json.Marshal(data)
	if err != nil {
		return "", err
	}
	sum := sha512.Sum512_256(raw)
	data.ID = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])

	header, err := json.Marshal(jwt.Header{Type: jwt.TokenTypeJwt, Algorithm: jwt.AlgorithmNkey})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	toSign := b64(header) + "." + b64(payload)
	sig, err := kp.Sign([]byte(toSign))
	if err != nil {
		return "", fmt.Errorf("sign %s JWT: %w", claims.ClaimType(), err)
	}
	return toSign + "." + b64(sig), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
