#!/usr/bin/env bash
# picamd's root-owned updater, installed as /opt/picamd/bin/picamd-update. It lives outside the
# releases and is replaced only when a new version has committed, so a broken version on trial
# cannot break its own rollback.
#
#   picamd-update run          (picamd-update.service: started by picamd-update.path when picamd
#                              leaves update/request.update in its state directory, and at boot)
#       Resumes a trial that a power cut interrupted; otherwise checks the request with the
#       running release (verify-update --bundle-out: signature, hash, listing, version rules) into
#       a root-only copy, unpacks that copy with GNU tar into releases/<version>, switches
#       `current` (and `previous`) by atomic rename, restarts picamd and watches the trial: it
#       commits when picamd is ready (READY=1, sent once its HTTP server listens), has reported its
#       camera's first outcome (STATUS=camera: first frame, or the camera's own reason there is
#       none: no camera, privacy mode) and stays up for the settle time; it rolls back when
#       picamd crashes, restarts, or is not ready, or has not reported its camera, in time.
#       A request.allow-downgrade beside it (the owner confirmed an older version on the page) lets
#       the check accept a downgrade; request.rollback ("Go back to <previous>") switches to the
#       `previous` release and tries it the same way.
#   picamd-update start-check  (ExecStartPre=+ of picamd.service, before every start)
#       Counts the starts of a version on trial and switches back to the previous one, before
#       picamd starts, once there were more than the allowed number (crash loops, a watchdog
#       that keeps firing, power cuts in the middle of a trial).
#
# Units: every unit of a release but the updater's own is linked into /etc/systemd/system as
#   /opt/picamd/current/systemd/<unit>, so the one rename that switches `current` switches the
#   units with it, and a power cut at any moment leaves a release and its own units; a unit new in
#   a release is linked and enabled before the switch (its link dangles, which systemd ignores,
#   until `current` points at it) and loses its links once `current` no longer has it. The
#   updater's units (picamd-update.service/.path) go with the updater: replaced at a commit only.
#   install.sh copies the units; the updater turns those copies into links whenever it runs outside
#   a trial (every boot, every update), and leaves a unit the owner masked (a link to /dev/null).
# Files outside the install root (install.sh puts them there first; apply_system_files keeps them
#   in step with `current` after every switch, every rollback and every run at boot):
#   /etc/sysctl.d/60-picamd.conf and /etc/apt/apt.conf.d/52picamd-unattended-upgrades are links
#   to /opt/picamd/current/deploy/..., as the units are (systemd-sysctl and apt follow a link), so
#   the switch of `current` switches them; the apt file only where the owner has it (the image's
#   security updates); a changed sysctl file is applied by restarting systemd-sysctl.service.
#   /etc/avahi/services/picamd.service (its port is the config's, so a copy) and picamd's marked
#   block of config.txt (the lines between "# BEGIN picamd" and "# END picamd"; nothing else of the
#   file is touched) are written from `current`, with the facts its own deploy/config-facts.mjs
#   reads from /etc/picamd/config.json. The block takes effect at the next reboot.
# Layout (install.sh makes it):  /opt/picamd/releases/<version>/  /opt/picamd/current -> releases/<v>
#   /opt/picamd/previous -> releases/<v>   /opt/picamd/bin/picamd-update
# State: /var/lib/picamd-update/trial (version, from, starts) while a version is on trial, and
# status.json (state, version, from, reason, at), which picamd reads. Root writes nothing in
# picamd's own folder (a link picamd put there could point a root write anywhere); it only reads
# the request from there and removes it.
# Environment (tests): PICAMD_ROOT (a prefix for every path), PICAMD_SYSTEMCTL, PICAMD_DF,
#   PICAMD_UPDATE_RESERVE_MB (32),
#   PICAMD_TRIAL_MAX_STARTS (3), PICAMD_TRIAL_READY_SECONDS (150), PICAMD_TRIAL_SETTLE_SECONDS (30).
set -euo pipefail

