#!/usr/bin/env bash
# CI for the flash-and-boot packaging (issue 5). Run as root from the repository, after npm ci:
#   bash deploy/ci-packaging.sh
# 1. installs the Debian packages it needs (only those missing);
# 2. builds the arm64 release bundle and its update file, signed with a throw-away key (npm run bundle);
# 3. runs the packaging tests: bundle contents (runtime dependencies only; every native file needs
#    at most Bookworm's glibc 2.36 and GLIBCXX_3.4.30), the systemd unit (verify, exposure score)
#    and the installer against scratch trees (node:test, CI=true so nothing is skipped);
# 4. runs the bundled picamd under qemu-user and streams from it (deploy/test-arm64.sh);
# 5. installs the real bundle into a scratch root and verifies the installed unit, then uninstalls;
# 6. runs the unit under a real systemd in a container with the simulated camera
#    (deploy/test-systemd.sh: sandbox, READY, watchdog restart, stop, exit 78), then updates there
#    (deploy/test-update.sh: commit, rollbacks, a tampered file, kills while unpacking and on trial);
# 7. builds an SD-card image from a synthetic Raspberry Pi OS image and checks it (loop devices);
# 8. builds the card from a Raspberry Pi OS-like Debian base and boots it whole under
#    qemu-system-aarch64 (deploy/test-boot.sh: first boot, login, stream, reboot, power cuts).
# Prints the time each step took. Exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
export CI=${CI:-true}
export DEBIAN_FRONTEND=noninteractive

t_all=$(date +%s)
timings=()
step() {
  local name=$1 t
  shift
  printf '\n=== %s\n' "$name"
  t=$(date +%s)
  "$@"
  timings+=("$(printf '%4d s  %s' $(($(date +%s) - t)) "$name")")
}

install_packages() {
  local packages=(qemu-user-static g++-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-arm64-cross
    libstdc++6-arm64-cross dosfstools mtools fdisk e2fsprogs xz-utils openssl systemd systemd-container curl
    network-manager) # nmcli --offline: the setup file's Wi-Fi keyfile is compared with NetworkManager's own
  command -v python3 >/dev/null || packages+=(python3)
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "all present"
  fi
}

bundle() {
  [[ -d node_modules ]] || npm ci --no-audit --no-fund
  [[ -f dist/main.js ]] || npm run --silent build # deploy/test-systemd.sh runs the built dist/
  # A throw-away signing key, so the update file is made and checked too (its public half lands in
  # this bundle's keys/, which only CI installs).
  local key rc=0
  key=$(mktemp -d /tmp/picamd-ci-key.XXXXXX)
  openssl genpkey -algorithm ed25519 -out "$key/signing.pem"
  PICAMD_SIGNING_KEY=$key/signing.pem npm run --silent bundle || rc=$?
  rm -rf "$key"
  return "$rc"
}

node_tests() {
  node --import tsx --test test/deploy/*.test.ts test/platform/systemd-notify.test.ts
}

# The real bundle through its installer into a scratch root, the config check run by the bundled
# arm64 node under qemu; then systemd-analyze verify on the unit as installed there.
install_real_bundle() {
  local work root version app rc=0
  work=$(mktemp -d /tmp/picamd-ci-install.XXXXXX)
  version=$(node -p "require('./package.json').version")
  tar -xzf "release/picamd-$version-linux-arm64.tar.gz" -C "$work"
  app=$work/picamd-$version
  root=$work/root
  mkdir -p "$root"/{var/lib/dpkg/info,proc/device-tree,etc/avahi,usr/bin,boot/firmware,etc/systemd/system}
  : > "$root/var/lib/dpkg/info/libc6:arm64.list"
  printf 'Raspberry Pi Zero 2 W Rev 1.0\0' > "$root/proc/device-tree/model"
  printf 'ID=debian\nVERSION_CODENAME=bookworm\n' > "$root/etc/os-release"
  printf '#!/bin/sh\n' > "$root/usr/bin/rpicam-vid" && chmod 755 "$root/usr/bin/rpicam-vid"
  printf 'camera_auto_detect=1\n[all]\n' > "$root/boot/firmware/config.txt"
  cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/" 2>/dev/null || { mkdir -p "$root/usr/lib/systemd" && cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"; }
  printf '#!/bin/sh\nexec qemu-aarch64-static -L /usr/aarch64-linux-gnu "%s/node/bin/node" "$@"\n' "$app" > "$work/node"
  chmod +x "$work/node"
  {
    PICAMD_NODE=$work/node bash "$app/install.sh" --root "$root" \
      && systemd-analyze --root="$root" verify picamd.service picamd-update.service picamd-update.path \
      && echo "installed unit verifies in the installed layout" \
      && bash "$app/install.sh" --root "$root" --uninstall \
      && [[ ! -e $root/opt/picamd && -f $root/etc/picamd/config.json ]]
  } || rc=$?
  rm -rf "$work"
  return "$rc"
}

exposure() {
  systemd-analyze security --offline=yes --no-pager systemd/picamd.service | tail -n1
  systemd-analyze security --offline=yes --no-pager systemd/picamd-update.service | tail -n1
}

step "Debian packages" install_packages
step "bundle (npm run bundle)" bundle
step "packaging tests (node:test)" node_tests
step "arm64 bundle under qemu-user (deploy/test-arm64.sh)" bash deploy/test-arm64.sh
step "real bundle into a scratch root (install.sh --root)" install_real_bundle
step "systemd-analyze security" exposure
step "unit under a real systemd (deploy/test-systemd.sh)" bash deploy/test-systemd.sh
step "updates under a real systemd (deploy/test-update.sh)" bash deploy/test-update.sh
step "SD-card image (deploy/image/test-image.sh)" bash deploy/image/test-image.sh

printf '\n=== packaging CI timings\n'
printf '%s\n' "${timings[@]}"
printf '%4d s  total\n' $(($(date +%s) - t_all))
echo "$REPO: packaging CI passed"
