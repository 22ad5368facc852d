#!/usr/bin/env bash
# Turns an official Raspberry Pi OS Lite (64-bit) image into a picamd image: flash it, boot, open
# http://picamd.local/. What it changes, and nothing else:
#   root partition  /opt/picamd (the release bundle), /etc/picamd/config.json (the default),
#                   /etc/systemd/system/picamd.service enabled, /etc/avahi/services/picamd.service
#                   (_http._tcp), host name "picamd" (/etc/hostname, /etc/hosts)
#                   /etc/systemd/system/picamd-setup.service enabled (applies picamd-setup.txt
#                   before the network starts); picamd-os-updates.service enabled (installs
#                   unattended-upgrades, security updates only, at the first boot with a network)
#   boot partition  config.txt: the picamd block (pull resistor of the privacy input);
#                   picamd-setup.txt, the commented setup file template (CRLF, for Notepad), unless
#                   the base image already has one
# Next to the image it writes the Raspberry Pi Imager repository entry, <image>.rpi-imager-manifest
# (`rpi-imager --repo FILE`, or double-click it), with the image's real sizes and SHA-256 and the
# customisation format Imager must use for this base: "cloudinit-rpi" when the base has Raspberry
# Pi's cloud-init additions (rpi-cloud-init-mods: Trixie from 2025-11-24), "systemd" (firstrun.sh)
# for Bookworm and the first Trixie release; and picamd-icon.svg for its icon.
# The partition table keeps its disk identifier and the boot partition its place and size (the
# image's fstab and cmdline.txt name partitions by PARTUUID); the root partition is grown at its
# end when the bundle does not fit. cmdline.txt, firstrun.sh, user-data and every other file of
# the boot partition are left as they are, so Raspberry Pi Imager's customisation (user, Wi-Fi,
# SSH, host name) still applies at first boot; a host name set there wins over "picamd".
#
# Usage (as root): deploy/image/build-image.sh --base 2025-xx-xx-raspios-trixie-arm64-lite.img.xz \
#                    [--bundle release/picamd-V-linux-arm64.tar.gz] [--out picamd-V.img] [--xz]
#                    [--url-base https://host/path] [--release-date YYYY-MM-DD]
#   --url-base      where the image and icon will be published; the manifest then points there
#                   (default: file:// URLs of the built files, valid on this machine)
# Needs: losetup and ext4 mounts (root), sfdisk, e2fsck/resize2fs, mtools, xz,
#        qemu-aarch64-static (the bundled picamd checks its config inside the image's own arm64
#        userland).
set -euo pipefail
export MTOOLS_SKIP_CHECK=1

REPO=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(node -p "require('$REPO/package.json').version" 2>/dev/null || echo 0.0.0)
BASE=''
BUNDLE=$REPO/release/picamd-$VERSION-linux-arm64.tar.gz
OUT=''
HOSTNAME_NEW=picamd
XZ=0
URL_BASE=''
RELEASE_DATE=$(date -u +%F)
while (($#)); do
  case $1 in
    --base) BASE=${2:?}; shift ;;
    --bundle) BUNDLE=${2:?}; shift ;;
    --out) OUT=${2:?}; shift ;;
    --hostname) HOSTNAME_NEW=${2:?}; shift ;;
    --xz) XZ=1 ;;
    --url-base) URL_BASE=${2:?}; shift ;;
    --release-date) RELEASE_DATE=${2:?}; shift ;;
    -h | --help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'build-image: unknown option %s\n' "$1" >&2; exit 2 ;;
  esac
  shift
done

log() { printf 'build-image: %s\n' "$*"; }
die() { printf 'build-image: error: %s\n' "$*" >&2; exit 1; }

[[ -n $BASE && -f $BASE ]] || die "--base IMAGE(.xz) is required (an official Raspberry Pi OS Lite 64-bit image)"
[[ -f $BUNDLE ]] || die "no bundle at $BUNDLE (npm run bundle)"
[[ $(id -u) == 0 ]] || die "needs root (loop devices and mounts)"
for tool in sfdisk losetup e2fsck resize2fs dumpe2fs mcopy qemu-aarch64-static; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install fdisk mount e2fsprogs mtools qemu-user-static)"
done
[[ -n $OUT ]] || OUT=$(pwd)/picamd-$VERSION-$(basename "${BASE%.xz}")

