#!/usr/bin/env bash
# Builds the virtual Pi's base card: a Raspberry Pi OS Lite (64-bit)-like arm64 image made of
# Debian's packages, laid out as pi-gen lays out the real one, for deploy/image/build-image.sh to
# turn into the picamd image exactly as it does the official one. Every Raspberry Pi OS fact it
# reproduces, and what differs, is listed in deploy/vpi/README.md.
#
# Usage (as root): deploy/vpi/build-base.sh DIR [bookworm|trixie]
#   bookworm   Raspberry Pi OS Lite (64-bit) of the Bookworm releases
#   trixie     the first Trixie release, 2025-10-01: cloud-init installed but without Raspberry Pi's
#              additions (rpi-cloud-init-mods came on 2025-11-24), so Imager still customises it with
#              firstrun.sh; Debian's 6.12 kernel
# Writes into DIR:
#   base.img   MBR card: 1 = FAT32 "bootfs" (config.txt, cmdline.txt; mounted at /boot/firmware),
#              2 = ext4 "rootfs" (Debian arm64: systemd, udev, NetworkManager with wpasupplicant,
#              wireless-tools, wireless-regdb, iw and rfkill, Avahi, OpenSSH server (disabled, as on Raspberry Pi
#              OS), Debian's arm64 kernel and modules,
#              /usr/bin/rpicam-vid running picamd's camera simulator)
#   vmlinuz    Debian's arm64 kernel, given to QEMU from outside (the card has no Pi firmware)
#   initrd     a small busybox initrd built here, with the modules that reach the root
#   kernel-version, cmdline (the kernel command line from the card's cmdline.txt, for QEMU)
# A DIR that already holds base.img is reused as it is (one CI run builds it once); a build into
# the same DIR that is still running is waited for.
# Needs: mmdebstrap, qemu-user-static (binfmt_misc, registered here when missing), dosfstools,
# mtools, e2fsprogs, fdisk, cpio.
set -euo pipefail
export MTOOLS_SKIP_CHECK=1

DIR=${1:?usage: build-base.sh DIR [suite]}
SUITE=${2:-bookworm}
case $SUITE in bookworm | trixie) ;; *) echo "build-base: error: suite $SUITE: bookworm or trixie" >&2; exit 1 ;; esac
MIRROR=${PICAMD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DISK_ID=0x7a3c1e55 # the base's disk identifier: cmdline.txt and fstab name partitions by it (PARTUUID)
BOOT_START=8192    # 4 MiB, pi-gen's alignment
BOOT_SECTORS=262144 # 128 MiB (pi-gen: 512 MiB; smaller keeps the card small)

log() { printf 'build-base: %s\n' "$*"; }
die() { printf 'build-base: error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
# One build per DIR at a time: a second caller (deploy/test-boot.sh while CI still builds the base
# beside it) waits here for the first one, then reuses its card.
exec 9>"$DIR/.lock"
flock 9
if [[ -f $DIR/base.img && -f $DIR/vmlinuz && -f $DIR/initrd ]]; then
  log "reusing $DIR/base.img"
  exit 0
fi
[[ $(id -u) == 0 ]] || die "needs root (mmdebstrap --mode=root)"
for tool in mmdebstrap qemu-aarch64-static mkfs.vfat mcopy mkfs.ext4 sfdisk cpio; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
t0=$(date +%s)

# arm64 maintainer scripts run under qemu-user through binfmt_misc. When this machine has no
# handler of its own (a fresh CI machine), one is registered for this build alone, under a name of
# its own, and removed at the end: the machine is left as found, and two builds at once (a shared
# machine) never remove the handler the other one is using.
MISC=/proc/sys/fs/binfmt_misc
MOUNTED_MISC=0
OWN_HANDLER=''
unregister_binfmt() {
  [[ -n $OWN_HANDLER && -e $MISC/$OWN_HANDLER ]] && echo -1 > "$MISC/$OWN_HANDLER"
  # Unmounted only when no other handler is left: a build that mounted it while another build
  # registered its own handler there would otherwise take that handler away mid-build (seen: the
  # second build's dpkg failed with "Exec format error").
  if ((MOUNTED_MISC)) && [[ -z $(ls "$MISC" | grep -vx -e register -e status) ]]; then umount "$MISC"; fi
  return 0
}
trap unregister_binfmt EXIT
register_binfmt() {
  local misc=$MISC f
  if ! mountpoint -q "$misc"; then
    mount -t binfmt_misc binfmt_misc "$misc" || die "cannot mount binfmt_misc"
    MOUNTED_MISC=1
  fi
  # A handler the machine keeps (qemu-user-static's, or any not made by a build like this one).
  for f in "$misc"/*; do
    case ${f##*/} in register | status | picamd-vpi-build-*) continue ;; esac
    grep -q '^enabled' "$f" && grep -q '^interpreter .*qemu-aarch64' "$f" && return 0
  done
  OWN_HANDLER=picamd-vpi-build-$$
  # The ELF header of an aarch64 executable; F: the interpreter is opened now, so it works in chroots.
  printf '%s' ":$OWN_HANDLER:M::"'\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:FOC' \
    > "$misc/register"
  log "registered qemu-aarch64-static with binfmt_misc as $OWN_HANDLER"
}
register_binfmt