ROOT=${PICAMD_ROOT:-}
PREFIX=$ROOT/opt/picamd
STATE=$ROOT/var/lib/picamd-update
INBOX=$ROOT/var/lib/private/picamd/update
REQUEST=$INBOX/request.update
DOWNGRADE=$INBOX/request.allow-downgrade
ROLLBACK=$INBOX/request.rollback
TRIAL=$STATE/trial
SYSTEMCTL=${PICAMD_SYSTEMCTL:-systemctl}
DF=${PICAMD_DF:-df}
# Kept free on the card beyond a new release (settings, accounts, the journal).
RESERVE_MB=${PICAMD_UPDATE_RESERVE_MB:-32}
MAX_STARTS=${PICAMD_TRIAL_MAX_STARTS:-3}
# picamd.service allows 90 s to start (TimeoutStartSec=); a version not ready well after that is not coming.
READY_SECONDS=${PICAMD_TRIAL_READY_SECONDS:-150}
SETTLE_SECONDS=${PICAMD_TRIAL_SETTLE_SECONDS:-30}
UNIT=picamd.service
UNITDIR=$ROOT/etc/systemd/system
UPDATER_UNITS='picamd-update.service picamd-update.path'
UNITS_LINKED=0
CONFIG=$ROOT/etc/picamd/config.json
SYSCTL_CONF=$ROOT/etc/sysctl.d/60-picamd.conf
APT_CONF=$ROOT/etc/apt/apt.conf.d/52picamd-unattended-upgrades
AVAHI_SERVICE=$ROOT/etc/avahi/services/picamd.service
# As install.sh writes them (edit_config_txt there).
BLOCK_BEGIN='# BEGIN picamd'
BLOCK_END='# END picamd'

log() { printf 'picamd-update: %s\n' "$*" >&2; }

# One state change at a time; held only for short steps, never while waiting on picamd (whose
# start runs start-check, which takes this lock too).
lock() { exec 8>"$STATE/lock"; flock -w 60 8 || { log "the update lock is held by someone else"; exit 1; }; }
unlock() { flock -u 8; exec 8>&-; }

# Writes a file whole or not at all: temporary name, fsync, rename, fsync of the folder.
write_file() {
  local path=$1 tmp=$1.tmp
  cat > "$tmp"
  sync "$tmp"
  mv -f "$tmp" "$path"
  sync "$(dirname "$path")"
}

# Points a link of /opt/picamd at releases/$2, by rename over the old link (atomic).
switch_link() {
  ln -sfn "releases/$2" "$PREFIX/.$1.tmp"
  mv -Tf "$PREFIX/.$1.tmp" "$PREFIX/$1"
}

link_version() { local t; t=$(readlink "$PREFIX/$1" 2>/dev/null) || return 0; printf '%s' "${t##*/}"; }

