#!/usr/bin/env bash
# The virtual Pi's test overlay: copies a picamd card image and adds what only the test needs, so
# the image itself stays exactly what deploy/image/build-image.sh made:
#   - SSH for root with the throw-away key in VM_DIR/ssh (the test's way in; vm_run in vm.sh),
#     and a fixed host key;
#   - longer time limits for emulation (10-20 times slower than a Pi Zero 2 W);
#   - the status LED and the privacy button on QEMU's PL061 GPIO chip (vpi-gpio.service,
#     overlay-button.sh);
#   - a throw-away update key and the trial's limits (overlay-update.sh, for check-update.sh).
#   - a WPA2 access point on a simulated radio for the card to join (overlay-wifi.sh).
# Usage (as root): deploy/vpi/overlay.sh VM_DIR IMAGE CARD   (PICAMD_VPI_LED_LINE: the LED's PL061 line, 0)
set -euo pipefail

VM_DIR=${1:?usage: overlay.sh VM_DIR IMAGE CARD}
IMAGE=${2:?}
CARD=${3:?}
LED_LINE=${PICAMD_VPI_LED_LINE:-0}
M=$(mktemp -d /tmp/picamd-vpi-overlay.XXXXXX)
LOOP=''
cleanup() {
  mountpoint -q "$M" 2>/dev/null && umount "$M"
  [[ -n $LOOP ]] && losetup -d "$LOOP" 2>/dev/null
  rmdir "$M"
}
trap cleanup EXIT

read -r ROOT_OFF ROOT_LEN < <(sfdisk -J "$IMAGE" | node -e "
  const p = JSON.parse(require('fs').readFileSync(0, 'utf8')).partitiontable.partitions;
  console.log(p[1].start * 512, p[1].size * 512);")
mkdir -p "$VM_DIR/ssh"
[[ -f $VM_DIR/ssh/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C picamd-vpi -f "$VM_DIR/ssh/id_ed25519"
[[ -f $VM_DIR/ssh/host_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C picamd-vpi-host -f "$VM_DIR/ssh/host_ed25519"
cp --sparse=always "$IMAGE" "$CARD"
LOOP=$(losetup --find --show --offset "$ROOT_OFF" --sizelimit "$ROOT_LEN" "$CARD")
mount -t ext4 "$LOOP" "$M"
install -d -m 700 "$M/root/.ssh"
install -m 600 "$VM_DIR/ssh/id_ed25519.pub" "$M/root/.ssh/authorized_keys"
install -m 600 "$VM_DIR/ssh/host_ed25519" "$M/etc/ssh/ssh_host_ed25519_key"
install -m 644 "$VM_DIR/ssh/host_ed25519.pub" "$M/etc/ssh/ssh_host_ed25519_key.pub"
ln -sf /lib/systemd/system/ssh.service "$M/etc/systemd/system/multi-user.target.wants/ssh.service"
# Emulation is 10-20 times slower than a Pi Zero 2 W: the simulated camera takes 10-20 s to its
# first frame (Node's start and the pre-rendered pictures), the setup's scrypt a minute. Only the
# time limits change; the units and the config are otherwise the image's own.
node -e "
  const fs = require('fs'), f = process.argv[1], c = JSON.parse(fs.readFileSync(f, 'utf8'));
  Object.assign(c.camera, { startTimeoutMs: 120000, stallTimeoutMs: 30000 });
  c.gpio = { enabled: true, sysfsRoot: '/run/vpi-gpio', led: { pin: $LED_LINE }, privacy: null };
  fs.writeFileSync(f, JSON.stringify(c, null, 2) + '\\n');" "$M/etc/picamd/config.json"
# GPIO: QEMU virt's PL061 controller is a real kernel GPIO chip with sysfs, but not labelled as a
# Pi's header chip, which is how picamd finds the header. A unit of the overlay shows picamd's
# resolver the PL061 under the Pi 3's label (gpio.sysfsRoot, the setting for exactly this); onoff
# then exports and drives the PL061's own line through the real /sys/class/gpio. The LED goes on
# line $LED_LINE; line 3 is QEMU's power button, which overlay-button.sh gives to picamd's privacy
# button (QMP system_powerdown presses it from outside the guest).
install -d "$M/usr/local/sbin"
cat > "$M/usr/local/sbin/vpi-gpio" <<'SH'
#!/bin/sh
for c in /sys/class/gpio/gpiochip*; do
  [ "$(cat "$c/label")" = 9030000.pl061 ] || continue
  d=/run/vpi-gpio/${c##*/}
  mkdir -p "$d"
  echo pinctrl-bcm2835 > "$d/label"
  cat "$c/base" > "$d/base"
  cat "$c/ngpio" > "$d/ngpio"
done
SH
chmod 755 "$M/usr/local/sbin/vpi-gpio"
cat > "$M/etc/systemd/system/vpi-gpio.service" <<'UNIT'
[Unit]
Description=Virtual Pi (test overlay): QEMU's PL061 GPIO chip under a Pi header chip's label for picamd
Before=picamd.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/vpi-gpio
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/vpi-gpio.service "$M/etc/systemd/system/multi-user.target.wants/vpi-gpio.service"
bash "$(dirname "$0")/overlay-button.sh" "$M" # the privacy button on PL061 line 3
mkdir -p "$M/etc/systemd/system/picamd-setup.service.d" "$M/etc/systemd/system/picamd.service.d" "$M/etc/systemd/system.conf.d"
# On a busy host an emulated udev can take longer than systemd's 90 s to announce the boot
# partition, which would end the boot in emergency mode.
printf '[Manager]\nDefaultDeviceTimeoutSec=600\n' > "$M/etc/systemd/system.conf.d/vpi-emulation.conf"
printf '[Service]\nTimeoutStartSec=600\n' > "$M/etc/systemd/system/picamd-setup.service.d/vpi-emulation.conf"
printf '[Service]\nTimeoutStartSec=300\n' > "$M/etc/systemd/system/picamd.service.d/vpi-emulation.conf"
bash "$(dirname "$0")/overlay-update.sh" "$VM_DIR" "$M" # a throw-away update key, the trial's limits
bash "$(dirname "$0")/overlay-wifi.sh" "$VM_DIR" "$M" # Wi-Fi: an access point in the guest (overlay-wifi.sh)
umount "$M"
losetup -d "$LOOP"; LOOP=''