WORK=$(mktemp -d /tmp/picamd-image.XXXXXX)
MNT=$WORK/root
LOOP=''
cleanup() {
  mountpoint -q "$MNT" 2>/dev/null && umount "$MNT"
  [[ -n $LOOP ]] && losetup -d "$LOOP" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# 1. A copy of the base image (sparse), decompressed if need be.
log "copying $(basename "$BASE") to $OUT"
if [[ $BASE == *.xz ]]; then xz -dc "$BASE" > "$OUT.tmp"; else cp --sparse=always "$BASE" "$OUT.tmp"; fi
mv "$OUT.tmp" "$OUT"

# 2. The partition layout of Raspberry Pi OS: 1 = FAT boot, 2 = ext4 root, and nothing after it.
part() { sfdisk -J "$OUT" | node -e "
  const t = JSON.parse(require('fs').readFileSync(0, 'utf8')).partitiontable;
  const p = t.partitions[$1 - 1] ?? {};
  console.log([t.label, t.id, t.partitions.length, p.start ?? '', p.size ?? '', p.type ?? ''].join(' '));"; }
read -r label disk_id count boot_start boot_size boot_type <<< "$(part 1)"
read -r _ _ _ root_start root_size root_type <<< "$(part 2)"
[[ $label == dos && $count == 2 ]] || die "expected an MBR disk with 2 partitions, found $label with $count"
[[ $boot_type =~ ^(b|c|e)$ ]] || die "partition 1 is not FAT (type $boot_type)"
[[ $root_type == 83 ]] || die "partition 2 is not a Linux partition (type $root_type)"
log "disk $disk_id: boot at sector $boot_start (${boot_size} sectors), root at $root_start (${root_size} sectors)"

# 3. Room for the bundle: grow the root partition at its end when its free space is short.
need=$(( $(gzip -dc "$BUNDLE" | wc -c) + 64 * 1024 * 1024 ))
attach_root() { LOOP=$(losetup --find --show --offset $((root_start * 512)) --sizelimit $((root_size * 512)) "$OUT"); }
attach_root
free=$(dumpe2fs -h "$LOOP" 2>/dev/null | awk -F: '/^Free blocks/ { f = $2 } /^Block size/ { b = $2 } END { print f * b }')
if ((free < need)); then
  step=$((8 * 1024 * 1024))
  grow=$(( (need - free + step - 1) / step * step ))
  log "root file system has $((free / 1048576)) MiB free; growing it by $((grow / 1048576)) MiB"
  losetup -d "$LOOP"; LOOP=''
  truncate -s "+$grow" "$OUT"
  echo ', +' | sfdisk --quiet --no-reread --no-tell-kernel -N 2 "$OUT"
  read -r _ new_id _ _ root_size _ <<< "$(part 2)"
  [[ $new_id == "$disk_id" ]] || die "the disk identifier changed ($disk_id -> $new_id)"
  attach_root
  e2fsck -fy "$LOOP" >/dev/null 2>&1 || [[ $? -le 1 ]] || die "e2fsck failed on the root file system"
  resize2fs "$LOOP" >/dev/null 2>&1 || die "resize2fs failed"
fi

mkdir -p "$MNT"
mount -t ext4 "$LOOP" "$MNT"
[[ -x $MNT/usr/bin/rpicam-vid ]] || die "the base image has no rpicam-vid: use Raspberry Pi OS Lite (64-bit), Bookworm or newer"

# How Imager customises this base: cloud-init's user-data when the image has Raspberry Pi's
# cloud-init additions (the rpi-cloud-init-mods package in its dpkg status), else the firstrun.sh
# that cmdline.txt runs once (Bookworm, and Trixie 2025-10-01, which has cloud-init but not those).
# See initFormatFor in deploy/image/imager-manifest.mjs.
read -r codename mods init_format < <(MNT=$MNT node --input-type=module -e "
  import { initFormatForRoot } from '$REPO/deploy/image/imager-manifest.mjs';
  try {
    const r = initFormatForRoot(process.env.MNT);
    console.log(r.codename || 'unknown', r.rpiCloudInitMods, r.initFormat);
  } catch (err) {
    console.error('build-image: error: ' + err.message);
  }") || true
[[ -n ${init_format:-} ]] || die "cannot tell how Imager should customise this base image (see above)"
log "base: $codename, rpi-cloud-init-mods: $mods -> Imager customisation \"$init_format\""

# 4. The bundle, through its own installer. The config check runs the bundled arm64 node under
#    qemu against the image's own glibc, so it also proves the runtime fits the image.
mkdir -p "$WORK/bundle" "$WORK/boot"
tar -xzf "$BUNDLE" -C "$WORK/bundle"
app=$(echo "$WORK"/bundle/picamd-*)
sysroot=$MNT
[[ -e $MNT/lib/ld-linux-aarch64.so.1 ]] || die "the image has no /lib/ld-linux-aarch64.so.1: not a 64-bit image"
cat > "$WORK/node" <<EOF
#!/bin/sh
exec qemu-aarch64-static -L "$sysroot" "$app/node/bin/node" "\$@"
EOF
chmod +x "$WORK/node"
boot_offset=$((boot_start * 512))
mcopy -n -i "$OUT@@$boot_offset" ::/config.txt "$WORK/boot/config.txt"
PICAMD_NODE=$WORK/node "$app/install.sh" --root "$MNT" --boot "$WORK/boot" --no-hw-check
mcopy -o -i "$OUT@@$boot_offset" "$WORK/boot/config.txt" ::/config.txt
# The operating system's security updates (docs/install.md#operating-system-updates): no dpkg runs
# for this arm64 tree here, so the device installs unattended-upgrades itself at its first boot
# with a network (picamd-os-updates.service, enabled here only: install.sh leaves an existing
# system's updates alone). Linked to the release as the updater links every unit.
if [[ -f $MNT/opt/picamd/current/systemd/picamd-os-updates.service ]]; then
  ln -sfn /opt/picamd/current/systemd/picamd-os-updates.service "$MNT/etc/systemd/system/picamd-os-updates.service"
  mkdir -p "$MNT/etc/systemd/system/multi-user.target.wants"
  ln -sfn /etc/systemd/system/picamd-os-updates.service "$MNT/etc/systemd/system/multi-user.target.wants/picamd-os-updates.service"
  log "security updates: picamd-os-updates.service installs unattended-upgrades at the first boot with a network"
else
  log "warning: the bundle has no picamd-os-updates.service; the image will not turn on security updates"
fi
# The setup file template, with Windows line ends so every Notepad shows it right; never over a
# setup file someone already put there.
if mdir -i "$OUT@@$boot_offset" ::/picamd-setup.txt >/dev/null 2>&1; then
  log "boot partition already has a picamd-setup.txt; keeping it"
else
  sed 's/$/\r/' "$app/config/picamd-setup.txt" > "$WORK/picamd-setup.txt"
  mcopy -i "$OUT@@$boot_offset" "$WORK/picamd-setup.txt" ::/picamd-setup.txt
  log "boot partition: picamd-setup.txt (template)"
fi
icon=$app/dist/web/icon.svg

# 5. Host name. Imager's customisation, if any, replaces it at first boot.
old_host=$(cat "$MNT/etc/hostname" 2>/dev/null || echo raspberrypi)
echo "$HOSTNAME_NEW" > "$MNT/etc/hostname"
if grep -q '^127\.0\.1\.1' "$MNT/etc/hosts" 2>/dev/null; then
  sed -i "s/^127\.0\.1\.1.*/127.0.1.1\t$HOSTNAME_NEW/" "$MNT/etc/hosts"
else
  printf '127.0.1.1\t%s\n' "$HOSTNAME_NEW" >> "$MNT/etc/hosts"
fi
log "host name: $old_host -> $HOSTNAME_NEW"

umount "$MNT"
e2fsck -fn "$LOOP" >/dev/null 2>&1 || die "the root file system is not clean after the changes"
losetup -d "$LOOP"; LOOP=''

IMG=$OUT
if [[ $XZ == 1 ]]; then
  log "compressing"
  xz -T0 -k -f "$IMG"
  OUT=$IMG.xz
fi
log "wrote $OUT ($(du -h --apparent-size "$OUT" | cut -f1))"

# The Imager repository entry: real sizes and SHA-256 of the download and of the extracted image.
MANIFEST=${IMG%.img}.rpi-imager-manifest
cp "$icon" "$(dirname "$OUT")/picamd-icon.svg"
manifest_args=(--image "$OUT" --extracted "$IMG" --init-format "$init_format" --release-date "$RELEASE_DATE"
  --icon "$(dirname "$OUT")/picamd-icon.svg" --version "$VERSION")
[[ -n $URL_BASE ]] && manifest_args+=(--url-base "$URL_BASE")
node "$REPO/deploy/image/imager-manifest.mjs" "${manifest_args[@]}" > "$MANIFEST.tmp"
mv "$MANIFEST.tmp" "$MANIFEST"
[[ $XZ == 1 ]] && rm -f "$IMG"
log "wrote $MANIFEST (init_format $init_format)"
log "flash it: rpi-imager --repo $MANIFEST (or double-click it), choose the Pi, picamd, the card;"
log "then boot and open http://$HOSTNAME_NEW.local/"
