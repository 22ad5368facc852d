#!/bin/sh
# Turns on the operating system's security updates on a picamd image, once, at its first boot with
# a network (picamd-os-updates.service, which deploy/image/build-image.sh enables; install.sh does
# not: it leaves how an existing system updates itself alone). The image cannot get the package
# while it is built (no dpkg runs for the arm64 image on the build machine), so the device installs
# Debian's unattended-upgrades itself, with picamd's configuration (deploy/apt/, docs/install.md):
# the configuration first, so the package is never there without it, then the package through
# apt-get, which waits for apt's own lock (the apt-daily timers may hold it) and retries downloads.
# A failure (no network yet, a mirror down) exits non-zero; the unit tries again later. Done once:
# /var/lib/picamd-os-updates/installed.
# Environment (tests): PICAMD_ROOT (a prefix for the files), PICAMD_APT_GET, PICAMD_DPKG_QUERY.
set -eu

ROOT=${PICAMD_ROOT:-}
APT_GET=${PICAMD_APT_GET:-apt-get}
DPKG_QUERY=${PICAMD_DPKG_QUERY:-dpkg-query}
SRC=$ROOT/opt/picamd/current/deploy/apt/52picamd-unattended-upgrades
CONF=$ROOT/etc/apt/apt.conf.d/52picamd-unattended-upgrades
DONE=$ROOT/var/lib/picamd-os-updates/installed
# apt-get waits this long for the dpkg lock (DPkg::Lock::Timeout, apt 1.9.11+) instead of failing at once.
APT_OPTS='-q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3'

log() { printf 'picamd-os-updates: %s\n' "$*" >&2; }

[ -f "$SRC" ] || { log "no $SRC in the running release"; exit 1; }
mkdir -p "$(dirname "$CONF")"
cp "$SRC" "$CONF.tmp"
chmod 644 "$CONF.tmp"
mv -f "$CONF.tmp" "$CONF"

if "$DPKG_QUERY" -W -f='${Status}' unattended-upgrades 2>/dev/null | grep -q ' ok installed$'; then
  log "unattended-upgrades is installed; configured with $CONF"
else
  log "installing unattended-upgrades"
  # shellcheck disable=SC2086 # APT_OPTS is a list of options.
  "$APT_GET" $APT_OPTS update || { log "apt-get update failed (no network yet?); trying again later"; exit 1; }
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive "$APT_GET" $APT_OPTS -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    install -y --no-install-recommends unattended-upgrades || { log "installing unattended-upgrades failed; trying again later"; exit 1; }
  log "installed unattended-upgrades; configured with $CONF"
fi
mkdir -p "$(dirname "$DONE")"
date -u +%Y-%m-%dT%H:%M:%SZ > "$DONE.tmp"
mv -f "$DONE.tmp" "$DONE"