# 1. The root file system. Debian's kernel package would build an initramfs under emulation (40
#    minutes); update-initramfs is diverted to a no-op before it arrives, and the initrd is built
#    on this machine below. Raspberry Pi OS boots without one.
ROOT=$DIR/root
rm -f "$DIR/base.img.tmp"
# Wi-Fi as Raspberry Pi OS Lite has it (README.md): wpasupplicant and wireless-tools (pi-gen
# stage2/02-net-tweaks), wireless-regdb (network-manager's Recommends, which pi-gen installs), iw
# (raspi-config's Recommends, stage1/01-sys-tweaks), rfkill (raspberrypi-sys-mods' Recommends,
# stage2/01-sys-tweaks).
packages=(systemd-sysv udev kmod dbus network-manager avahi-daemon iproute2 procps dosfstools e2fsprogs
  linux-image-arm64 busybox-static openssh-server sudo wpasupplicant wireless-tools wireless-regdb iw rfkill)
# Trixie's images carry cloud-init (pi-gen stage2/04-cloud-init/00-packages).
[[ $SUITE == trixie ]] && packages+=(cloud-init)
# Trixie, lighter to build (deploy/vpi/README.md, Time): every maintainer script runs under
# qemu-user here, and two jobs took most of the build's CPU time without being needed on the card.
# Byte-compiling Python (cloud-init brings Python 3.13 and about 25 Python packages): py3compile,
# which each package's postinst runs, and py_compile.py, which python3.13-minimal's and python3.13's
# postinst run over the standard library, do nothing while the packages are configured and are put
# back after (the stand-in is a comment, a valid script to sh and to Python). .pyc files are only a cache: Python runs from the .py files and, as root (cloud-init),
# writes the cache of what it imports at its first run. And depmod over Debian 13's xz-compressed
# modules: it does nothing in the build, and this machine's depmod indexes the root below, natively.
hooks=()
if [[ $SUITE == trixie ]]; then
  light='/usr/bin/py3compile /usr/lib/python3.13/py_compile.py /usr/sbin/depmod'
  hooks=(--essential-hook="for f in $light; do chroot \"\$1\" dpkg-divert --quiet --local --rename --add \$f && mkdir -p \"\$1\${f%/*}\" && printf '#!/bin/sh\n# build-base.sh: nothing while the base is built\n' > \"\$1\$f\" && chmod 755 \"\$1\$f\" || exit 1; done"
    --customize-hook="for f in $light; do rm -f \"\$1\$f\" && chroot \"\$1\" dpkg-divert --quiet --local --rename --remove \$f || exit 1; done")
  command -v depmod >/dev/null || die "depmod not found (kmod)"
fi
if [[ -f $DIR/root.done ]]; then
  log "reusing the root in $ROOT"
else
rm -rf --one-file-system "$ROOT"
log "mmdebstrap $SUITE arm64: ${packages[*]}"
mmdebstrap --arch=arm64 --variant=minbase --mode=root --format=directory --quiet \
  --aptopt='APT::Install-Recommends "false"' \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && printf "#!/bin/sh\nexit 0\n" > "$1/usr/sbin/update-initramfs" && chmod 755 "$1/usr/sbin/update-initramfs"' \
  "${hooks[@]}" \
  --customize-hook='chroot "$1" apt-get clean' \
  "$SUITE" "$ROOT" "$MIRROR"
if [[ $SUITE == trixie ]]; then
  for kver in "$ROOT"/lib/modules/*; do depmod -b "$ROOT" "${kver##*/}"; done
fi
touch "$DIR/root.done"
log "root built ($(($(date +%s) - t0)) s, $(du -sh "$ROOT" | cut -f1))"
fi

