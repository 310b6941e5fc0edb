#!/usr/bin/env bash
# Builds the rehearsal's server image: a Debian bookworm root file system from debootstrap (no image can be
# pulled here), as close to Hetzner's ubuntu-24.04 as Debian allows, with systemd as PID 1 (through
# rehearsal-init), sshd, a Docker Engine, cloud-init reading a NoCloud seed, and the packages the host
# baseline installs already in place. What Ubuntu has and Debian lacks, the image provides:
# docker-compose-v2 is a local package carrying the Compose v2 plugin this repository builds. apt inside
# the server reads only a local, file-based archive, so the baseline's `apt-get update` works offline.
#
# Usage: build.sh IMAGE_REPOSITORY COMPOSE_PLUGIN   (prints the image reference; cached by content)
set -euo pipefail

repo=$1
plugin=$2
here=$(cd "$(dirname "$0")" && pwd)
suite=bookworm

key=$(cat "$here/build.sh" "$here/rehearsal-init" "$here"/files/* "$plugin" | sha256sum | cut -c1-16)
image="$repo:$key"
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

# The host's own Debian archive; its address stays on this machine.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
if [ -z "$mirror" ]; then
  mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
fi
if [ -z "$mirror" ]; then
  echo "hostimage: no Debian archive configured on this machine (debian.sources or sources.list)" >&2
  exit 1
fi

work=$(mktemp -d /var/tmp/hoodcloud-hostimage.XXXXXX)
root="$work/rootfs"
# Never delete through a mount: debootstrap and the chroot mount /proc (and debootstrap /sys) inside root.
cleanup() {
  local m
  for m in proc sys dev/pts dev; do
    umount -R "$root/$m" 2>/dev/null || true
  done
  # grep reads all of findmnt's output (no -q): leaving early could kill findmnt and, under pipefail,
  # answer "no mounts" for a tree that still has some.
  if findmnt -R --noheadings --output TARGET | grep "^$root" >/dev/null; then
    echo "hostimage: $root still has mounts; left in place, not deleted" >&2
    return
  fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

packages=(
  systemd systemd-sysv dbus openssh-server docker.io iptables ca-certificates iproute2 procps
  cloud-init curl openssl unattended-upgrades locales python3
)
# What the program's steps install with apt-get later (components/nats: certbot and its Cloudflare plugin)
# is not installed here but offered, with its dependencies, by the image's local archive: servers here have
# no internet, and the step's own `apt-get update` and `apt-get install` run as on a real server.
offered=(certbot python3-certbot-dns-cloudflare)
# A bare minbase first, then apt inside it: debootstrap's own dependency order fails to configure
# cloud-init's Python dependencies when they are --include'd.
echo "hostimage: debootstrap $suite" >&2
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}
mount -t proc proc "$root/proc"
# No service starts inside the build's chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
echo "hostimage: installing ${#packages[@]} packages" >&2
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}" >"$work/apt.log" 2>&1 || {
  tail -n 30 "$work/apt.log" >&2
  exit 1
}
echo "hostimage: downloading ${offered[*]} for the local archive" >&2
chroot "$root" apt-get clean
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --download-only "${offered[@]}" >"$work/apt-offered.log" 2>&1 || {
  tail -n 30 "$work/apt-offered.log" >&2
  exit 1
}
rm -f "$root/usr/sbin/policy-rc.d"
# Ubuntu's images carry the en_US.UTF-8 locale that cloud-init's locale module sets.
sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' "$root/etc/locale.gen"
chroot "$root" locale-gen >/dev/null
umount "$root/proc"

# Ubuntu's docker-compose-v2, as a local package: the Compose v2 plugin in Docker's plugin directory.
pkg="$work/docker-compose-v2"
install -d "$pkg/DEBIAN" "$pkg/usr/libexec/docker/cli-plugins"
install -m 0755 "$plugin" "$pkg/usr/libexec/docker/cli-plugins/docker-compose"
install -m 0644 "$here/files/docker-compose-v2.control" "$pkg/DEBIAN/control"
archive="$root/var/lib/hoodcloud-rehearsal/apt"
install -d "$archive"
dpkg-deb --root-owner-group --build "$pkg" "$archive/docker-compose-v2.deb" >/dev/null
mv "$root"/var/cache/apt/archives/*.deb "$archive/"
(cd "$archive" && dpkg-scanpackages --multiversion . /dev/null >Packages)
chroot "$root" dpkg -i /var/lib/hoodcloud-rehearsal/apt/docker-compose-v2.deb >/dev/null

# apt reads only the local archive; debootstrap's sources (this machine's mirror) go.
rm -f "$root/etc/apt/sources.list"
install -m 0644 "$here/files/rehearsal.list" "$root/etc/apt/sources.list.d/rehearsal.list"
install -m 0644 "$here/files/90-rehearsal.cfg" "$root/etc/cloud/cloud.cfg.d/90-rehearsal.cfg"
install -m 0644 "$here/files/default-docker" "$root/etc/default/docker"
install -m 0755 "$here/rehearsal-init" "$root/usr/local/sbin/rehearsal-init"
# A server's identity comes from its user data (cloud-init), never from the image.
rm -f "$root"/etc/ssh/ssh_host_* "$root/etc/machine-id"
: >"$root/etc/machine-id"
# Units that have no place in a container.
for unit in getty@tty1.service serial-getty@.service systemd-remount-fs.service apt-daily.timer apt-daily-upgrade.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
# A server's logs start with its boot (the rehearsal reads apt's history to see what the program installed).
rm -f "$root"/var/log/apt/* "$root"/var/log/dpkg.log

echo "hostimage: importing $image" >&2
tar -C "$root" -c . | docker import \
  -c 'ENV container=docker' \
  -c 'CMD ["/usr/local/sbin/rehearsal-init"]' \
  - "$image" >/dev/null
echo "$image"
