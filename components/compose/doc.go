// Package compose deploys one HoodCloud application bundle (a directory of compose files and configs) to
// one host over SSH, in the order the guide requires: images pulled, data services up and healthy, then
// cmd/migrate, and only if it succeeds the application services, then the Service Health Matrix. A
// failed migration leaves the running application containers exactly as they were.
//
// The bundle is checked at preview time, in pure Go with the compose-go loader: a bundle that publishes a
// port the Port Reference marks Loopback on anything but 127.0.0.1, or publishes on a public address a
// port the firewall does not open for its role, is refused before anything is deployed.
//
// The bundle travels as one deterministic tar stream (with the rendered .env and a generated override)
// on the upload step's stdin, so content hashes are the only triggers: the deploy re-runs exactly when
// the bundle, the .env or an extra hash (a rotated certificate) changes, and a no-op `pulumi up` runs
// nothing. The override labels each service with the hash of the files it mounts, so `up` recreates
// exactly the services whose configuration or certificates changed. The .env holds no secrets: services
// read them from files under /opt/hoodcloud/secrets/ or from Vault.
package compose