KVER=$(basename "$(ls -d "$ROOT"/lib/modules/*)")
echo "$KVER" > "$DIR/kernel-version"
cp "$ROOT/boot/vmlinuz-$KVER" "$DIR/vmlinuz"

# 2. What Raspberry Pi OS has and Debian's packages do not (README.md lists each with its source).
id=${DISK_ID#0x}
echo raspberrypi > "$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n127.0.1.1\traspberrypi\n' > "$ROOT/etc/hosts"
printf 'proc            /proc           proc    defaults          0       0\nPARTUUID=%s-01  /boot/firmware  vfat    defaults          0       2\nPARTUUID=%s-02  /               ext4    defaults,noatime  0       1\n' "$id" "$id" > "$ROOT/etc/fstab"
mkdir -p "$ROOT/boot/firmware"
# Images built without a Wi-Fi country start with Wi-Fi switched off (pi-gen e86b901e).
mkdir -p "$ROOT/var/lib/NetworkManager"
printf '[main]\nWirelessEnabled=false\n' > "$ROOT/var/lib/NetworkManager/NetworkManager.state"
# Bluetooth is never blocked by systemd-rfkill on the on-board adapters' serial ports (pi-gen
# stage2/02-net-tweaks/01-run.sh; raspberrypi-sys-mods blocks radios until a country is set).
mkdir -p "$ROOT/var/lib/systemd/rfkill"
for addr in 107d50c000.serial 3f215040.serial 20215040.serial fe215040.serial soc; do
  echo 0 > "$ROOT/var/lib/systemd/rfkill/platform-$addr:bluetooth"
done
# The old places of the boot files only say where they went (pi-gen stage1/00-boot-files/00-run.sh).
for file in cmdline.txt config.txt; do
  printf 'DO NOT EDIT THIS FILE\n\nThe file you are looking for has moved to %s\n' "/boot/firmware/$file" > "$ROOT/boot/$file"
done
# The journal lives in RAM only: Bookworm's pi-gen edits journald.conf (13c185cb), Trixie's leaves
# it to a drop-in of raspberrypi-sys-mods (pi-gen 59b16f3b), which is not in Debian.
if [[ $SUITE == trixie ]]; then
  install -d "$ROOT/usr/lib/systemd/journald.conf.d"
  printf '# Virtual Pi: as raspberrypi-sys-mods on Raspberry Pi OS Trixie\n[Journal]\nStorage=volatile\n' \
    > "$ROOT/usr/lib/systemd/journald.conf.d/40-rpi-volatile-storage.conf"
else
  sed -i 's/^#\?Storage=.*/Storage=volatile/' "$ROOT/etc/systemd/journald.conf"
fi
# The image's machine id waits for the first boot: empty on Bookworm, "uninitialized" on Trixie
# (pi-gen export-image/05-finalise/01-run.sh), which systemd reads as a first boot too.
if [[ $SUITE == trixie ]]; then echo uninitialized > "$ROOT/etc/machine-id"; else : > "$ROOT/etc/machine-id"; fi
if [[ $SUITE == trixie ]]; then
  # cloud-init as the 2025-10-01 image has it (pi-gen stage2/04-cloud-init/01-run.sh): NoCloud seeded
  # from the boot partition, which holds no user-data yet, and SSH host keys left to
  # regenerate_ssh_host_keys; netplan hands every device to NetworkManager.
  install -d "$ROOT/etc/cloud/cloud.cfg.d"
  cat > "$ROOT/etc/cloud/cloud.cfg.d/99_raspberry-pi.cfg" <<'CLOUD'
# Virtual Pi: the data source and SSH key settings of Raspberry Pi OS Trixie (2025-10-01).
datasource_list: [ NoCloud, None ]
datasource:
  NoCloud:
    seedfrom: file:///boot/firmware
ssh_deletekeys: false
ssh_genkeytypes: []
CLOUD
  install -d "$ROOT/usr/lib/netplan"
  printf 'network:\n  version: 2\n  renderer: NetworkManager\n' > "$ROOT/usr/lib/netplan/00-network-manager-all.yaml"
  chmod 600 "$ROOT/usr/lib/netplan/00-network-manager-all.yaml"
fi
# The gpio group and its udev rule (raspberrypi-sys-mods: etc.armhf/udev/rules.d/99-com.rules).
chroot "$ROOT" getent group gpio >/dev/null || chroot "$ROOT" groupadd --system gpio
cat > "$ROOT/etc/udev/rules.d/99-com.rules" <<'RULES'
SUBSYSTEM=="gpio", KERNEL=="gpiochip*", ACTION=="add", PROGRAM="/bin/sh -c 'chgrp -R gpio /sys/class/gpio && chmod -R g=u /sys/class/gpio'"
SUBSYSTEM=="gpio", ACTION=="add", PROGRAM="/bin/sh -c 'chgrp -R gpio /sys%p && chmod -R g=u /sys%p'"
RULES
# SSH is off until Imager (or ssh.txt) switches it on.
chroot "$ROOT" systemctl disable --quiet ssh.service 2>/dev/null || rm -f "$ROOT"/etc/systemd/system/multi-user.target.wants/ssh.service
rm -f "$ROOT"/etc/ssh/ssh_host_*
# The camera: no libcamera or rpicam-apps in Debian, so rpicam-vid is picamd's simulator, which takes
# rpicam-vid's options and writes what it writes (docs/camera-settings.md#the-simulated-camera).
cat > "$ROOT/usr/bin/rpicam-vid" <<'SIM'
#!/bin/sh
# Virtual Pi: picamd's camera simulator standing in for rpicam-apps' rpicam-vid.
exec /opt/picamd/current/node/bin/node /opt/picamd/current/dist/sim/camera.js "$@"
SIM
chmod 755 "$ROOT/usr/bin/rpicam-vid"

# 3. The boot partition: what the kernel and firmware read on a Pi, here only read by picamd and
#    by the test (QEMU gives the kernel from outside).
B=$DIR/bootfs
rm -rf "$B" && mkdir -p "$B"
cat > "$B/config.txt" <<'CFG'
# For more options and information see
# http://rptl.io/configtxt
# Some settings may impact device functionality. See link above for details

# Uncomment some or all of these to enable the optional hardware interfaces
#dtparam=i2c_arm=on
#dtparam=i2s=on
#dtparam=spi=on

# Enable audio (loads snd_bcm2835)
dtparam=audio=on

# Automatically load overlays for detected cameras
camera_auto_detect=1

# Automatically load overlays for detected DSI displays
display_auto_detect=1

# Automatically load initramfs files, if found
auto_initramfs=1

# Enable DRM VC4 V3D driver
dtoverlay=vc4-kms-v3d
max_framebuffers=2

# Don't have the firmware create an initial video= setting in cmdline.txt.
# Use the kernel's default instead.
disable_fw_kms_setup=1

# Run in 64-bit mode
arm_64bit=1

# Disable compensation for displays with overscan
disable_overscan=1

# Run as fast as firmware / board allows
arm_boost=1

[cm4]
# Enable host mode on the 2711 built-in XHCI USB controller.
# This line should be removed if the legacy DWC2 controller is required
# (e.g. for USB device mode) or if USB support is not required.
otg_mode=1

[all]
CFG
# Trixie's cmdline.txt ends in "resize", the word rpi-resize's initramfs hook acts on at the first
# boot (not in Debian: here nothing reads it, and the kernel hands it to systemd, which ignores it).
cmdline="console=serial0,115200 console=tty1 root=PARTUUID=$id-02 rootfstype=ext4 fsck.repair=yes rootwait"
[[ $SUITE == trixie ]] && cmdline+=" resize"
echo "$cmdline" > "$B/cmdline.txt"

# 4. The initrd: busybox, and the modules between the kernel and the root file system.
build_initrd() {
  local I=$DIR/initrd.d mods=(virtio_pci virtio_blk crc32c_generic ext4) m dep
  rm -rf "$I" && mkdir -p "$I"/{bin,dev,proc,sys,newroot,lib/modules/"$KVER"}
  cp "$ROOT/bin/busybox" "$I/bin/busybox"
  for a in sh mount umount switch_root insmod modprobe mkdir sleep cat ls; do ln -s busybox "$I/bin/$a"; done
  # Each module with what it depends on (modules.dep), only those not built in.
  local want=() seen=' '
  add() {
    local path
    path=$(awk -F: -v m="$1" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n); if (n == m) { print $1; exit } }' "$ROOT/lib/modules/$KVER/modules.dep")
    [[ -n $path ]] || return 0 # built in
    [[ $seen == *" $path "* ]] && return 0
    seen+="$path "
    for dep in $(awk -F: -v p="$path" '$1 == p { print $2 }' "$ROOT/lib/modules/$KVER/modules.dep"); do
      add "$(basename "$dep" | sed -E 's/\.ko(\.[a-z]+)?$//; s/-/_/g')"
    done
    want+=("$path")
  }
  for m in "${mods[@]}"; do add "$m"; done
  : > "$I/modules"
  for path in "${want[@]}"; do
    mkdir -p "$I/lib/modules/$KVER/$(dirname "$path")"
    case $path in
      *.xz) xz -dc "$ROOT/lib/modules/$KVER/$path" > "$I/lib/modules/$KVER/${path%.xz}"; path=${path%.xz} ;;
      *.zst) zstd -qdc "$ROOT/lib/modules/$KVER/$path" > "$I/lib/modules/$KVER/${path%.zst}"; path=${path%.zst} ;;
      *) cp "$ROOT/lib/modules/$KVER/$path" "$I/lib/modules/$KVER/$path" ;;
    esac
    echo "/lib/modules/$KVER/$path" >> "$I/modules"
  done
  cat > "$I/init" <<'INIT'
