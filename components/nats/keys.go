package nats

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/nats-io/nkeys"
)

// keyRole is one nkey of the setup: the tls.PrivateKey resource it comes from and the nkey prefix it gets.
// An nkey is an Ed25519 key with a type prefix, so the seed of an Ed25519 key from the tls provider is an
// nkey seed as it is: the key lives in state, and the same state gives the same nkey on every run.
type keyRole struct {
	Suffix string // resource name suffix: name+"-"+Suffix
	Prefix nkeys.PrefixByte
}

// The five keys, in the fixed order the program reads them.
var (
	operatorKey    = keyRole{"operator-nkey", nkeys.PrefixByteOperator}
	systemKey      = keyRole{"sys-account-nkey", nkeys.PrefixByteAccount}
	ctrlKey        = keyRole{"ctrl-account-nkey", nkeys.PrefixByteAccount}
	ctrlSigningKey = keyRole{"ctrl-signing-nkey", nkeys.PrefixByteAccount}
	paymentKey     = keyRole{"payment-user-nkey", nkeys.PrefixByteUser}

	keyRoles = []keyRole{operatorKey, systemKey, ctrlKey, ctrlSigningKey, paymentKey}
)

// RawSeedFromPKCS8 returns the 32-byte Ed25519 seed inside a PKCS#8 PEM private key (the tls provider's
// private_key_pem_pkcs8 of an ED25519 key). It never puts key material in an error.
func RawSeedFromPKCS8(pemText string) ([]byte, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("expected a PKCS#8 PEM block (PRIVATE KEY)")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse PKCS#8 private key: %w", err)
	}
	ed, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("expected an ED25519 key, found %T", key)
	}
	return ed.Seed(), nil
}

// KeyPairFromPKCS8 derives the nkey of the given type (operator, account, user) from an Ed25519 PKCS#8 PEM.
func KeyPairFromPKCS8(prefix nkeys.PrefixByte, pemText string) (nkeys.KeyPair, error) {
	seed, err := RawSeedFromPKCS8(pemText)
	if err != nil {
		return nil, err
	}
	return nkeys.FromRawSeed(prefix, seed)
}