json_string() { printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

# status STATE VERSION FROM REASON: what picamd shows about the last update.
status() {
  log "$1${2:+ $2}${4:+: $4}"
  printf '{"state":%s,"version":%s,"from":%s,"reason":%s,"at":%s}\n' "$(json_string "$1")" "$(json_string "${2:-}")" \
    "$(json_string "${3:-}")" "$(json_string "${4:-}")" "$(json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" | write_file "$STATE/status.json"
}

# The units a release brings (picamd*.service/.path/.timer/.socket), but the updater's own.
release_units() {
  local f name
  for f in "$1"/systemd/picamd*; do
    name=${f##*/}
    [[ -f $f && $name =~ ^picamd[a-z0-9-]*\.(service|path|timer|socket)$ && " $UPDATER_UNITS " != *" $name "* ]] && printf '%s\n' "$name"
  done
  return 0
}

# Links the units of releases/$1 to /opt/picamd/current/systemd/ (each link made next to its place
# and renamed over it); a unit that was not installed is enabled as its [Install] WantedBy= says.
link_units() {
  local name link target wanted new
  for name in $(release_units "$PREFIX/releases/$1"); do
    link=$UNITDIR/$name
    target=/opt/picamd/current/systemd/$name
    [[ -L $link && $(readlink "$link") == "$target" ]] && continue
    [[ -L $link && $(readlink "$link") == /dev/null ]] && continue # masked by the owner
    mkdir -p "$UNITDIR"
    UNITS_LINKED=1
    new=1
    [[ -e $link || -L $link ]] && new=0
    ln -sfn "$target" "$UNITDIR/.$name.tmp"
    mv -Tf "$UNITDIR/.$name.tmp" "$link"
    if ((new)); then
      for wanted in $(sed -n 's/^WantedBy=//p' "$PREFIX/releases/$1/systemd/$name"); do
        mkdir -p "$UNITDIR/$wanted.wants"
        ln -sfn "/etc/systemd/system/$name" "$UNITDIR/$wanted.wants/$name"
      done
      log "unit $name: new in $1, enabled"
    fi
  done
  ((UNITS_LINKED == 0)) || sync "$UNITDIR"
}

# Removes the links of units that `current` does not have (a rolled-back or replaced release's
# helper), stopped first, and where they were enabled.
tidy_units() {
  local link name
  for link in "$UNITDIR"/picamd*; do
    [[ -L $link && $(readlink "$link") == /opt/picamd/current/systemd/* ]] || continue
    name=${link##*/}
    [[ -e $PREFIX/current/systemd/$name ]] && continue
    "$SYSTEMCTL" stop --no-block "$name" 2> /dev/null || true
    rm -f "$link" "$UNITDIR"/*.wants/"$name"
    log "unit $name: not in $(link_version current), removed"
  done
  sync "$UNITDIR" 2> /dev/null || true
}

# systemd reads the units of the release `current` names, and starts its enabled path and timer
# units (a helper new in this release).
reload_units() {
  local name
  "$SYSTEMCTL" daemon-reload || { log "systemctl daemon-reload failed"; return 0; }
  for name in $(release_units "$PREFIX/current"); do
    [[ $name == *.path || $name == *.timer ]] || continue
    "$SYSTEMCTL" is-enabled -q "$name" 2> /dev/null && { "$SYSTEMCTL" start --no-block "$name" || true; }
  done
  return 0
}

# The updater's own units, from the committed release, with the updater itself.
install_updater_units() {
  local name
  for name in $UPDATER_UNITS; do
    [[ -f $PREFIX/current/systemd/$name ]] || continue
    install -m 644 "$PREFIX/current/systemd/$name" "$UNITDIR/.$name.tmp"
    mv -f "$UNITDIR/.$name.tmp" "$UNITDIR/$name"
  done
  sync "$UNITDIR"
}

# Makes $1 a link to $2 (a path under /opt/picamd/current), renamed over what is there; leaves a
# file the owner masked (a link to /dev/null). True when it changed.
link_system_file() {
  local dest=$1 target=$2
  [[ -L $dest && ( $(readlink "$dest") == "$target" || $(readlink "$dest") == /dev/null ) ]] && return 1
  mkdir -p "$(dirname "$dest")"
  ln -sfn "$target" "$dest.picamd-tmp"
  mv -Tf "$dest.picamd-tmp" "$dest"
  sync "$(dirname "$dest")"
  log "$dest: now a link to $target"
}

# Replaces $1 with stdin when it differs: a temporary file beside it, fsync'd, renamed over it.
# True when it changed.
replace_if_changed() {
  local dest=$1 tmp=$1.picamd-tmp
  cat > "$tmp" 2> /dev/null || { rm -f "$tmp"; log "cannot write $tmp; $dest is left as it is"; return 1; }
  if cmp -s "$tmp" "$dest"; then rm -f "$tmp"; return 1; fi
  [[ -e $dest ]] && chmod --reference="$dest" "$tmp" 2> /dev/null
  sync "$tmp"
  mv -f "$tmp" "$dest" || { rm -f "$tmp"; log "cannot replace $dest; it is left as it is"; return 1; }
  sync "$(dirname "$dest")" || true
}

# The files outside the install root, as `current` has them (see the header). Never fails: a
# file that cannot be written is logged and the update goes on (picamd itself does not need them);
# run in a subshell, so no step's failure can end the updater in the middle of a switch.
apply_system_files() {
  (apply_system_files_now) || log "the files outside $PREFIX were not all brought in step with $(link_version current)"
  return 0
}

apply_system_files_now() {
  local rel=$PREFIX/current facts='' port='' gpio_line='' config_txt sum
  [[ -d $rel/deploy ]] || return 0
  if [[ -f $rel/deploy/sysctl/60-picamd.conf ]]; then
    link_system_file "$SYSCTL_CONF" /opt/picamd/current/deploy/sysctl/60-picamd.conf || true
    sum=$(sha256sum < "$rel/deploy/sysctl/60-picamd.conf" | cut -c1-64)
    if [[ $(cat "$STATE/sysctl.applied" 2> /dev/null) != "$sum" ]]; then
      "$SYSTEMCTL" restart --no-block systemd-sysctl.service 2> /dev/null || log "could not restart systemd-sysctl: the sysctl values apply at the next boot"
      printf '%s\n' "$sum" | write_file "$STATE/sysctl.applied"
    fi
  fi
  if [[ -f $rel/deploy/apt/52picamd-unattended-upgrades && ( -e $APT_CONF || -L $APT_CONF ) ]]; then
    link_system_file "$APT_CONF" /opt/picamd/current/deploy/apt/52picamd-unattended-upgrades || true
  fi
  if [[ -x $rel/node/bin/node && -f $rel/deploy/config-facts.mjs ]]; then
    facts=$(timeout 120 "$rel/node/bin/node" "$rel/deploy/config-facts.mjs" "$CONFIG" 2> /dev/null) \
      || { log "$CONFIG: config-facts.mjs of $(link_version current) failed; the Avahi service and config.txt are left as they are"; return 0; }
    port=$(sed -n 's/^port=//p' <<< "$facts")
    gpio_line=$(sed -n 's/^gpio_line=//p' <<< "$facts")
  fi
  [[ $port =~ ^[0-9]+$ ]] || return 0
  if [[ -f $rel/deploy/avahi/picamd.service && -d $ROOT/etc/avahi ]]; then
    mkdir -p "$(dirname "$AVAHI_SERVICE")"
    if sed "s|<port>80</port>|<port>$port</port>|" "$rel/deploy/avahi/picamd.service" | replace_if_changed "$AVAHI_SERVICE"; then
      log "$AVAHI_SERVICE: from $(link_version current)"
      "$SYSTEMCTL" try-reload-or-restart --no-block avahi-daemon.service 2> /dev/null || true
    fi
  fi
  config_txt=$ROOT/boot/firmware/config.txt
  [[ -f $config_txt ]] || config_txt=$ROOT/boot/config.txt
  [[ -f $config_txt ]] || return 0
  if config_txt_with_block "$config_txt" "$gpio_line" | replace_if_changed "$config_txt"; then
    log "$config_txt: picamd's lines from $(link_version current) (${gpio_line:-none}); they take effect at the next reboot"
  fi
  return 0
}

# config.txt ($1) with picamd's block holding $2 (nothing: without the block), as install.sh writes it.
config_txt_with_block() {
  local out
  out=$(awk -v b="$BLOCK_BEGIN" -v e="$BLOCK_END" 'index($0, b) == 1 { skip = 1 } !skip { print } index($0, e) == 1 { skip = 0 }' "$1"; printf x)
  out=${out%x}
  printf '%s' "$out"
  if [[ -n $2 ]]; then
    [[ -n $out && ${out: -1} != $'\n' ]] && printf '\n'
    # [all]: the lines before may end inside a model section such as [pi4].
    printf '%s (written by picamd; follows gpio.privacy in %s)\n[all]\n%s\n%s\n' "$BLOCK_BEGIN" "${CONFIG#"$ROOT"}" "$2" "$BLOCK_END"
  fi
}

trial_value() { sed -n "s/^$1=//p" "$TRIAL" 2>/dev/null | head -n1; }

write_trial() { printf 'version=%s\nfrom=%s\nstarts=%s\n' "$1" "$2" "$3" | write_file "$TRIAL"; }

# Switches back to the version the trial came from. With "restart", starts it (not from start-check,
# which runs inside picamd's own start). Caller holds the lock.
roll_back_locked() {
  local reason=$1 restart=$2 version from
  version=$(trial_value version)
  from=$(trial_value from)
  if [[ -n $from && -d $PREFIX/releases/$from ]]; then
    switch_link current "$from"
    rm -f "$PREFIX/previous"
    sync "$PREFIX"
  fi
  rm -f "$TRIAL"
  sync "$STATE"
  tidy_units
  apply_system_files
  status rolled-back "$version" "$from" "$reason"
  [[ -n $version && $version != "$from" ]] && rm -rf "$PREFIX/releases/$version"
  # From start-check (inside picamd's own start) systemd is not asked to reload: `run` does that
  # once picamd started (refresh_units).
  if [[ $restart == restart ]]; then reload_units; "$SYSTEMCTL" restart --no-block "$UNIT" || true; fi
}

commit_locked() {
  local version from keep
  version=$(trial_value version)
  from=$(trial_value from)
  rm -f "$TRIAL"
  sync "$STATE"
  # The committed version's updater becomes the one that runs the next update.
  if [[ -f $PREFIX/current/deploy/picamd-update.sh ]]; then
    install -m 755 "$PREFIX/current/deploy/picamd-update.sh" "$PREFIX/bin/.picamd-update.tmp"
    mv -f "$PREFIX/bin/.picamd-update.tmp" "$PREFIX/bin/picamd-update"
    install_updater_units
  fi
  tidy_units
  reload_units
  # Two releases on the card: the one running and the one to go back to.
  for keep in "$PREFIX"/releases/*; do
    [[ ${keep##*/} == "$version" || ${keep##*/} == "$from" ]] || rm -rf "$keep"
  done
  sync "$PREFIX"
  status committed "$version" "$from" ''
}

# picamd's state as systemd has it: ActiveState SubState NRestarts InvocationID (systemctl show
# prints properties in its own order, so they are picked by name).
unit_state() {
  local shown
  shown=$("$SYSTEMCTL" show "$UNIT" -p ActiveState -p SubState -p NRestarts -p InvocationID)
  printf '%s %s %s %s\n' "$(sed -n 's/^ActiveState=//p' <<< "$shown")" "$(sed -n 's/^SubState=//p' <<< "$shown")" \
    "$(sed -n 's/^NRestarts=//p' <<< "$shown")" "$(sed -n 's/^InvocationID=//p' <<< "$shown")"
}

# Whether picamd reported its camera's first outcome (its STATUS= line starts with "camera: ").
camera_reported() {
  [[ $("$SYSTEMCTL" show "$UNIT" --value -p StatusText 2>/dev/null) == 'camera: '* ]]
}

# Waits for the version on trial to prove itself, then commits or rolls back. $1: picamd's
# invocation before the switch (its instance is not the one on trial).
watch_trial() {
  local old_invocation=${1:-} version now deadline healthy_since='' invocation='' active sub restarts id
  version=$(trial_value version)
  deadline=$(($(date +%s) + READY_SECONDS))
  while [[ -f $TRIAL ]]; do
    now=$(date +%s)
    read -r active sub restarts id < <(unit_state) || true
    if [[ -n $id && $id != "$old_invocation" ]]; then
      if [[ $active == active && $sub == running ]]; then
        if [[ -z $invocation ]]; then
          invocation=$id
          healthy_since=$now
          status checking "$version" "$(trial_value from)" ''
        elif [[ $id != "$invocation" ]]; then
          lock; [[ -f $TRIAL ]] && roll_back_locked "picamd $version restarted during its trial (it crashed or its watchdog fired)" restart; unlock; return
        elif ((now - healthy_since >= SETTLE_SECONDS)) && camera_reported; then
          lock; [[ -f $TRIAL ]] && commit_locked; unlock; return
        elif ((now > deadline)) && ! camera_reported; then
          lock; [[ -f $TRIAL ]] && roll_back_locked "picamd $version did not report its camera (a first frame, or why there is none) within $READY_SECONDS s" restart; unlock; return
        fi
      elif [[ -n $invocation ]]; then
        lock; [[ -f $TRIAL ]] && roll_back_locked "picamd $version stopped during its trial ($active/$sub)" restart; unlock; return
      elif [[ ${restarts:-0} != 0 || $active == failed ]]; then
        lock; [[ -f $TRIAL ]] && roll_back_locked "picamd $version did not start: it exited or was not ready in time, and systemd had to restart it ($restarts restarts)" restart; unlock; return
      fi
    fi
    if [[ -z $invocation ]] && ((now > deadline)); then
      lock; [[ -f $TRIAL ]] && roll_back_locked "picamd $version was not ready within $READY_SECONDS s" restart; unlock; return
    fi
    sleep 1
  done
  log "the trial of $version ended elsewhere (start-check)"
}

free_bytes() { "$DF" -B1 --output=avail "$PREFIX/releases" | tail -n1 | tr -d ' '; }

# Room for the new release beside the running one before it is unpacked: its size from the check's
# listing ($3, verify-update's messages), a block per entry, and a reserve, so that an update never
# fills the card picamd saves its settings on. When short, the releases other than the running one
# go first (the previous one: the switch makes the running one previous anyway, and a rollback
# returns to the running one), unless even that would not make room; then the update is refused.
# A root partition never grown (an image on a card without its first-boot resize) has room for
# little more than two releases.
make_room() {
  local version=$1 current=$2 entries unpacked need free others=() release removable=0
  read -r entries unpacked < <(sed -n 's/.*; \([0-9]*\) entries, \([0-9.]*\) MB unpacked$/\1 \2/p' "$3") || true
  [[ -n ${unpacked:-} ]] || { log "the check did not say the unpacked size; unpacking without a space check"; return 0; }
  need=$(awk -v mb="$unpacked" -v n="$entries" -v reserve=$((RESERVE_MB * 1048576)) 'BEGIN { printf "%d", mb * 1e6 + n * 4096 + reserve }')
  free=$(free_bytes) || { log "cannot read the free space of $PREFIX"; return 0; }
  ((free >= need)) && return 0
  for release in "$PREFIX"/releases/*; do
    [[ -d $release && ${release##*/} != "$current" ]] && others+=("$release")
  done
  ((${#others[@]} == 0)) || removable=$(du -s -B1 "${others[@]}" | awk '{ s += $1 } END { printf "%d", s }')
  if ((free + removable >= need)); then
    for release in "${others[@]}"; do
      [[ $(link_version previous) == "${release##*/}" ]] && { rm -f "$PREFIX/previous"; sync "$PREFIX"; }
      rm -rf "$release"
      log "removed release ${release##*/} to make room for $version"
    done
    others=()
    sync "$PREFIX"
    free=$(free_bytes) || free=0
    ((free >= need)) && return 0
  fi
  status refused "$version" "$current" "not enough space on the card: $version needs $((need / 1048576)) MB, $((free / 1048576)) MB are free$( ((${#others[@]} == 0)) || printf ' (%d MB more in the releases besides %s)' $((removable / 1048576)) "$current")"
  return 1
}

apply_request() {
  local current work version out reason stage
  current=$(link_version current)
  [[ -n $current && -x $PREFIX/current/node/bin/node ]] || { status refused '' '' "no current release in $PREFIX"; rm -f "$REQUEST"; return; }
  work=$STATE/work
  rm -rf "$work" "$PREFIX/releases/.staging"
  mkdir -m 700 "$work"
  status verifying '' "$current" ''
  # The owner's confirmation of a downgrade: only a regular file, and only for this request.
  local allow=()
  [[ -f $DOWNGRADE && ! -L $DOWNGRADE ]] && allow=(--allow-downgrade)
  rm -f "$DOWNGRADE"
  # Checked by the release that runs now (never by the one arriving), into a copy only root can change.
  if ! out=$("$PREFIX/current/node/bin/node" "$PREFIX/current/dist/main.js" verify-update "$REQUEST" --bundle-out "$work/bundle.tar.gz" "${allow[@]}" 2> "$work/messages"); then
    reason=$(grep -m1 ' is refused: ' "$work/messages" | sed 's/^.* is refused: //')
    rm -f "$REQUEST"
    rm -rf "$work"
    status refused '' "$current" "${reason:-the check failed: $(tail -n1 "$work/messages" 2>/dev/null)}"
    return
  fi
  rm -f "$REQUEST"
  version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' <<< "$out")
  [[ $version =~ ^[0-9A-Za-z.-]+$ ]] || { status refused '' "$current" "no version in the manifest"; rm -rf "$work"; return; }
  make_room "$version" "$current" "$work/messages" || { rm -rf "$work"; return; }
  status installing "$version" "$current" ''
  stage=$PREFIX/releases/.staging
  mkdir -p "$stage"
  # The listing was checked on this very copy; tar then writes it as root without the archive's
  # owners or permission bits beyond the umask, into a fresh folder.
  if ! (umask 022 && tar --extract --gzip --file "$work/bundle.tar.gz" --directory "$stage" \
    --no-same-owner --no-same-permissions --no-overwrite-dir --delay-directory-restore 2> "$work/tar"); then
    status refused "$version" "$current" "unpacking failed: $(head -n1 "$work/tar")"
    rm -rf "$stage" "$work"
    return
  fi
  if [[ ! -x $stage/picamd-$version/node/bin/node || ! -f $stage/picamd-$version/dist/main.js ]]; then
    status refused "$version" "$current" "the bundle has no node/bin/node or dist/main.js"
    rm -rf "$stage" "$work"
    return
  fi
  rm -rf "$PREFIX/releases/$version"
  mv "$stage/picamd-$version" "$PREFIX/releases/$version"
  rm -rf "$stage" "$work"
  sync
  link_units "$version"
  # The trial is written before the switch: whatever a power cut leaves, start-check finds out.
  local invocation
  invocation=$("$SYSTEMCTL" show "$UNIT" --value -p InvocationID || true)
  lock
  write_trial "$version" "$current" 0
  switch_link previous "$current"
  switch_link current "$version"
  sync "$PREFIX"
  unlock
  apply_system_files
  status trial "$version" "$current" ''
  reload_units
  "$SYSTEMCTL" restart --no-block "$UNIT"
  watch_trial "$invocation"
}

# "Go back to <previous>": the previous release becomes current on trial, as an update would; the
# one it replaces stays as previous, so a failing old version comes back to it by itself.
apply_rollback() {
  local current previous invocation
  current=$(link_version current)
  previous=$(link_version previous)
  rm -f "$ROLLBACK"
  if [[ -z $previous || $previous == "$current" || ! -x $PREFIX/releases/$previous/node/bin/node ]]; then
    status refused '' "$current" "there is no previous version to go back to"
    return
  fi
  invocation=$("$SYSTEMCTL" show "$UNIT" --value -p InvocationID || true)
  link_units "$previous"
  lock
  write_trial "$previous" "$current" 0
  switch_link previous "$current"
  switch_link current "$previous"
  sync "$PREFIX"
  unlock
  apply_system_files
  status trial "$previous" "$current" ''
  reload_units
  "$SYSTEMCTL" restart --no-block "$UNIT"
  watch_trial "$invocation"
}

# A power cut between writing the trial and the switch, or inside a rollback: `current` says which
# version runs, and the trial is over. Caller holds the lock; true when it was so.
settle_interrupted_locked() {
  local version
  version=$(trial_value version)
  [[ $(link_version current) != "$version" ]] || return 1
  rm -f "$TRIAL"
  sync "$STATE"
  tidy_units
  apply_system_files
  [[ -n $version ]] && rm -rf "$PREFIX/releases/$version"
  status rolled-back "$version" "$(trial_value from)" "the update was interrupted (power cut?) before it ran"
}

# After a rollback inside picamd's start (start-check), or a power cut between a switch and systemd's
# reload: systemd still has the other release's units loaded. Reloaded here, and picamd restarted
# once under its own unit when that unit changed on disk. The first run of this updater (at the
# boot after the commit that installed it) also turns install.sh's copies into links and brings
# in a unit the release has and the system lacks (a helper new in it).
refresh_units() {
  local name changed='' picamd_changed=0
  [[ -f $TRIAL ]] && return 0
  [[ -n $(link_version current) ]] && link_units "$(link_version current)"
  tidy_units
  # After a power cut between a switch and these files, and after install.sh's copies: in step again.
  apply_system_files
  for name in $(release_units "$PREFIX/current"); do
    if [[ $("$SYSTEMCTL" show "$name" --value -p NeedDaemonReload 2> /dev/null) == yes ]]; then
      changed+=" $name"
      [[ $name == "$UNIT" ]] && picamd_changed=1
    fi
  done
  [[ -n $changed || $UNITS_LINKED == 1 ]] || return 0
  log "units changed on disk:${changed:- new links}; reloading"
  reload_units
  if ((picamd_changed)); then "$SYSTEMCTL" try-restart --no-block "$UNIT" || true; fi
}

start_check() {
  [[ -f $TRIAL ]] || return 0
  lock
  [[ -f $TRIAL ]] || { unlock; return 0; }
  if settle_interrupted_locked; then unlock; return 0; fi
  local version starts
  version=$(trial_value version)
  starts=$(trial_value starts)
  starts=$((${starts:-0} + 1))
  if ((starts > MAX_STARTS)); then
    roll_back_locked "picamd $version did not stay up in $MAX_STARTS starts" no-restart
  else
    write_trial "$version" "$(trial_value from)" "$starts"
    log "start $starts of $MAX_STARTS of picamd $version on trial"
  fi
  unlock
}

mkdir -p -m 755 "$STATE"
case ${1:-} in
  run)
    # A power cut while checking or unpacking: `current` was never switched; the leftovers go.
    if [[ ! -f $TRIAL ]] && grep -qE '"state":"(verifying|installing)"' "$STATE/status.json" 2>/dev/null; then
      rm -rf "$STATE/work" "$PREFIX/releases/.staging"
      status failed '' "$(link_version current)" "the update was interrupted (power cut?) before it was installed; nothing was changed"
    fi
    if [[ -f $TRIAL ]]; then
      lock
      if settle_interrupted_locked; then unlock; else
        unlock
        log "resuming the trial of $(trial_value version)"
        watch_trial ''
      fi
    fi
    # A regular file only: not a link to something root can read, not a FIFO that never ends.
    if [[ -L $REQUEST || -e $REQUEST && ! -f $REQUEST ]]; then
      rm -f "$REQUEST"
      status refused '' "$(link_version current)" "request.update is not a regular file"
    elif [[ -f $REQUEST ]]; then
      apply_request
    elif [[ -L $ROLLBACK || -e $ROLLBACK && ! -f $ROLLBACK ]]; then
      rm -f "$ROLLBACK"
      status refused '' "$(link_version current)" "request.rollback is not a regular file"
    elif [[ -f $ROLLBACK ]]; then
      apply_rollback
    fi
    refresh_units
    ;;
  start-check) start_check ;;
  *) printf 'usage: picamd-update run | start-check\n' >&2; exit 2 ;;
esac
