#!/usr/bin/env bash
# Installs picamd on a running Raspberry Pi OS (Bookworm or Trixie, 64-bit) from an unpacked
# release bundle:   sudo ./install.sh
# Running it again upgrades or repairs; it never overwrites /etc/picamd/config.json.
#
#   --uninstall     remove picamd (keeps /etc/picamd and the state in /var/lib/picamd)
#   --root DIR      act on the system tree under DIR instead of / (image building, tests):
#                   nothing is started, no package is installed, units are enabled offline
#   --no-hw-check   do not require a Raspberry Pi (for --root on a build machine, or an
#                   unusual board whose device tree model is not "Raspberry Pi …")
#   --no-start      enable the service but do not (re)start it now
#   --boot DIR      where config.txt is (default: /boot/firmware, else /boot, inside the root)
# Environment: PICAMD_NODE  the node used for the config check (default: the bundled one; an
#                           emulator wrapper when installing into an arm64 tree on x86)
set -euo pipefail

ROOT=/
BOOT_DIR=''
ACTION=install
HW_CHECK=1
START=1
while (($#)); do
  case $1 in
    --uninstall) ACTION=uninstall ;;
    --root) ROOT=${2:?--root needs a directory}; shift ;;
    --root=*) ROOT=${1#--root=} ;;
    --no-hw-check) HW_CHECK=0 ;;
    --no-start) START=0 ;;
    --boot) BOOT_DIR=${2:?--boot needs a directory}; shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'install.sh: unknown option %s (see --help)\n' "$1" >&2; exit 2 ;;
  esac
  shift
done

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$ROOT" && pwd)
LIVE=0
[[ $ROOT == / ]] && LIVE=1
# A path inside the target tree.
in_root() { printf '%s%s' "${ROOT%/}" "$1"; }

# Releases side by side: /opt/picamd/releases/<version>/, `current` and `previous` links switched by
# atomic rename (by this installer and by updates), the updater in /opt/picamd/bin (docs/install.md).
PREFIX=/opt/picamd
CONFIG=/etc/picamd/config.json
UNIT=/etc/systemd/system/picamd.service
# The root-owned updater: takes a signed update picamd received, tries it, keeps it or rolls it back.
UPDATE_UNIT=/etc/systemd/system/picamd-update.service
UPDATE_PATH=/etc/systemd/system/picamd-update.path
UPDATE_STATE=/var/lib/picamd-update
# Applies picamd-setup.txt from the boot partition before the network starts (docs/install.md).
SETUP_UNIT=/etc/systemd/system/picamd-setup.service
# Sets the time zone picamd asks for from its page (deploy/picamd-timezone.sh says why a helper).
TZ_UNIT=/etc/systemd/system/picamd-timezone.service
TZ_PATH=/etc/systemd/system/picamd-timezone.path
# Joins the Wi-Fi again when NetworkManager gave it up (deploy/picamd-wifi-rejoin.sh says why).
WIFI_UNIT=/etc/systemd/system/picamd-wifi-rejoin.service
AVAHI_SERVICE=/etc/avahi/services/picamd.service
# Bounds the unsent data in every TCP socket, so slow viewers are skipped, not buffered (the file says why).
SYSCTL_CONF=/etc/sysctl.d/60-picamd.conf
BLOCK_BEGIN='# BEGIN picamd'
BLOCK_END='# END picamd'

log() { printf 'picamd-install: %s\n' "$*"; }
warn() { printf 'picamd-install: warning: %s\n' "$*" >&2; }
die() { printf 'picamd-install: error: %s\n' "$*" >&2; exit 1; }

if [[ $LIVE == 1 && $(id -u) != 0 ]]; then
  die "run me as root: sudo $0"
fi

# --- What system is this? -------------------------------------------------------------------

