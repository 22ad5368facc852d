#!/usr/bin/env bash
# The Debian packages the virtual Pi needs on the host (deploy/test-boot.sh and deploy/vpi/build-base.sh):
# QEMU for the guest, qemu-user and mmdebstrap for the base card, the card and partition tools, ssh
# and curl to reach the guest, kmod (depmod for the Trixie base's modules, natively). Installs only those missing. Run as root.
set -euo pipefail
packages=(qemu-system-arm qemu-user-static qemu-utils mmdebstrap arch-test dosfstools mtools fdisk e2fsprogs cpio
  openssh-client curl kmod)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "vpi packages: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