#!/bin/sh
# Loads the modules the root needs (in dependency order), mounts the root named by root= and
# hands over to systemd.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "$m" || echo "initrd: could not load $m"; done < /modules
root=''
for arg in $(cat /proc/cmdline); do case $arg in root=*) root=${arg#root=} ;; esac; done
case $root in PARTUUID=*) dev=/dev/disk/by-partuuid/${root#PARTUUID=} ;; *) dev=$root ;; esac
i=0
while :; do
  # No udev here: find the PARTUUID's partition by its disk identifier and number.
  if [ "${root#PARTUUID=}" != "$root" ]; then
    id=${root#PARTUUID=}; n=${id##*-}; n=${n#0}
    for d in /sys/block/vd*; do [ -e "$d" ] && dev=/dev/${d##*/}$n; done
  fi
  [ -b "$dev" ] && mount -t ext4 -o ro "$dev" /newroot && break
  # No root: power off, so whoever waits for this boot hears of it at once.
  i=$((i + 1)); [ $i -gt 100 ] && { echo "initrd: cannot mount the root $root"; echo o > /proc/sysrq-trigger; }
  sleep 0.1
done
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
INIT
  chmod 755 "$I/init"
  (cd "$I" && find . | cpio -o -H newc --quiet | gzip -1) > "$DIR/initrd"
  log "initrd: busybox + ${#want[@]} modules ($(du -h "$DIR/initrd" | cut -f1))"
}
build_initrd
sed "s/console=serial0,115200 console=tty1/console=ttyAMA0,115200/" "$B/cmdline.txt" > "$DIR/cmdline"

# 5. The card: MBR, FAT32 boot, ext4 root with room to spare for picamd and its state.
root_mib=$(( $(du -sm "$ROOT" | cut -f1) * 13 / 10 + 256 ))
ROOT_START=$((BOOT_START + BOOT_SECTORS))
ROOT_SECTORS=$((root_mib * 2048))
truncate -s $(((ROOT_START + ROOT_SECTORS) * 512)) "$DIR/base.img.tmp"
sfdisk --quiet "$DIR/base.img.tmp" <<TABLE
label: dos
label-id: $DISK_ID
start=$BOOT_START, size=$BOOT_SECTORS, type=c
start=$ROOT_START, size=$ROOT_SECTORS, type=83
TABLE
truncate -s $((BOOT_SECTORS * 512)) "$DIR/boot.fat"
mkfs.vfat -F 32 -n bootfs "$DIR/boot.fat" >/dev/null 2>&1
mcopy -s -i "$DIR/boot.fat" "$B"/* ::/
mkfs.ext4 -q -L rootfs -d "$ROOT" "$DIR/root.ext4" "${root_mib}M"
dd if="$DIR/boot.fat" of="$DIR/base.img.tmp" bs=1M seek=$((BOOT_START / 2048)) conv=notrunc,sparse status=none
dd if="$DIR/root.ext4" of="$DIR/base.img.tmp" bs=1M seek=$((ROOT_START / 2048)) conv=notrunc,sparse status=none
rm -f "$DIR/boot.fat" "$DIR/root.ext4"
mv "$DIR/base.img.tmp" "$DIR/base.img"
rm -rf "$DIR/initrd.d"
log "wrote $DIR/base.img ($(du -h --apparent-size "$DIR/base.img" | cut -f1), root ${root_mib} MiB) in $(($(date +%s) - t0)) s"