check_system() {
  # The bundled Node.js is an arm64 (aarch64) glibc program: the system needs 64-bit userland.
  local dpkg_info
  dpkg_info=$(in_root /var/lib/dpkg/info)
  if [[ ! -e $dpkg_info/libc6:arm64.list ]]; then
    if [[ -e $dpkg_info/libc6:armhf.list || -e $dpkg_info/libc6:armel.list ]]; then
      die "this is the 32-bit Raspberry Pi OS; picamd needs Raspberry Pi OS (64-bit). Flash 'Raspberry Pi OS Lite (64-bit)' with Raspberry Pi Imager, then run me again."
    fi
    die "this system has no arm64 (64-bit ARM) userland; picamd runs on Raspberry Pi OS (64-bit) only."
  fi
  if [[ $LIVE == 1 && $(uname -m) != aarch64 ]]; then
    die "the running kernel is $(uname -m), not aarch64; picamd needs Raspberry Pi OS (64-bit)."
  fi

  if [[ $HW_CHECK == 1 ]]; then
    local model_file model=''
    model_file=$(in_root /proc/device-tree/model)
    [[ -r $model_file ]] && model=$(tr -d '\0' < "$model_file")
    if [[ $model != "Raspberry Pi"* ]]; then
      die "this is not a Raspberry Pi (device tree model: '${model:-unknown}'). Use --no-hw-check to install anyway."
    fi
    log "board: $model"
  fi

  local codename=''
  if [[ -r $(in_root /etc/os-release) ]]; then
    codename=$(sed -n 's/^VERSION_CODENAME=//p' "$(in_root /etc/os-release)" | tr -d "\"'")
  fi
  case $codename in
    bookworm | trixie) log "system: Raspberry Pi OS / Debian $codename, arm64" ;;
    buster | bullseye) die "Debian $codename is too old: picamd needs Raspberry Pi OS Bookworm or newer (rpicam-apps)." ;;
    *) warn "untested system release '${codename:-unknown}'; picamd is made for Bookworm and Trixie" ;;
  esac
}

# Whether dpkg's status file in the target tree lists the package as installed.
dpkg_installed() {
  awk -v p="$1" 'BEGIN { RS = "" } $0 ~ ("(^|\n)Package: " p "\n") && $0 ~ /(^|\n)Status: [^ \n]+ ok installed(\n|$)/ { found = 1 } END { exit !found }' \
    "$(in_root /var/lib/dpkg/status)" 2>/dev/null
}

# The package whose rpicam-vid this board needs. The Pi 5 family (Pi 5, 500, Compute Module 5) has no
# H.264 hardware encoder: rpicam-vid encodes H.264 with libav there, which only the full rpicam-apps
# has; rpicam-apps-lite, Raspberry Pi OS Lite's, lacks it (rpicam-apps issues #735 and #761, where
# the maintainers answer: replace rpicam-apps-lite with rpicam-apps). Others: rpicam-apps-lite.
rpicam_package() {
  local model_file model=''
  model_file=$(in_root /proc/device-tree/model)
  [[ -r $model_file ]] && model=$(tr -d '\0' < "$model_file")
  if [[ $model =~ ^Raspberry\ Pi\ (5|5[0-9][0-9]|Compute\ Module\ 5)([^0-9]|$) ]]; then echo rpicam-apps; else echo rpicam-apps-lite; fi
}

ensure_rpicam() {
  local want
  want=$(rpicam_package)
  if [[ -x $(in_root /usr/bin/rpicam-vid) ]]; then
    # A Pi 5 with rpicam-apps-lite streams MJPEG, but H.264 needs rpicam-apps.
    [[ $want == rpicam-apps-lite ]] && return
    dpkg_installed rpicam-apps && return
    dpkg_installed rpicam-apps-lite || return 0 # rpicam-vid from elsewhere (a source build): not ours to replace
  fi
  if [[ $LIVE == 0 ]]; then
    if [[ $want == rpicam-apps ]]; then
      warn "this board has no H.264 hardware encoder: install the rpicam-apps package in $ROOT (it replaces rpicam-apps-lite) for H.264; picamd refuses camera.codec \"h264\" until then"
    else
      warn "rpicam-vid is missing in $ROOT; install the rpicam-apps-lite package there"
    fi
    return
  fi
  if [[ $want == rpicam-apps ]]; then
    log "installing rpicam-apps (this board has no H.264 hardware encoder; rpicam-vid's software encoder, libav, is only in rpicam-apps, which replaces rpicam-apps-lite)"
  else
    log "installing rpicam-apps-lite (the camera tools picamd runs)"
  fi
  if ! apt-get install -y --no-install-recommends "$want"; then
    if ! { apt-get update && apt-get install -y --no-install-recommends "$want"; }; then
      # Without rpicam-vid nothing works; without libav only H.264 does not, and picamd says so.
      [[ -x $(in_root /usr/bin/rpicam-vid) ]] \
        || die "could not install $want (no internet?). Install it and run me again."
      warn "could not install $want (no internet?): MJPEG works; picamd refuses camera.codec \"h264\" until it is installed"
    fi
  fi
}

