#!/usr/bin/env bash
# The virtual Pi's privacy button (test overlay, called by deploy/vpi/overlay.sh on the mounted root):
# QEMU's virt board wires its power button to PL061 line 3 (a "gpio-key" device that holds the line
# high for 100 ms on QMP system_powerdown; vm_press_button in vm.sh). The guest kernel's gpio-keys
# driver would hold that line as KEY_POWER, and logind would power off on it: the overlay keeps the
# driver (a module in Debian's kernel, loaded by udev from the device tree) out, so the line is
# free, and maps picamd's privacy button to it. The line idles low (the virt board sets the PL061's
# pull-downs), so the button is active high.
# Usage (as root): overlay-button.sh ROOT   (ROOT: the card's mounted root filesystem)
set -euo pipefail

ROOT=${1:?usage: overlay-button.sh ROOT}
LINE=3

install -d "$ROOT/etc/modprobe.d"
printf '# Virtual Pi (test overlay): PL061 line %s is picamd'"'"'s privacy button, not the power key.\nblacklist gpio_keys\n' \
  "$LINE" > "$ROOT/etc/modprobe.d/vpi-button.conf"
node -e "
  const fs = require('fs'), f = process.argv[1], c = JSON.parse(fs.readFileSync(f, 'utf8'));
  c.gpio.privacy = { pin: $LINE, mode: 'button', activeLow: false };
  fs.writeFileSync(f, JSON.stringify(c, null, 2) + '\\n');" "$ROOT/etc/picamd/config.json"
