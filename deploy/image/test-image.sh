#!/usr/bin/env bash
# Tests build-image.sh on a synthetic image laid out like Raspberry Pi OS Lite (64-bit): an MBR disk
# with a FAT32 boot partition (config.txt from pi-gen, cmdline.txt naming the root by PARTUUID,
# cloud-init seed files, firmware blobs) and an ext4 root partition with an arm64 glibc, an
# rpicam-vid stand-in and Avahi, sized so that the bundle does not fit and the partition must grow.
# Then it checks the result the way the Pi's firmware, kernel and Raspberry Pi Imager will see it,
# including the Imager repository entry written next to the image (fields Imager reads, the image's
# real size and SHA-256, the customisation format for a Trixie base with rpi-cloud-init-mods).
# Usage (as root): deploy/image/test-image.sh [release/picamd-V-linux-arm64.tar.gz]
set -euo pipefail
export MTOOLS_SKIP_CHECK=1

REPO=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(node -p "require('$REPO/package.json').version")
BUNDLE=${1:-$REPO/release/picamd-$VERSION-linux-arm64.tar.gz}
SYSROOT=${PICAMD_ARM64_SYSROOT:-/usr/aarch64-linux-gnu}
DISK_ID=0x5e3da3da

log() { printf 'test-image: %s\n' "$*"; }
fail() { printf 'test-image: FAIL: %s\n' "$*" >&2; exit 1; }
t0=$(date +%s)

[[ $(id -u) == 0 ]] || fail "needs root (loop devices)"
for tool in mkfs.vfat mkfs.ext4 sfdisk mcopy fsck.vfat losetup; do
  command -v "$tool" >/dev/null || fail "$tool not found (apt-get install dosfstools e2fsprogs fdisk mtools mount)"
done
[[ -e $SYSROOT/lib/ld-linux-aarch64.so.1 ]] || fail "no arm64 glibc in $SYSROOT (apt-get install libc6-arm64-cross libstdc++6-arm64-cross)"
[[ -f $BUNDLE ]] || fail "no bundle at $BUNDLE (npm run bundle)"