# --- Files ----------------------------------------------------------------------------------

node_cmd() {
  if [[ -n ${PICAMD_NODE:-} ]]; then printf '%s' "$PICAMD_NODE"; else printf '%s' "$1/node/bin/node"; fi
}

# Replaces the block between the picamd markers of config.txt with $1 (nothing: removes it).
# Prints "changed" when the file changed.
edit_config_txt() {
  local line=$1 file tmp
  if [[ -n $BOOT_DIR ]]; then
    file=$BOOT_DIR/config.txt
  else
    file=$(in_root /boot/firmware/config.txt)
    [[ -f $file ]] || file=$(in_root /boot/config.txt)
  fi
  if [[ ! -f $file ]]; then
    [[ -z $line ]] || warn "no config.txt found under /boot; add '$line' yourself for the privacy input's pull resistor"
    return 0
  fi
  tmp=$(mktemp)
  awk -v b="$BLOCK_BEGIN" -v e="$BLOCK_END" 'index($0, b) == 1 { skip = 1 } !skip { print } index($0, e) == 1 { skip = 0 }' "$file" > "$tmp"
  if [[ -n $line ]]; then
    [[ -s $tmp && -n $(tail -c1 "$tmp") ]] && printf '\n' >> "$tmp"
    # [all]: the lines before may end inside a model section such as [pi4].
    printf '%s (written by picamd; follows gpio.privacy in %s)\n[all]\n%s\n%s\n' \
      "$BLOCK_BEGIN" "$CONFIG" "$line" "$BLOCK_END" >> "$tmp"
  fi
  if cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
  else
    cat "$tmp" > "$file" # keeps the file itself (FAT partition, permissions)
    rm -f "$tmp"
    printf 'changed'
  fi
}

version_of() { sed -n 's/^  "version": "\(.*\)",$/\1/p' "$1/package.json" 2>/dev/null | head -n1; }

# Points $dest/$1 at releases/$2 by renaming a new link over the old one (atomic).
switch_link() {
  ln -sfn "releases/$2" "$dest/.$1.tmp"
  mv -Tf "$dest/.$1.tmp" "$dest/$1"
}

