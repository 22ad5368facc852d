#!/usr/bin/env bash
# The virtual Pi's overlay for the update check (deploy/vpi/check-update.sh), run by overlay.sh on
# the mounted root of the card:
#   - a throw-away Ed25519 key in VM_DIR/update (made once, like the SSH key): its public half goes
#     into the installed release's keys/ beside the release key, so the card takes update files
#     the test signs (the release key's private half is not on CI machines);
#   - the updater's trial limits for emulation: picamd's start and its camera's first frame take
#     10-20 times longer than on a Pi Zero 2 W (picamd-update.service's drop-in; the unit and the
#     updater are otherwise the image's own).
# Usage (as root): deploy/vpi/overlay-update.sh VM_DIR ROOT   (ROOT: the card's mounted root)
set -euo pipefail

VM_DIR=${1:?usage: overlay-update.sh VM_DIR ROOT}
M=${2:?}
KEY_DIR=$VM_DIR/update
mkdir -p "$KEY_DIR"
if [[ ! -f $KEY_DIR/signing.pem ]]; then
  openssl genpkey -algorithm ed25519 -out "$KEY_DIR/signing.pem.tmp" 2>/dev/null
  mv "$KEY_DIR/signing.pem.tmp" "$KEY_DIR/signing.pem"
fi
openssl pkey -in "$KEY_DIR/signing.pem" -pubout -out "$KEY_DIR/public.pem"
# current is a relative link (releases/<version>) inside the card's /opt/picamd.
current=$(readlink "$M/opt/picamd/current") || { echo "overlay-update: no /opt/picamd/current on the card" >&2; exit 1; }
[[ -d $M/opt/picamd/$current/keys ]] || { echo "overlay-update: no keys/ in /opt/picamd/$current" >&2; exit 1; }
install -m 644 "$KEY_DIR/public.pem" "$M/opt/picamd/$current/keys/vpi-test-update.pem"
mkdir -p "$M/etc/systemd/system/picamd-update.service.d"
# picamd.service gets TimeoutStartSec=300 from overlay.sh, and the camera 120 s to its first frame:
# the trial waits for both.
printf '[Service]\nEnvironment=PICAMD_TRIAL_READY_SECONDS=480\n' > "$M/etc/systemd/system/picamd-update.service.d/vpi-emulation.conf"
