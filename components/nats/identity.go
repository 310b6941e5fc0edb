package nats

import (
	"fmt"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// Names inside the JWTs. The control plane and the payment service know the accounts by public key
// (NATS_CTRL_ACCOUNT_PUB), not by name; the names are for operators reading `nsc describe` or server logs.
const (
	OperatorName      = "hoodcloud"
	SystemAccountName = "SYS"
	CtrlAccountName   = "CTRL"
	PaymentUserName   = "payment-service"
)

// KeyPEMs are the PKCS#8 PEM private keys of the five Ed25519 tls.PrivateKey resources.
type KeyPEMs struct {
	Operator, System, Ctrl, CtrlSigning, Payment string
}

// IdentityParams are the plain settings of the JWTs.
type IdentityParams struct {
	// IssuedAt is every JWT's iat (unix seconds); see DefaultIssuedAt.
	IssuedAt int64
	// PaymentPublish and PaymentSubscribe restrict the payment service's user to these subjects; empty
	// leaves that direction unrestricted within the CTRL account.
	PaymentPublish, PaymentSubscribe []string
}

// Identity is everything derived from the five keys. Only CtrlSigningSeed and PaymentCreds are secret;
// public keys and JWTs are public by design (the server's config carries them in plaintext).
type Identity struct {
	OperatorPublicKey, OperatorJWT           string
	SystemAccountPublicKey, SystemAccountJWT string
	CtrlAccountPublicKey, CtrlAccountJWT     string
	CtrlSigningPublicKey                     string
	PaymentUserPublicKey, PaymentUserJWT     string

	// CtrlSigningSeed is the CTRL signing key's seed (SA…): the control plane issues users with it.
	CtrlSigningSeed string
	// PaymentCreds is the payment service's .creds file (user JWT and user seed).
	PaymentCreds string
}

// BuildIdentity derives the operator, the SYS and CTRL accounts, CTRL's signing key and the payment user
// from the keys. It is a pure function: equal keys and params give byte-identical results.
//
// Chain: the operator signs itself and both accounts; the operator JWT names SYS as the system account;
// CTRL lists its signing key and has JetStream enabled without limits; the payment user is issued by the
// signing key on behalf of CTRL (issuer_account), so rotating the signing key never touches CTRL's identity.
func BuildIdentity(keys KeyPEMs, p IdentityParams) (*Identity, error) {
	pair := func(what string, prefix nkeys.PrefixByte, pemText string) (nkeys.KeyPair, string, error) {
		kp, err := KeyPairFromPKCS8(prefix, pemText)
		if err != nil {
			return nil, "", fmt.Errorf("%s key: %w", what, err)
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return nil, "", fmt.Errorf("%s key: %w", what, err)
		}
		return kp, pub, nil
	}
	op, opPub, err := pair("operator", operatorKey.Prefix, keys.Operator)
	if err != nil {
		return nil, err
	}
	// The SYS and CTRL accounts' own keys sign nothing here (the operator signs both JWTs): their public
	// keys are their identities.
	_, sysPub, err := pair("SYS account", systemKey.Prefix, keys.System)
	if err != nil {
		return nil, err
	}
	_, ctrlPub, err := pair("CTRL account", ctrlKey.Prefix, keys.Ctrl)
	if err != nil {
		return nil, err
	}
	signing, signingPub, err := pair("CTRL signing", ctrlSigningKey.Prefix, keys.CtrlSigning)
	if err != nil {
		return nil, err
	}
	user, userPub, err := pair("payment user", paymentKey.Prefix, keys.Payment)
	if err != nil {
		return nil, err
	}

	id := &Identity{OperatorPublicKey: opPub, SystemAccountPublicKey: sysPub, CtrlAccountPublicKey: ctrlPub,
		CtrlSigningPublicKey: signingPub, PaymentUserPublicKey: userPub}

	oc := jwt.NewOperatorClaims(opPub)
	oc.Name = OperatorName
	oc.SystemAccount = sysPub
	if id.OperatorJWT, err = encodeJWT(oc, op, p.IssuedAt); err != nil {
		return nil, fmt.Errorf("operator JWT: %w", err)
	}

	sc := jwt.NewAccountClaims(sysPub)
	sc.Name = SystemAccountName
	if id.SystemAccountJWT, err = encodeJWT(sc, op, p.IssuedAt); err != nil {
		return nil, fmt.Errorf("SYS account JWT: %w", err)
	}

	cc := jwt.NewAccountClaims(ctrlPub)
	cc.Name = CtrlAccountName
	cc.SigningKeys.Add(signingPub)
	cc.Limits.JetStreamLimits = jwt.JetStreamLimits{
		MemoryStorage: jwt.NoLimit, DiskStorage: jwt.NoLimit, Streams: jwt.NoLimit, Consumer: jwt.NoLimit,
	}
	if id.CtrlAccountJWT, err = encodeJWT(cc, op, p.IssuedAt); err != nil {
		return nil, fmt.Errorf("CTRL account JWT: %w", err)
	}

	uc := jwt.NewUserClaims(userPub)
	uc.Name = PaymentUserName
	uc.IssuerAccount = ctrlPub
	uc.Pub.Allow.Add(p.PaymentPublish...)
	uc.Sub.Allow.Add(p.PaymentSubscribe...)
	if id.PaymentUserJWT, err = encodeJWT(uc, signing, p.IssuedAt); err != nil {
		return nil, fmt.Errorf("payment user JWT: %w", err)
	}

	seed, err := signing.Seed()
	if err != nil {
		return nil, fmt.Errorf("CTRL signing key: %w", err)
	}
	id.CtrlSigningSeed = string(seed)
	userSeed, err := user.Seed()
	if err != nil {
		return nil, fmt.Errorf("payment user key: %w", err)
	}
	creds, err := jwt.FormatUserConfig(id.PaymentUserJWT, userSeed)
	if err != nil {
		return nil, fmt.Errorf("payment creds: %w", err)
	}
	id.PaymentCreds = string(creds)
	return id, nil
}