# An install from before releases sat side by side (/opt/picamd/dist, node, ...) becomes
# releases/<its version>, still running as `current`. A cut between the two renames leaves
# /opt/picamd.migrate, which the next run finishes.
migrate_flat_install() {
  local old
  if [[ ! -e $dest && -d $dest.migrate/releases ]]; then
    mv "$dest.migrate" "$dest"
    old=$(find "$dest/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n' | head -n1)
    [[ -n $old ]] && switch_link current "$old"
    log "finished moving picamd $old to $PREFIX/releases/$old"
    return 0
  fi
  [[ -f $dest/dist/main.js && ! -L $dest/current ]] || return 0
  old=$(version_of "$dest")
  old=${old:-unknown}
  rm -rf "$dest.migrate"
  mkdir -p "$dest.migrate/releases"
  mv "$dest" "$dest.migrate/releases/$old"
  mv "$dest.migrate" "$dest"
  switch_link current "$old"
  log "moved the installed picamd $old to $PREFIX/releases/$old"
}

install_picamd() {
  check_system
  ensure_rpicam

  local dest new version repair=0
  dest=$(in_root "$PREFIX")
  [[ -x $SRC/node/bin/node && -f $SRC/dist/main.js ]] || die "$SRC is not a picamd bundle (no node/bin/node or dist/main.js)"
  version=$(version_of "$SRC")
  [[ $version =~ ^[0-9A-Za-z.-]+$ ]] || die "$SRC/package.json names no version"

  # Stage the new version next to the running one; that keeps running until the config check has
  # passed and `current` is switched.
  new=$dest.install
  rm -rf "$new" "$dest/releases/.replaced"
  if [[ $SRC -ef $dest/releases/$version ]]; then
    new=$dest/releases/$version # re-running the installed copy: repair in place
    repair=1
  else
    mkdir -p "$new"
    cp -a "$SRC"/. "$new"/
    # The service runs as an unprivileged dynamic user: everything must be readable by others.
    chmod -R u+rwX,go+rX,go-w "$new"
  fi

  local config
  config=$(in_root "$CONFIG")
  if [[ -e $config ]]; then
    log "keeping your config $CONFIG"
  else
    install -D -m 644 "$new/config/default.json" "$config"
    log "wrote the default config to $CONFIG"
  fi

  local node facts rc=0
  node=$(node_cmd "$new")
  log "checking $CONFIG"
  # main.js reads its config from the path it is given; --root's tree is reached via $config.
  "$node" "$new/dist/main.js" --check-config --config "$config" >/dev/null || rc=$?
  if ((rc != 0)); then
    ((repair)) || rm -rf "$new"
    if ((rc == 78)); then die "$CONFIG is not valid (see above); nothing was changed. Fix it and run me again."; fi
    die "the config check failed to run (exit $rc); nothing was changed"
  fi
  facts=$("$node" "$new/deploy/config-facts.mjs" "$config") || die "could not read $CONFIG"
  local port gpio_line
  port=$(sed -n 's/^port=//p' <<< "$facts")
  gpio_line=$(sed -n 's/^gpio_line=//p' <<< "$facts")

  migrate_flat_install
  mkdir -p "$dest/releases" "$dest/bin"
  local running keep
  running=$(readlink "$dest/current" 2>/dev/null || true)
  running=${running##*/}
  if ((!repair)); then
    # The same version again (a repair from a bundle): the old copy goes once the new one is in place.
    [[ -e $dest/releases/$version ]] && mv "$dest/releases/$version" "$dest/releases/.replaced"
    mv "$new" "$dest/releases/$version"
  fi
  [[ -n $running && $running != "$version" && -d $dest/releases/$running ]] && switch_link previous "$running"
  switch_link current "$version"
  rm -rf "$dest/releases/.replaced"
  # Two releases on the card: the one running and the one to go back to.
  local previous
  previous=$(readlink "$dest/previous" 2>/dev/null || true)
  previous=${previous##*/}
  for keep in "$dest"/releases/*; do
    [[ ${keep##*/} == "$version" || ${keep##*/} == "$previous" ]] || rm -rf "$keep"
  done
  # A manual install ends any update on trial: this version is the one wanted.
  rm -f "$(in_root "$UPDATE_STATE")/trial"
  install -m 755 "$dest/current/deploy/picamd-update.sh" "$dest/bin/.picamd-update.tmp"
  mv -f "$dest/bin/.picamd-update.tmp" "$dest/bin/picamd-update"
  sync
  log "installed $(head -n1 "$dest/current/BUILD-INFO" 2>/dev/null || echo "picamd $version") in $PREFIX/releases/$version"

  # Each unit written next to its place and renamed over it (a cut leaves the old unit or the new
  # one); over a link the updater made to /opt/picamd/current/systemd/ (deploy/picamd-update.sh)
  # that replaces the link, never the release's file behind it. The updater links them again.
  local unit
  for unit in "$UNIT" "$SETUP_UNIT" "$UPDATE_UNIT" "$UPDATE_PATH" "$TZ_UNIT" "$TZ_PATH" "$WIFI_UNIT"; do
    install -D -m 644 "$dest/current/systemd/${unit##*/}" "$(in_root "$unit").tmp"
    mv -f "$(in_root "$unit").tmp" "$(in_root "$unit")"
  done
  install -D -m 644 "$dest/current/deploy/sysctl/60-picamd.conf" "$(in_root "$SYSCTL_CONF")"
  if [[ $LIVE == 1 ]]; then
    sysctl -q -p "$SYSCTL_CONF" || warn "could not apply $SYSCTL_CONF now; it applies at the next boot"
  fi
  if [[ -d $(in_root /etc/avahi) ]]; then
    mkdir -p "$(in_root /etc/avahi/services)"
    sed "s|<port>80</port>|<port>$port</port>|" "$dest/current/deploy/avahi/picamd.service" > "$(in_root "$AVAHI_SERVICE").tmp"
    mv "$(in_root "$AVAHI_SERVICE").tmp" "$(in_root "$AVAHI_SERVICE")"
    log "advertising http on port $port via Avahi (mDNS)"
  else
    warn "avahi-daemon is not installed: <hostname>.local will not resolve (apt-get install avahi-daemon)"
  fi

  local reboot_note=''
  if [[ $(edit_config_txt "$gpio_line") == changed ]]; then
    reboot_note=1
    log "config.txt: ${gpio_line:-removed the picamd lines}"
  fi
  if [[ $LIVE == 1 && -n $gpio_line ]] && command -v pinctrl >/dev/null; then
    # gpio=27=ip,pu -> pinctrl set 27 ip pu: the same now, without waiting for a reboot.
    local spec=${gpio_line#gpio=}
    pinctrl set "${spec%%=*}" ip "${spec##*,}" || true
  fi

  if [[ $LIVE == 0 ]]; then
    systemctl --root="$ROOT" enable picamd.service picamd-setup.service picamd-update.service picamd-update.path picamd-timezone.path picamd-wifi-rejoin.service
    log "enabled picamd.service, picamd-setup.service, the updater, the time zone and Wi-Fi helpers in $ROOT (they start at boot)"
    return
  fi
  systemctl daemon-reload
  systemctl enable picamd.service picamd-setup.service picamd-update.service
  systemctl enable --now picamd-update.path picamd-timezone.path
  systemctl enable --now picamd-wifi-rejoin.service || warn "could not start picamd-wifi-rejoin.service; it starts at the next boot"
  if [[ $START == 0 ]]; then
    log "enabled picamd.service; start it with: systemctl start picamd"
    return
  fi
  log "starting picamd"
  if ! systemctl restart picamd.service; then
    journalctl -u picamd.service -n 30 --no-pager || true
    die "picamd did not start (journal above)"
  fi
  systemctl try-reload-or-restart avahi-daemon.service 2>/dev/null || true

  local host suffix='' ip
  host=$(hostname)
  [[ $port != 80 ]] && suffix=":$port"
  log "picamd is running. Open http://$host.local$suffix/ in a browser"
  for ip in $(hostname -I 2>/dev/null); do
    [[ $ip == *:* ]] && continue
    log "  or http://$ip$suffix/"
  done
  [[ -n $reboot_note ]] && log "the GPIO pull resistor line in config.txt takes full effect after the next reboot"
  return 0
}

uninstall_picamd() {
  if [[ $LIVE == 1 ]]; then
    systemctl disable --now picamd-update.path picamd-update.service picamd.service 2>/dev/null || true
    systemctl disable --now picamd-timezone.path picamd-wifi-rejoin.service 2>/dev/null || true
    systemctl disable picamd-setup.service 2>/dev/null || true
  elif [[ -e $(in_root "$UNIT") ]]; then
    systemctl --root="$ROOT" disable picamd.service || true
    [[ -e $(in_root "$SETUP_UNIT") ]] && { systemctl --root="$ROOT" disable picamd-setup.service || true; }
    [[ -e $(in_root "$UPDATE_UNIT") ]] && { systemctl --root="$ROOT" disable picamd-update.service picamd-update.path || true; }
    [[ -e $(in_root "$TZ_PATH") ]] && { systemctl --root="$ROOT" disable picamd-timezone.path || true; }
    [[ -e $(in_root "$WIFI_UNIT") ]] && { systemctl --root="$ROOT" disable picamd-wifi-rejoin.service || true; }
  fi
  rm -f "$(in_root "$UNIT")" "$(in_root "$SETUP_UNIT")" "$(in_root "$UPDATE_UNIT")" "$(in_root "$UPDATE_PATH")" "$(in_root "$TZ_UNIT")" "$(in_root "$TZ_PATH")" "$(in_root "$WIFI_UNIT")" "$(in_root "$AVAHI_SERVICE")" "$(in_root "$SYSCTL_CONF")"
  rm -rf "$(in_root "$PREFIX")" "$(in_root "$PREFIX").new" "$(in_root "$PREFIX").old" "$(in_root "$PREFIX").migrate" "$(in_root "$PREFIX").install" "$(in_root "$UPDATE_STATE")"
  edit_config_txt '' >/dev/null
  if [[ $LIVE == 1 ]]; then
    systemctl daemon-reload
    systemctl try-reload-or-restart avahi-daemon.service 2>/dev/null || true
  fi
  log "removed picamd; kept your config in /etc/picamd and its state in /var/lib/picamd"
}

if [[ $ACTION == uninstall ]]; then uninstall_picamd; else install_picamd; fi
