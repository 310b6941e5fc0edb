// Package nats sets up the control plane's NATS server (guide 2.5b, "NATS TLS Certificate Renewal" and the
// troubleshooting entry for "authorization violation"), which the manual runbook did with nats-jwt-setup
// and certbot by hand.
//
// Identity (operator mode). The server trusts one operator; its accounts are SYS (the system account) and
// CTRL (the control plane's account, JetStream enabled). CTRL has a signing key: the control plane issues
// user JWTs with it at run time (its seed is an output that the Vault layer stores as
// nats_ctrl_signing_seed), and the payment service's .creds are issued with it here. Every nkey is derived
// from the 32-byte seed of an Ed25519 tls.PrivateKey resource, and every JWT is encoded with a fixed iat,
// so a no-op `pulumi up` reproduces byte-identical JWTs and configuration: keys live in state like any
// other resource, and nothing in the program is random or reads the clock.
//
// The server's configuration (nats.conf) holds only public material: the operator JWT, the account JWTs
// preloaded into a MEMORY resolver, the system account, TLS file paths, JetStream. It is an output for the
// compose deploy to ship, and so is its operator-mode part alone (resolver.conf) for a bundle whose own
// nats.conf includes it; the payment .creds and the signing seed are secret outputs. NATS has a single
// client listener: 4223 is a second published port onto it (ports.go says why).
//
// TLS (Let's Encrypt via certbot DNS-01 on Cloudflare). Remote steps on the control-plane host install
// certbot and its Cloudflare plugin, a Vault-backed renewal wrapper, a deploy hook and a systemd drop-in;
// then they obtain the first certificate for nats.<domain> with the Cloudflare token passed on stdin. The
// certbot.timer keeps running twice daily, but its service now runs the wrapper: it logs in to Vault with
// the certbot AppRole, reads secret/infra/certbot/cloudflare, writes the token to a 0600 temporary file
// removed on every exit path, and runs `certbot renew`. When a certificate is renewed the deploy hook copies
// it into /opt/hoodcloud/secrets/nats/ and sends SIGHUP to the NATS container, which reloads TLS without
// dropping connections.
package nats