WORK=$(mktemp -d /tmp/picamd-image-test.XXXXXX)
LOOP=''
cleanup() {
  mountpoint -q "$WORK/mnt" 2>/dev/null && umount "$WORK/mnt"
  [[ -n $LOOP ]] && losetup -d "$LOOP" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- The synthetic base image -------------------------------------------------------------------
BOOT_START=16384          # 8 MiB, pi-gen's alignment
BOOT_SECTORS=131072       # 64 MiB (pi-gen: 512 MiB; smaller keeps the test fast)
ROOT_START=$((BOOT_START + BOOT_SECTORS))
ROOT_SECTORS=163840       # 80 MiB, too small for the bundle: build-image must grow it
id=${DISK_ID#0x}

mkdir -p "$WORK/bootfs/overlays" "$WORK/rootfs"
B=$WORK/bootfs
cat > "$B/config.txt" <<'EOF'
# For more options and information see
# http://rptl.io/configtxt
dtparam=audio=on
camera_auto_detect=1
display_auto_detect=1
auto_initramfs=1
dtoverlay=vc4-kms-v3d
max_framebuffers=2
disable_fw_kms_setup=1
disable_overscan=1
arm_boost=1

[cm4]
otg_mode=1

[cm5]
dtoverlay=dwc2,dr_mode=host

[pi5]
dtoverlay=nospi10

[all]
EOF
echo "console=serial0,115200 console=tty1 root=PARTUUID=$id-02 rootfstype=ext4 fsck.repair=yes rootwait resize" > "$B/cmdline.txt"
printf 'dsmode: local\ninstance_id: rpios-image\n' > "$B/meta-data"
printf '#cloud-config\n#hostname: raspberrypi\n' > "$B/user-data"
printf '# netplan-compatible network config\n' > "$B/network-config"
head -c 3000000 /dev/urandom > "$B/kernel8.img"
head -c 30000 /dev/urandom > "$B/bcm2710-rpi-zero-2-w.dtb"
head -c 2000 /dev/urandom > "$B/overlays/imx708.dtbo"

R=$WORK/rootfs
mkdir -p "$R"/{etc/avahi/services,etc/systemd/system,usr/bin,usr/lib,var/lib/dpkg/info,boot/firmware,proc,sys,dev}
ln -s usr/lib "$R/lib"
ln -s usr/bin "$R/bin"
cp -a "$SYSROOT"/lib/ld-linux-aarch64.so.1 "$SYSROOT"/lib/libc.so.6 "$SYSROOT"/lib/libm.so.6 \
  "$SYSROOT"/lib/libstdc++.so.6* "$SYSROOT"/lib/libgcc_s.so.1 "$SYSROOT"/lib/libdl.so.2 \
  "$SYSROOT"/lib/libpthread.so.0 "$SYSROOT"/lib/librt.so.1 "$R/usr/lib/"
printf 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nID=debian\nVERSION_CODENAME=trixie\n' > "$R/etc/os-release"
echo raspberrypi > "$R/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\traspberrypi\n' > "$R/etc/hosts"
printf 'proc /proc proc defaults 0 0\nPARTUUID=%s-01 /boot/firmware vfat defaults 0 2\nPARTUUID=%s-02 / ext4 defaults,noatime 0 1\n' "$id" "$id" > "$R/etc/fstab"
printf '[server]\nuse-ipv4=yes\n' > "$R/etc/avahi/avahi-daemon.conf"
printf '#!/bin/sh\necho rpicam-apps stand-in\n' > "$R/usr/bin/rpicam-vid" && chmod 755 "$R/usr/bin/rpicam-vid"
# Trixie images from 2025-11-24 ship cloud-init with Raspberry Pi's additions (rpi-cloud-init-mods)
# and read Imager's customisation from user-data; build-image tells by dpkg's status file.
printf '#!/bin/sh\necho cloud-init stand-in\n' > "$R/usr/bin/cloud-init" && chmod 755 "$R/usr/bin/cloud-init"
mkdir -p "$R/var/lib/dpkg"
for p in base-files cloud-init rpi-cloud-init-mods network-manager; do
  printf 'Package: %s\nStatus: install ok installed\nArchitecture: arm64\nVersion: 1\n\n' "$p"
done > "$R/var/lib/dpkg/status"
: > "$R/var/lib/dpkg/info/libc6:arm64.list"

truncate -s $(((ROOT_START + ROOT_SECTORS) * 512)) "$WORK/base.img"
sfdisk --quiet "$WORK/base.img" <<EOF
label: dos
label-id: $DISK_ID
start=$BOOT_START, size=$BOOT_SECTORS, type=c
start=$ROOT_START, size=$ROOT_SECTORS, type=83
EOF
truncate -s $((BOOT_SECTORS * 512)) "$WORK/boot.fat"
mkfs.vfat -F 32 -n bootfs "$WORK/boot.fat" >/dev/null 2>&1
mcopy -s -i "$WORK/boot.fat" "$B"/* ::/
mkfs.ext4 -q -L rootfs -d "$R" "$WORK/root.ext4" $((ROOT_SECTORS / 2))k >/dev/null 2>&1
dd if="$WORK/boot.fat" of="$WORK/base.img" bs=512 seek=$BOOT_START conv=notrunc,sparse status=none
dd if="$WORK/root.ext4" of="$WORK/base.img" bs=512 seek=$ROOT_START conv=notrunc,sparse status=none
rm -f "$WORK/boot.fat" "$WORK/root.ext4"
log "synthetic base image: $(du -h --apparent-size "$WORK/base.img" | cut -f1) ($(($(date +%s) - t0)) s)"

# --- Build --------------------------------------------------------------------------------------
t1=$(date +%s)
bash "$REPO/deploy/image/build-image.sh" --base "$WORK/base.img" --bundle "$BUNDLE" --out "$WORK/picamd.img"
log "build-image took $(($(date +%s) - t1)) s"
IMG=$WORK/picamd.img
# The image as built, before the checks below write Imager-style files into it: what the manifest describes.
img_size=$(stat -c %s "$IMG")
img_sha=$(sha256sum "$IMG" | cut -d' ' -f1)

# --- Checks -------------------------------------------------------------------------------------
table=$(sfdisk -d "$IMG")
grep -q "^label-id: $DISK_ID$" <<< "$table" || fail "disk identifier changed: $table"
grep -Eq "^$IMG""1 : start= *$BOOT_START, size= *$BOOT_SECTORS, type=c$" <<< "$table" || fail "boot partition moved or changed: $table"
root_line=$(grep "^$IMG""2 :" <<< "$table")
new_root_sectors=$(sed -E 's/.*size= *([0-9]+).*/\1/' <<< "$root_line")
grep -Eq "start= *$ROOT_START," <<< "$root_line" || fail "root partition moved: $root_line"
((new_root_sectors > ROOT_SECTORS)) || fail "root partition did not grow ($new_root_sectors sectors)"
(($(stat -c %s "$IMG") == (ROOT_START + new_root_sectors) * 512)) || fail "the image does not end with the root partition"
log "ok   partition table: disk id, boot partition kept; root grown to $((new_root_sectors / 2048)) MiB"

# Boot partition: every file as before except config.txt, which gained the picamd block, and the
# new setup file template.
mkdir -p "$WORK/bootfs-after"
mcopy -s -n -i "$IMG@@$((BOOT_START * 512))" ::/* "$WORK/bootfs-after/"
diff -r --exclude=config.txt --exclude=picamd-setup.txt "$B" "$WORK/bootfs-after" >/dev/null \
  || fail "boot partition files changed: $(diff -rq --exclude=config.txt --exclude=picamd-setup.txt "$B" "$WORK/bootfs-after")"
cmp -s "$WORK/bootfs-after/picamd-setup.txt" <(sed 's/$/\r/' "$REPO/config/picamd-setup.txt") \
  || fail "picamd-setup.txt on the boot partition is not the template with CRLF line ends"
! grep -Eq '^[^#]*=' "$WORK/bootfs-after/picamd-setup.txt" || fail "the template has an active setting"
log "ok   boot partition: picamd-setup.txt template (CRLF, all comments)"
expected=$(cat "$B/config.txt"; printf '# BEGIN picamd (written by picamd; follows gpio.privacy in /etc/picamd/config.json)\n[all]\ngpio=27=ip,pu\n# END picamd')
[[ $(cat "$WORK/bootfs-after/config.txt") == "$expected" ]] || fail "config.txt is not the original plus the picamd block: $(diff <(echo "$expected") "$WORK/bootfs-after/config.txt")"
dd if="$IMG" of="$WORK/boot.check" bs=512 skip=$BOOT_START count=$BOOT_SECTORS status=none
fsck.vfat -n "$WORK/boot.check" >/dev/null || fail "the boot file system is not clean"
log "ok   boot partition: cmdline.txt, cloud-init seeds and firmware untouched; config.txt + picamd block; FAT clean"

# What Raspberry Pi Imager writes for its customisation still fits and reads back.
printf '#cloud-config\nhostname: garden-cam\nusers:\n- name: pi\n' > "$WORK/user-data"
printf '#!/bin/bash\n# Imager firstrun stand-in\n' > "$WORK/firstrun.sh"
mcopy -o -i "$IMG@@$((BOOT_START * 512))" "$WORK/user-data" "$WORK/firstrun.sh" ::/
mcopy -n -i "$IMG@@$((BOOT_START * 512))" ::/user-data "$WORK/user-data.back"
cmp -s "$WORK/user-data" "$WORK/user-data.back" || fail "customisation files do not read back"
log "ok   Imager-style customisation files (user-data, firstrun.sh) write and read back"

# Root partition.
LOOP=$(losetup --find --show --offset $((ROOT_START * 512)) --sizelimit $((new_root_sectors * 512)) "$IMG")
e2fsck -fn "$LOOP" >/dev/null 2>&1 || fail "the root file system is not clean"
mkdir -p "$WORK/mnt"
mount -o ro -t ext4 "$LOOP" "$WORK/mnt"
M=$WORK/mnt
for f in opt/picamd/current/dist/main.js opt/picamd/current/node/bin/node opt/picamd/current/config/default.json etc/picamd/config.json \
  etc/systemd/system/picamd.service etc/avahi/services/picamd.service; do
  [[ -f $M/$f ]] || fail "/$f missing in the image"
done
[[ $(readlink "$M/etc/systemd/system/multi-user.target.wants/picamd.service") == /etc/systemd/system/picamd.service ]] \
  || fail "picamd.service is not enabled"
[[ $(readlink "$M/etc/systemd/system/multi-user.target.wants/picamd-setup.service") == /etc/systemd/system/picamd-setup.service ]] \
  || fail "picamd-setup.service is not enabled"
cmp -s "$M/etc/systemd/system/picamd-setup.service" "$REPO/systemd/picamd-setup.service" || fail "picamd-setup.service differs from the repository's"
cmp -s "$M/etc/picamd/config.json" "$REPO/config/default.json" || fail "/etc/picamd/config.json is not the default config"
cmp -s "$M/etc/systemd/system/picamd.service" "$REPO/systemd/picamd.service" || fail "the image's picamd.service is not the repository's"
grep -q '^ExecStart=/opt/picamd/current/node/bin/node --expose-gc ' "$M/etc/systemd/system/picamd.service" \
  || fail "the image's unit does not start node with --expose-gc"
[[ $(cat "$M/etc/hostname") == picamd ]] || fail "host name is $(cat "$M/etc/hostname")"
grep -q $'^127.0.1.1\tpicamd$' "$M/etc/hosts" || fail "/etc/hosts does not name picamd"
grep -q '<type>_http._tcp</type>' "$M/etc/avahi/services/picamd.service" || fail "Avahi service is not _http._tcp"
grep -q '<port>80</port>' "$M/etc/avahi/services/picamd.service" || fail "Avahi service is not on port 80"
cmp -s "$M/etc/sysctl.d/60-picamd.conf" "$REPO/deploy/sysctl/60-picamd.conf" || fail "the image lacks picamd's sysctl drop-in (tcp_notsent_lowat)"
[[ -L $M/etc/systemd/system/paths.target.wants/picamd-timezone.path ]] && cmp -s "$M/etc/systemd/system/picamd-timezone.service" "$REPO/systemd/picamd-timezone.service" \
  || fail "the time zone helper (picamd-timezone.path) is not installed and enabled"
# The security updates: the first-boot step that installs unattended-upgrades, enabled, linked to the release's unit.
[[ $(readlink "$M/etc/systemd/system/picamd-os-updates.service") == /opt/picamd/current/systemd/picamd-os-updates.service \
  && $(readlink "$M/etc/systemd/system/multi-user.target.wants/picamd-os-updates.service") == /etc/systemd/system/picamd-os-updates.service ]] \
  || fail "picamd-os-updates.service is not installed and enabled"
cmp -s "$M/opt/picamd/current/systemd/picamd-os-updates.service" "$REPO/systemd/picamd-os-updates.service" \
  && cmp -s "$M/opt/picamd/current/deploy/apt/52picamd-unattended-upgrades" "$REPO/deploy/apt/52picamd-unattended-upgrades" \
  && [[ -x $M/opt/picamd/current/deploy/picamd-os-updates.sh ]] || fail "the image's release lacks the security updates' unit, script or configuration"
cmp -s "$M/etc/fstab" "$R/etc/fstab" || fail "/etc/fstab changed"
[[ ! -e $M/opt/picamd.install && ! -e $M/boot/firmware/config.txt ]] || fail "leftovers in the root file system"
[[ $(readlink "$M/opt/picamd/current") == releases/* && -x $M/opt/picamd/bin/picamd-update ]] || fail "/opt/picamd is not in the releases layout with its updater"
[[ -L $M/etc/systemd/system/paths.target.wants/picamd-update.path && -L $M/etc/systemd/system/multi-user.target.wants/picamd-update.service ]] \
  || fail "the updater's units are not enabled"
for key in "$REPO"/keys/*.pem; do
  cmp -s "$key" "$M/opt/picamd/current/keys/${key##*/}" || fail "the image does not trust the release key keys/${key##*/}"
done
log "ok   root partition: /opt/picamd (releases, current, the updater enabled), default config, units (picamd with node --expose-gc, picamd-setup) enabled, Avahi _http._tcp on 80, tcp_notsent_lowat drop-in, host name picamd, security updates at first boot; fstab kept"

# The installed runtime starts in the image's own userland.
qemu-aarch64-static -L "$M" "$M/opt/picamd/current/node/bin/node" "$M/opt/picamd/current/dist/main.js" \
  --check-config --config "$M/etc/picamd/config.json" >/dev/null 2>&1 || fail "the image's picamd does not accept its config"
log "ok   the image's picamd (arm64, emulated) validates /etc/picamd/config.json"

# The image's picamd applies a setup file (arm64, emulated; a scratch tree, since the image is
# mounted read-only here): Wi-Fi keyfile, host name, owner hash.
A=$WORK/apply-root
mkdir -p "$A/boot/firmware" "$A/etc" "$A/var/lib/systemd/rfkill" "$A/usr/share/zoneinfo" "$A/var/lib/NetworkManager"
# As pi-gen leaves an image built without a Wi-Fi country (stage2/02-net-tweaks, e86b901e).
printf '[main]\nWirelessEnabled=false\n' > "$A/var/lib/NetworkManager/NetworkManager.state"
cp "$B/cmdline.txt" "$A/boot/firmware/cmdline.txt"
cp "$M/etc/hosts" "$A/etc/hosts"
printf 'GB\tBritain (UK)\n' > "$A/usr/share/zoneinfo/iso3166.tab"
printf 'wifi_name = Home\r\nwifi_password = 12345678\r\nwifi_country = GB\r\nhostname = garden-cam\r\nowner_name = admin\r\nowner_password = a long passphrase\r\n' \
  > "$A/boot/firmware/picamd-setup.txt"
qemu-aarch64-static -L "$M" "$M/opt/picamd/current/node/bin/node" "$M/opt/picamd/current/dist/main.js" apply-setup --root "$A" \
  > "$WORK/apply.log" 2>&1 || fail "the image's picamd apply-setup failed: $(cat "$WORK/apply.log")"
[[ -f $A/etc/NetworkManager/system-connections/Home.nmconnection && $(cat "$A/etc/hostname") == garden-cam ]] \
  || fail "apply-setup did not write the keyfile and the host name"
grep -q '"passwordHash": "\$scrypt\$ln=13,r=8,p=10\$' "$A/var/lib/picamd/accounts.json" || fail "no owner hash in accounts.json"
grep -q '"role": "owner"' "$A/var/lib/picamd/accounts.json" || fail "the setup file's user is not the owner in accounts.json"
! grep -q passwordHash "$A/var/lib/picamd/settings.json" 2>/dev/null || fail "a password hash in settings.json: the accounts have their own file"
[[ $(cat "$A/var/lib/NetworkManager/NetworkManager.state") == $'[main]\nWirelessEnabled=true' ]] \
  || fail "apply-setup left NetworkManager's Wi-Fi switched off: $(cat "$A/var/lib/NetworkManager/NetworkManager.state")"
! grep -q 'a long passphrase\|12345678' "$A/boot/firmware/picamd-setup.txt" || fail "a password is still in the setup file"
log "ok   the image's picamd (arm64, emulated) applies a setup file: keyfile, host name, owner hash, NetworkManager's Wi-Fi on; passwords removed"
umount "$M"
losetup -d "$LOOP"; LOOP=''

# The Imager repository entry next to the image: what Imager reads, the image's real size and hash.
MANIFEST=$WORK/picamd.rpi-imager-manifest
[[ -f $MANIFEST && -f $WORK/picamd-icon.svg ]] || fail "no $MANIFEST or icon next to the image"
node --input-type=module -e "
  import { readFileSync } from 'node:fs';
  import { pathToFileURL } from 'node:url';
  const doc = JSON.parse(readFileSync('$MANIFEST', 'utf8'));
  const os = doc.os_list?.[0] ?? {};
  const want = {
    url: pathToFileURL('$IMG').href, icon: pathToFileURL('$WORK/picamd-icon.svg').href,
    extract_size: $img_size, extract_sha256: '$img_sha', image_download_size: $img_size, image_download_sha256: '$img_sha',
    init_format: 'cloudinit-rpi', release_date: new Date().toISOString().slice(0, 10),
  };
  const problems = [];
  for (const key of ['name', 'description', 'icon', 'url', 'extract_size', 'extract_sha256', 'image_download_size', 'release_date', 'devices'])
    if (!(key in os)) problems.push('missing ' + key);
  for (const [key, value] of Object.entries(want)) if (os[key] !== value) problems.push(key + ': ' + JSON.stringify(os[key]) + ' != ' + JSON.stringify(value));
  const tags = new Set((doc.imager?.devices ?? []).flatMap((d) => d.tags));
  for (const tag of os.devices ?? []) if (!tags.has(tag)) problems.push('no device for tag ' + tag);
  if (problems.length) { console.error(problems.join('; ')); process.exit(1); }
" || fail "the Imager manifest does not describe the image"
log "ok   Imager manifest: every field Imager reads; size $img_size and SHA-256 of the image; init_format cloudinit-rpi"

# Building again from the result changes config.txt no further (one picamd block).
bash "$REPO/deploy/image/build-image.sh" --base "$IMG" --bundle "$BUNDLE" --out "$WORK/again.img" >/dev/null
mcopy -n -i "$WORK/again.img@@$((BOOT_START * 512))" ::/config.txt "$WORK/config.again"
cmp -s "$WORK/config.again" "$WORK/bootfs-after/config.txt" || fail "a second build changed config.txt again"
printf 'hostname = kept\r\n' > "$WORK/setup.mine"
mcopy -o -i "$WORK/again.img@@$((BOOT_START * 512))" "$WORK/setup.mine" ::/picamd-setup.txt
bash "$REPO/deploy/image/build-image.sh" --base "$WORK/again.img" --bundle "$BUNDLE" --out "$WORK/third.img" >/dev/null
mcopy -n -i "$WORK/third.img@@$((BOOT_START * 512))" ::/picamd-setup.txt "$WORK/setup.third"
cmp -s "$WORK/setup.mine" "$WORK/setup.third" || fail "a build replaced a setup file that was already on the boot partition"
log "ok   building from a picamd image again leaves config.txt and a filled-in picamd-setup.txt as they were"
log "PASS in $(($(date +%s) - t0)) s"
