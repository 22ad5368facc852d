#!/usr/bin/env bash
# Updates under a real systemd (this machine's own, booted as PID 1 of a systemd-nspawn container as
# deploy/test-systemd.sh does), with the real units (picamd.service, picamd-update.path/.service),
# the real updater (deploy/picamd-update.sh) and signed update files of this machine's architecture
# (the built dist/, production node_modules, a node wrapper; the simulated camera):
#   A installed from copies of its units (and of its sysctl and apt files), without the time zone
#   helper's -> the updater's run at boot links them to current's and brings the helper in;
#   a signed B arrives -> B runs and commits;
#   "go back" from the page's API -> A runs on trial and commits, and forward again to B;
#   an older version uploaded without the owner's confirmation -> 409, nothing changes; with it,
#   it is installed and commits, and B comes back as an update;
#   a C that crashes at start, uploaded through POST /api/update -> rolled back by itself, B serves,
#   the reason in the status, and the unit and the helper unit it brought are gone from systemd;
#   a C that never becomes ready -> rolled back;
#   a C that is ready but never reports its camera's first frame (or why none) -> rolled back;
#   a tampered file -> refused, nothing on disk changed;
#   a D whose picamd.service differs and that brings a helper unit -> after its commit systemd runs
#   D's unit and the helper is enabled and active, and D's updater (its script and its own units)
#   replaced B's; "go back" -> B's unit again, the helper gone, B's updater back;
#   an E whose settings and accounts formats are one step newer and whose files outside the install
#   root differ (sysctl, apt, Avahi, its config.txt line), on trial: the owner changes the password
#   and turns open viewing off, E crashes and is rolled back -> B reads its copies (settings
#   readable, open viewing still off, the new password works, the old one not), and B's files
#   outside the install root are back (config.txt byte for byte);
#   the whole container SIGKILLed while unpacking, and while a version is on trial, then booted
#   again -> a working version each time.
# What a real power cut adds (the SD card losing writes the kernel had not flushed) only a Pi shows;
# here the "cut" kills every process of the machine, with /opt/picamd and /var/lib kept.
# Needs root, systemd-container, a built dist/. Prints SKIP and exits 0 when this machine cannot
# boot a systemd container; every check after that is strict. The summary is the last line.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
log() { printf 'test-update: %s\n' "$*"; }
fail() { printf 'test-update: FAIL: %s\n' "$*" >&2; exit 1; }
t0=$(date +%s)
passed=0

[[ $(id -u) == 0 ]] || fail "needs root"
command -v systemd-nspawn >/dev/null || fail "systemd-nspawn not found (apt-get install systemd-container)"
[[ -f $REPO/dist/main.js ]] || fail "no dist/main.js (npm run build)"

WORK=$(mktemp -d /tmp/picamd-update.XXXXXX)
HOSTROOT=$WORK/hostroot
# What survives a "power cut": the install, picamd's and the updater's state, the config.
PERSIST=$WORK/persist
MACHINE=picamd-update-$$
NSPAWN_PID=''
INIT=''
stop_container() {
  if [[ -n $NSPAWN_PID ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    kill -TERM "$NSPAWN_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  fi
  NSPAWN_PID=''
}
cleanup() {
  stop_container
  mountpoint -q "$HOSTROOT" && umount "$HOSTROOT"
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- Releases and update files, made on this machine ----------------------------------------------
mkdir -p "$HOSTROOT" "$WORK/share" "$WORK/build" "$PERSIST"/{opt,private,update-state,etc,sysctl,apt,avahi,boot}
# /etc/systemd/system survives a cut too (the links the updater makes there): this machine's own, copied.
cp -a /etc/systemd/system "$PERSIST/units"
chmod 700 "$PERSIST/private"
chmod 755 "$PERSIST/update-state"
openssl genpkey -algorithm ed25519 -out "$WORK/signing.pem" 2>/dev/null
openssl pkey -in "$WORK/signing.pem" -pubout -out "$WORK/release.pem"
abi=$(node -p process.versions.modules)
arch=$(node -p process.arch)

# A release like the bundle, runnable here: $1 version, $2 what it is (picamd; bulk: picamd with 8000
# more files; crash and hang: a main.js that exits at once, or never says it is ready; newer: picamd
# whose settings and accounts formats are one step newer, whose files outside the install root are
# marked, and which never reports its camera, so it stays on trial); $3 "units": its picamd.service
# has one more line, it brings a helper unit (picamd-probe.path/.service), and its updater (script
# and units) is marked.
make_release() {
  local version=$1 kind=$2 dir=$WORK/build/picamd-$1
  mkdir -p "$dir/node/bin" "$dir/node_modules" "$dir/systemd" "$dir/deploy" "$dir/keys" "$dir/config"
  cp -r "$REPO/dist" "$dir/dist"
  sed "s/^  \"version\": \".*\",$/  \"version\": \"$version\",/" "$REPO/package.json" > "$dir/package.json"
  for m in onoff epoll bindings file-uri-to-path zod uWebSockets.js; do
    [[ -d $REPO/node_modules/$m ]] && cp -r "$REPO/node_modules/$m" "$dir/node_modules/"
  done
  find "$dir/node_modules/uWebSockets.js" -name '*.node' ! -name "uws_linux_${arch}_$abi.node" -delete
  printf '#!/bin/sh\nexec %s "$@"\n' "$(command -v node)" > "$dir/node/bin/node"
  chmod 755 "$dir/node/bin/node"
  cp "$REPO"/systemd/*.service "$REPO"/systemd/*.path "$dir/systemd/"
  if [[ ${3:-} == units ]]; then
    sed -i "s/^Environment=NODE_ENV=production\$/&\nEnvironment=PICAMD_UNIT_MARK=$version/" "$dir/systemd/picamd.service"
    grep -q "^Environment=PICAMD_UNIT_MARK=$version$" "$dir/systemd/picamd.service" || fail "could not mark picamd.service of $version"
    printf '[Unit]\nDescription=picamd test: a helper new in %s\n\n[Path]\nPathExists=/run/picamd-probe\n\n[Install]\nWantedBy=paths.target\n' "$version" > "$dir/systemd/picamd-probe.path"
    printf '[Unit]\nDescription=picamd test: a helper new in %s\n\n[Service]\nType=oneshot\nExecStart=/bin/true\n' "$version" > "$dir/systemd/picamd-probe.service"
  fi
  install -m 755 "$REPO/deploy/picamd-update.sh" "$dir/deploy/picamd-update.sh"
  # The files outside the install root, as deploy/bundle.sh puts them in the bundle.
  mkdir -p "$dir/deploy/sysctl" "$dir/deploy/avahi" "$dir/deploy/apt"
  cp "$REPO/deploy/config-facts.mjs" "$dir/deploy/"
  cp "$REPO/deploy/sysctl/60-picamd.conf" "$dir/deploy/sysctl/"
  cp "$REPO/deploy/avahi/picamd.service" "$dir/deploy/avahi/"
  cp "$REPO/deploy/apt/52picamd-unattended-upgrades" "$dir/deploy/apt/"
  if [[ ${3:-} == units ]]; then
    printf '# the updater of %s\n' "$version" | tee -a "$dir/deploy/picamd-update.sh" "$dir/systemd/picamd-update.service" "$dir/systemd/picamd-update.path" > /dev/null
  fi
  cp "$WORK/release.pem" "$dir/keys/"
  printf 'picamd %s (%s)\n' "$version" "$kind" > "$dir/BUILD-INFO"
  case $kind in
    # Many small files: unpacking takes long enough for the test to cut the power in the middle of it.
    bulk) mkdir -p "$dir/share/bulk" && (cd "$dir/share/bulk" && seq -f 'f%g' 8000 | xargs touch) ;;
    crash) printf 'console.error("picamd %s: crashing at start"); process.exit(1);\n' "$version" > "$dir/dist/main.js" ;;
    hang) printf 'console.error("picamd %s: never ready"); setInterval(() => {}, 1000);\n' "$version" > "$dir/dist/main.js" ;;
    # Ready and alive (its watchdog fed), but it never says what its camera did.
    mute) printf 'import { execFileSync } from "node:child_process";\nconsole.error("picamd %s: ready, camera never reported");\nexecFileSync("systemd-notify", ["--ready", "STATUS=listening"]);\nsetInterval(() => execFileSync("systemd-notify", ["WATCHDOG=1"]), 5000);\n' "$version" > "$dir/dist/main.js" ;;
    newer)
      # Format 2 of both files, through a synthetic step each way (as test/device/format-copies.test.ts).
      sed -i -e 's/^export const SETTINGS_FORMAT = 1;$/export const SETTINGS_FORMAT = 2;/' \
        -e 's/^export const SETTINGS_MIGRATIONS = {};$/export const SETTINGS_MIGRATIONS = { 1: (doc) => doc };/' \
        -e 's/^export const SETTINGS_DOWNGRADES = {};$/export const SETTINGS_DOWNGRADES = { 1: (doc) => ({ doc, lost: [] }) };/' "$dir/dist/device/settings/settings-file.js"
      sed -i -e 's/^export const ACCOUNTS_FORMAT = 1;$/export const ACCOUNTS_FORMAT = 2;/' \
        -e 's/^export const ACCOUNTS_MIGRATIONS = {};$/export const ACCOUNTS_MIGRATIONS = { 1: (doc) => doc };/' \
        -e 's/^export const ACCOUNTS_DOWNGRADES = {};$/export const ACCOUNTS_DOWNGRADES = { 1: (doc) => ({ doc, lost: [] }) };/' "$dir/dist/device/accounts/store.js"
      [[ $(grep -c '^export const \(SETTINGS\|ACCOUNTS\)_\(FORMAT = 2\|MIGRATIONS = { 1\|DOWNGRADES = { 1\)' "$dir/dist/device/settings/settings-file.js" "$dir/dist/device/accounts/store.js" | awk -F: '{ n += $2 } END { print n }') == 6 ]] \
        || fail "could not make the formats of $version newer"
      printf '# picamd %s\n' "$version" >> "$dir/deploy/sysctl/60-picamd.conf"
      printf '// picamd %s\n' "$version" >> "$dir/deploy/apt/52picamd-unattended-upgrades"
      sed -i "s|<txt-record>path=/</txt-record>|&<txt-record>release=$version</txt-record>|" "$dir/deploy/avahi/picamd.service"
      sed -i "s|^const gpioLine = .*|const gpioLine = 'dtparam=picamd_test=$version';|" "$dir/deploy/config-facts.mjs"
      # Its camera's outcome never reaches systemd: it stays on trial until the test makes it crash.
      sed -i 's/\.then((line) => systemd\.status(line));$/;/' "$dir/dist/app/appliance.js"
      grep -q "<txt-record>release=$version</txt-record>" "$dir/deploy/avahi/picamd.service" && grep -q "picamd_test=$version" "$dir/deploy/config-facts.mjs" \
        && ! grep -q 'systemd.status(line)' "$dir/dist/app/appliance.js" || fail "could not mark the files of $version"
      ;;
  esac
  tar --sort=name --owner=0 --group=0 --numeric-owner --mode='u+rwX,go+rX,go-w' -C "$WORK/build" -czf "$WORK/build/$version.tar.gz" "picamd-$version"
  node "$REPO/deploy/sign-update.mjs" sign "$REPO/dist" "$WORK/signing.pem" "$WORK/build/$version.tar.gz" \
    "$WORK/share/$version.update" "$version" 0.1.0 2026-12-07T00:00:00Z "$arch" >/dev/null
}
make_release 1.0.0 picamd
make_release 1.1.0 picamd
make_release 1.2.0 crash units
make_release 1.2.1 hang
make_release 1.2.2 mute
make_release 1.3.0 bulk
make_release 1.4.0 picamd
make_release 1.5.0 picamd units
make_release 1.6.0 newer
cp "$WORK/share/1.3.0.update" "$WORK/share/tampered.update"
size=$(stat -c %s "$WORK/share/tampered.update")
printf '\x00' | dd of="$WORK/share/tampered.update" bs=1 seek=$((size - 5000)) conv=notrunc status=none
log "releases and signed update files made ($(($(date +%s) - t0)) s)"

# "Installing A": the layout deploy/install.sh makes (tested against scratch trees in
# test/deploy/install.test.ts; its live mode needs an arm64 Raspberry Pi OS).
mkdir -p "$PERSIST/opt/releases" "$PERSIST/opt/bin"
cp -a "$WORK/build/picamd-1.0.0" "$PERSIST/opt/releases/1.0.0"
ln -s releases/1.0.0 "$PERSIST/opt/current"
install -m 755 "$REPO/deploy/picamd-update.sh" "$PERSIST/opt/bin/picamd-update"
# The files install.sh puts outside the install root: copies (the updater makes links of those it
# can), and an owner's config.txt with lines of its own.
cp "$PERSIST/opt/releases/1.0.0/deploy/sysctl/60-picamd.conf" "$PERSIST/sysctl/"
cp "$PERSIST/opt/releases/1.0.0/deploy/apt/52picamd-unattended-upgrades" "$PERSIST/apt/"
cp "$PERSIST/opt/releases/1.0.0/deploy/avahi/picamd.service" "$PERSIST/avahi/"
printf 'dtparam=audio=on\n[pi4]\narm_boost=1\n' > "$PERSIST/boot/config.txt"
cp "$PERSIST/boot/config.txt" "$WORK/config.txt.owner"
cat > "$PERSIST/etc/config.json" <<'JSON'
{ "server": { "host": "127.0.0.1", "port": 80, "openViewing": true },
  "camera": { "command": ["/opt/picamd/current/node/bin/node", "/opt/picamd/current/dist/sim/camera.js"], "width": 320, "height": 240, "framerate": 5 },
  "gpio": { "enabled": false } }
JSON

# The units as install.sh copies them, at the first boot (after that they are the updater's: it
# links a release's units in); shorter times for the test (picamd's start, the trial), so a version
# that is not ready is seen in seconds.
cat > "$WORK/share/boot.sh" <<'EOF'
set -e
if [ ! -e /etc/systemd/system/picamd.service ]; then
  cp /opt/picamd/current/systemd/*.service /opt/picamd/current/systemd/*.path /etc/systemd/system/
  # As a device installed before the time zone helper: the updater brings it in from the release.
  rm -f /etc/systemd/system/picamd-timezone.path /etc/systemd/system/picamd-timezone.service
fi
mkdir -p /etc/systemd/system/picamd.service.d /etc/systemd/system/picamd-update.service.d
printf '[Service]\nTimeoutStartSec=15\nRestartSec=1\n' > /etc/systemd/system/picamd.service.d/test.conf
printf '[Service]\nEnvironment=PICAMD_TRIAL_READY_SECONDS=40 PICAMD_TRIAL_SETTLE_SECONDS=6\n' > /etc/systemd/system/picamd-update.service.d/test.conf
getent group gpio >/dev/null || groupadd -r gpio
getent group video >/dev/null || groupadd -r video
systemctl daemon-reload
# As at boot: picamd, then the updater (After=picamd.service), then the path unit.
systemctl start --no-block picamd.service picamd-update.service
systemctl start picamd-update.path
EOF

mount --bind / "$HOSTROOT"
boot() {
  SYSTEMD_NSPAWN_API_VFS_WRITABLE=1 setsid systemd-nspawn -D "$HOSTROOT" --volatile=overlay --private-network -M "$MACHINE" \
    --register=no --keep-unit --link-journal=no -q \
    --bind-ro="$WORK/share:/share" --bind-ro="$REPO:/repo" \
    --bind="$PERSIST/opt:/opt/picamd" --bind="$PERSIST/private:/var/lib/private" \
    --bind="$PERSIST/update-state:/var/lib/picamd-update" --bind="$PERSIST/etc:/etc/picamd" \
    --bind="$PERSIST/units:/etc/systemd/system" \
    --bind="$PERSIST/sysctl:/etc/sysctl.d" --bind="$PERSIST/apt:/etc/apt/apt.conf.d" \
    --bind="$PERSIST/avahi:/etc/avahi/services" --bind="$PERSIST/boot:/boot/firmware" \
    -b -- systemd.unit=basic.target >> "$WORK/nspawn.log" 2>&1 < /dev/null &
  NSPAWN_PID=$!
  local state=''
  INIT=''
  for _ in $(seq 150); do
    INIT=$(pgrep -P "$NSPAWN_PID" -x systemd || true)
    [[ -n $INIT ]] && state=$(nsenter -t "$INIT" -a systemctl is-system-running 2>/dev/null || true)
    [[ $state == running || $state == degraded ]] && break
    kill -0 "$NSPAWN_PID" 2>/dev/null || break
    sleep 0.2
  done
  if [[ $state != running && $state != degraded ]]; then
    [[ $passed == 0 ]] || fail "the container did not boot again (state '${state:-none}')"
    log "SKIP: this machine cannot boot a systemd container (state '${state:-none}'; $(tail -n 3 "$WORK/nspawn.log" | tr '\n' ' '))"
    exit 0
  fi
  in_container bash /share/boot.sh
}
in_container() { nsenter -t "$INIT" -a "$@"; }
# The whole machine at once: the container's PID 1 killed, so the kernel kills every process in it.
power_cut() {
  kill -KILL "$INIT"
  for _ in $(seq 100); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
  wait "$NSPAWN_PID" 2>/dev/null || true
  NSPAWN_PID=''
}

current() { readlink "$PERSIST/opt/current"; }
# The owner's login once there is one (curl -u), for every request below.
AUTH=()
# The HTTP status of a request from inside the container. A request that gets no answer at all
# (refused, reset, an empty reply) ends the test with picamd's and the updater's journal.
http_code() {
  local code rc=0
  code=$(in_container curl -s -w '%{http_code}' "$@") || rc=$?
  if ((rc != 0)); then
    in_container journalctl -u picamd -u picamd-update -n 80 --no-pager >&2 || true
    fail "no answer to curl ${*: -1} (curl exit $rc)"
  fi
  printf '%s' "$code"
}
status_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$PERSIST/update-state/status.json" 2>/dev/null; }
serving() {
  in_container curl -sf --max-time 5 "${AUTH[@]}" http://127.0.0.1/api/status 2>/dev/null | sed -n 's/^{"device":{"name":"[^"]*","version":"\([^"]*\)".*/\1/p' | head -n1
}
wait_serving() {
  local want=$1 got=''
  for _ in $(seq 120); do
    got=$(serving || true)
    [[ $got == "$want" ]] && return 0
    sleep 0.5
  done
  in_container journalctl -u picamd -u picamd-update -n 40 --no-pager >&2 || true
  fail "picamd does not serve $want (serves '${got:-nothing}'; current -> $(current))"
}
# Hands a file to the updater as picamd will: complete under a temporary name, then renamed.
# picamd's dynamic user owns the folder and the file, mode 0700/0600 as its UMask= makes them, so
# the updater reaches them only through its one capability (CAP_DAC_OVERRIDE).
offer() {
  local inbox=/var/lib/private/picamd/update
  in_container mkdir -p -m 700 $inbox
  in_container install -m 600 "/share/$1" $inbox/request.update.part
  in_container chown --reference=/var/lib/private/picamd $inbox $inbox/request.update.part
  in_container mv $inbox/request.update.part $inbox/request.update
}
# Waits until the updater has finished with the file: a final state and the service inactive.
wait_result() {
  local state=''
  for _ in $(seq 300); do
    state=$(status_field state)
    if [[ $state =~ ^(committed|rolled-back|refused|failed)$ ]] && [[ ! -e $PERSIST/private/picamd/update/request.update ]] \
      && [[ $(in_container systemctl show picamd-update.service --value -p ActiveState) != activating ]]; then
      printf '%s' "$state"
      return 0
    fi
    sleep 0.5
  done
  in_container journalctl -u picamd -u picamd-update -n 60 --no-pager >&2 || true
  fail "the updater did not finish (state '$state')"
}
ok() { passed=$((passed + 1)); log "ok   $* ($(($(date +%s) - t0)) s)"; }

boot
log "container booted: $(in_container systemctl --version | head -n1)"
wait_serving 1.0.0
ok "A (1.0.0) installed and serving, as current"

# The updater's run at boot links A's units in: the copies become links to current, and the helper
# unit the system lacked (picamd-timezone.path) is there, enabled and active.
for _ in $(seq 120); do
  [[ $(readlink "$PERSIST/units/picamd-timezone.path") == /opt/picamd/current/systemd/picamd-timezone.path \
    && $(in_container systemctl is-active picamd-timezone.path) == active ]] && break
  sleep 0.5
done
[[ $(readlink "$PERSIST/units/picamd.service") == /opt/picamd/current/systemd/picamd.service ]] || fail "picamd.service is still a copy after the updater's boot run"
[[ $(readlink "$PERSIST/units/paths.target.wants/picamd-timezone.path") == /etc/systemd/system/picamd-timezone.path ]] \
  || fail "the time zone helper was not brought in and enabled: $(ls -l "$PERSIST"/units/picamd-timezone.* 2>&1)"
[[ $(in_container systemctl is-active picamd-timezone.path) == active ]] || fail "the time zone helper is not active"
[[ $(in_container systemctl show picamd-update.service --value -p ActiveState) != failed ]] || fail "the updater's boot run failed"
[[ $(readlink "$PERSIST/sysctl/60-picamd.conf") == /opt/picamd/current/deploy/sysctl/60-picamd.conf \
  && $(readlink "$PERSIST/apt/52picamd-unattended-upgrades") == /opt/picamd/current/deploy/apt/52picamd-unattended-upgrades ]] \
  || fail "the sysctl and apt files are not links to current's: $(ls -l "$PERSIST/sysctl" "$PERSIST/apt")"
ok "at boot the updater turns the installed copies into links to current's units (and sysctl and apt files) and brings in the time zone helper the system lacked (enabled, active)"

# B through `picamd update`, as an owner would from a shell: it checks, hands over, follows the trial.
in_container /opt/picamd/current/node/bin/node /opt/picamd/current/dist/main.js update /share/1.1.0.update > "$WORK/update-b.log" 2>&1 \
  || { cat "$WORK/update-b.log" >&2; in_container journalctl -u picamd -u picamd-update -n 60 --no-pager >&2 || true; fail "picamd update B did not end in a commit"; }
grep -q '^picamd: committed 1.1.0$' "$WORK/update-b.log" || { cat "$WORK/update-b.log" >&2; fail "picamd update did not report the commit"; }
[[ $(wait_result) == committed ]] || fail "B was not committed: $(cat "$PERSIST/update-state/status.json")"
[[ $(current) == releases/1.1.0 && $(readlink "$PERSIST/opt/previous") == releases/1.0.0 ]] || fail "links after B: current $(current)"
wait_serving 1.1.0
[[ ! -e $PERSIST/update-state/trial ]] || fail "a trial is left after the commit"
[[ $(in_container systemctl show picamd.service --value -p StatusText) == 'camera: first frame' ]] \
  || fail "B committed without its camera's first frame: $(in_container systemctl show picamd.service --value -p StatusText)"
ok "a signed B (1.1.0) handed over by picamd update is installed, runs, and commits; A is kept as previous"

# "Go back to <previous>" as the page asks for it, and forward again the same way.
go_back() {
  local before
  before=$(cat "$PERSIST/update-state/status.json")
  [[ $(http_code -o /dev/null "${AUTH[@]}" -X POST http://127.0.0.1/api/update/rollback) == 202 ]] || fail "POST /api/update/rollback was not accepted"
  for _ in $(seq 300); do [[ $(cat "$PERSIST/update-state/status.json") != "$before" ]] && break; sleep 0.2; done
  [[ $(wait_result) == committed ]] || fail "going back to $1 did not commit: $(cat "$PERSIST/update-state/status.json")"
  [[ $(current) == releases/$1 && $(readlink "$PERSIST/opt/previous") == releases/$2 ]] || fail "links after going back to $1: current $(current), previous $(readlink "$PERSIST/opt/previous")"
  wait_serving "$1"
}
go_back 1.0.0 1.1.0
go_back 1.1.0 1.0.0
ok "the page's \"go back\" runs the previous version (1.0.0) on trial and commits it, and forward again to 1.1.0"

# An older version from the page without the owner's confirmation.
code=$(http_code -o /dev/null -H 'Expect:' -H 'Content-Type: application/octet-stream' --data-binary @/share/1.0.0.update http://127.0.0.1/api/update)
[[ $code == 409 ]] || fail "an unconfirmed downgrade got $code"
[[ $(current) == releases/1.1.0 && ! -e $PERSIST/private/picamd/update/request.update ]] || fail "an unconfirmed downgrade changed something"
ok "an older version uploaded without the owner's confirmation is refused (409), nothing handed over"

# The same with the owner's confirmation: the updater takes the downgrade, and B comes back as an update.
upload() {
  local before code
  before=$(cat "$PERSIST/update-state/status.json")
  code=$(http_code -o /tmp/upload.json "${AUTH[@]}" -H 'Expect:' -H 'Content-Type: application/octet-stream' --data-binary "@/share/$1" "http://127.0.0.1/api/update$2")
  [[ $code == 202 ]] || fail "POST /api/update$2 with $1 answered $code: $(in_container cat /tmp/upload.json)"
  for _ in $(seq 300); do [[ $(cat "$PERSIST/update-state/status.json") != "$before" ]] && break; sleep 0.2; done
}
upload 1.0.0.update '?allowDowngrade=1'
[[ $(wait_result) == committed && $(current) == releases/1.0.0 ]] || fail "the confirmed downgrade did not commit: $(cat "$PERSIST/update-state/status.json")"
[[ ! -e $PERSIST/private/picamd/update/request.allow-downgrade ]] || fail "the confirmation outlived its request"
wait_serving 1.0.0
upload 1.1.0.update ''
[[ $(wait_result) == committed && $(current) == releases/1.1.0 ]] || fail "B did not come back as an update: $(cat "$PERSIST/update-state/status.json")"
wait_serving 1.1.0
ok "a downgrade the owner confirmed (?allowDowngrade=1) is installed and commits; B comes back as an update"

# C through the page's API: streamed to picamd's state directory, checked, handed to the updater.
code=$(http_code -o "/tmp/upload.json" -H 'Expect:' -H 'Content-Type: application/octet-stream' --data-binary @/share/1.2.0.update http://127.0.0.1/api/update)
[[ $code == 202 ]] || fail "POST /api/update answered $code: $(in_container cat /tmp/upload.json)"
[[ $(wait_result) == rolled-back ]] || fail "the crashing C was not rolled back: $(cat "$PERSIST/update-state/status.json")"
[[ $(current) == releases/1.1.0 && ! -e $PERSIST/opt/releases/1.2.0 ]] || fail "after C's rollback current is $(current)"
wait_serving 1.1.0
# picamd, in its sandbox, reads the updater's status and reports it.
in_container curl -sf --max-time 5 http://127.0.0.1/api/status | grep -q '"update":{"state":"rolled-back","version":"1.2.0","from":"1.1.0"' \
  || fail "/api/status does not report the rollback: $(in_container curl -s http://127.0.0.1/api/status | grep -o '"update":{[^}]*}')"
# C brought its own picamd.service and a helper unit: B's unit is the one systemd has again, the helper is gone.
units_of_b() {
  local env
  env=$(in_container systemctl show picamd.service --value -p Environment)
  [[ $env != *PICAMD_UNIT_MARK* ]] || fail "systemd still runs picamd with the unit of $1: $env"
  [[ $(readlink "$PERSIST/units/picamd.service") == /opt/picamd/current/systemd/picamd.service ]] || fail "picamd.service is not the link to current's: $(ls -l "$PERSIST/units/picamd.service")"
  [[ ! -e $PERSIST/units/picamd-probe.path && ! -L $PERSIST/units/picamd-probe.path && ! -L $PERSIST/units/paths.target.wants/picamd-probe.path ]] \
    || fail "the helper unit of $1 is still installed: $(ls -l "$PERSIST"/units/picamd-probe.* "$PERSIST"/units/paths.target.wants/ 2>&1)"
  [[ $(in_container systemctl show picamd-probe.path --value -p LoadState) == not-found ]] || fail "systemd still has the helper of $1: $(in_container systemctl status picamd-probe.path --no-pager 2>&1 | head -n5)"
}
units_of_b 1.2.0
ok "a C (1.2.0) uploaded through POST /api/update that crashes at start is rolled back by itself, with B's units, and /api/status says so: $(status_field reason)"

offer 1.2.1.update
[[ $(wait_result) == rolled-back ]] || fail "the never-ready C was not rolled back: $(cat "$PERSIST/update-state/status.json")"
[[ $(current) == releases/1.1.0 ]] || fail "after the never-ready C current is $(current)"
wait_serving 1.1.0
ok "a C (1.2.1) that never becomes ready is rolled back: $(status_field reason)"

offer 1.2.2.update
[[ $(wait_result) == rolled-back ]] || fail "the C that never reports its camera was not rolled back: $(cat "$PERSIST/update-state/status.json")"
[[ $(status_field reason) == *"did not report its camera"* ]] || fail "the rollback does not say why: $(status_field reason)"
[[ $(current) == releases/1.1.0 ]] || fail "after the mute C current is $(current)"
wait_serving 1.1.0
ok "a C (1.2.2) that is ready but never reports its camera's first frame is rolled back: $(status_field reason)"

before=$(cd "$PERSIST/opt" && find . -printf '%p %l\n' | sort | md5sum)
offer tampered.update
[[ $(wait_result) == refused ]] || fail "the tampered file was not refused"
[[ $(status_field reason) == *"SHA-256"* ]] || fail "the refusal does not say why: $(status_field reason)"
after=$(cd "$PERSIST/opt" && find . -printf '%p %l\n' | sort | md5sum)
[[ $before == "$after" ]] || fail "a refused file changed /opt/picamd"
[[ -z $(ls -A "$PERSIST/update-state" | grep -Ev '^(lock|status.json|sysctl.applied)$' || true) ]] || fail "the refused file left something in /var/lib/picamd-update: $(ls -A "$PERSIST/update-state")"
wait_serving 1.1.0
ok "a tampered file is refused ($(status_field reason | cut -c1-60)…), nothing on disk changed"

# D (1.5.0) changes picamd.service (one more Environment= line) and brings a helper path unit.
offer 1.5.0.update
[[ $(wait_result) == committed && $(current) == releases/1.5.0 ]] || fail "D was not committed: $(cat "$PERSIST/update-state/status.json")"
wait_serving 1.5.0
env=$(in_container systemctl show picamd.service --value -p Environment)
[[ $env == *PICAMD_UNIT_MARK=1.5.0* ]] || fail "picamd runs without D's unit: $env"
[[ $(in_container systemctl show picamd.service --value -p NeedDaemonReload) == no ]] || fail "systemd was not reloaded after D's switch"
[[ $(readlink "$PERSIST/units/paths.target.wants/picamd-probe.path") == /etc/systemd/system/picamd-probe.path ]] || fail "D's helper is not enabled: $(ls -l "$PERSIST/units/paths.target.wants/")"
[[ $(in_container systemctl is-active picamd-probe.path) == active ]] || fail "D's helper is not active: $(in_container systemctl status picamd-probe.path --no-pager 2>&1 | head -n5)"
ok "a D (1.5.0) whose picamd.service differs commits with its own unit loaded, and the helper unit it brings is enabled ($(in_container systemctl is-enabled picamd-probe.path)) and active"
# The commit made D's updater the one that runs the next update: its script and its own units.
updater_of() {
  cmp -s "$PERSIST/opt/bin/picamd-update" "$WORK/build/picamd-$1/deploy/picamd-update.sh" || fail "/opt/picamd/bin/picamd-update is not the updater of $1"
  local unit
  for unit in picamd-update.service picamd-update.path; do
    [[ -f $PERSIST/units/$unit && ! -L $PERSIST/units/$unit ]] && cmp -s "$PERSIST/units/$unit" "$WORK/build/picamd-$1/systemd/$unit" || fail "$unit is not the one of $1: $(ls -l "$PERSIST/units/$unit")"
    [[ $(in_container systemctl show "$unit" --value -p NeedDaemonReload) == no ]] || fail "systemd was not reloaded after $unit of $1 was installed"
  done
}
updater_of 1.5.0
ok "D's commit replaced the updater's own script and units with D's, and systemd has them loaded"
go_back 1.1.0 1.5.0
units_of_b 1.5.0
updater_of 1.1.0
ok "going back from D to B brings B's units back, removes D's helper, and B's updater is the one installed again"

# E (1.6.0): formats one step newer and its own files outside the install root, on trial.
P1=first-password-1234
P2=second-password-5678
# An owner (the config's open viewing let anyone in so far) and a setting of the page's, so both files exist.
code=$(http_code -o /dev/null -H 'Content-Type: application/json' \
  --data "{\"name\":\"ann\",\"password\":\"$P1\",\"role\":\"owner\"}" http://127.0.0.1/api/users)
[[ $code == 200 ]] || fail "adding the owner answered $code"
AUTH=(-u "ann:$P1")
code=$(http_code -o /dev/null "${AUTH[@]}" -X PATCH -H 'Content-Type: application/json' \
  --data '{"server":{"deviceName":"porch"}}' http://127.0.0.1/api/settings)
[[ $code == 200 ]] || fail "saving a setting answered $code"
wait_serving 1.1.0
settings=$PERSIST/private/picamd/settings.json
accounts=$PERSIST/private/picamd/accounts.json
format_of() { sed -n 's/^  "format": \([0-9]*\),$/\1/p' "$1"; }
# As long as E's trial takes, whatever the machine's load: E never reports its camera, so nothing
# ends its trial but the crash below (or this bound).
printf '[Service]\nEnvironment=PICAMD_TRIAL_READY_SECONDS=300 PICAMD_TRIAL_SETTLE_SECONDS=6\n' > "$PERSIST/units/picamd-update.service.d/test.conf"
in_container systemctl daemon-reload
offer 1.6.0.update
for _ in $(seq 600); do [[ $(status_field state) =~ ^(trial|checking)$ && $(current) == releases/1.6.0 ]] && break; sleep 0.2; done
wait_serving 1.6.0
[[ $(status_field state) =~ ^(trial|checking)$ ]] || fail "E is not on trial: $(cat "$PERSIST/update-state/status.json")"
[[ $(format_of "$settings") == 2 && $(format_of "$settings.v1") == 1 && $(format_of "$accounts") == 2 && $(format_of "$accounts.v1") == 1 ]] \
  || fail "E did not migrate with copies: $(ls -l "$PERSIST/private/picamd/")"
grep -q "release=1.6.0" "$PERSIST/avahi/picamd.service" || fail "E's Avahi service is not installed: $(cat "$PERSIST/avahi/picamd.service")"
# The links name /opt/picamd/current/..., so they are read as their consumers read them: in the machine.
in_container grep -q '^# picamd 1.6.0$' /etc/sysctl.d/60-picamd.conf && in_container grep -q '^// picamd 1.6.0$' /etc/apt/apt.conf.d/52picamd-unattended-upgrades \
  || fail "E's sysctl and apt files are not the ones in effect"
grep -q '^dtparam=picamd_test=1.6.0$' "$PERSIST/boot/config.txt" && [[ $(head -n3 "$PERSIST/boot/config.txt") == "$(cat "$WORK/config.txt.owner")" ]] \
  || fail "config.txt does not have E's line below the owner's: $(cat "$PERSIST/boot/config.txt")"
ok "E (1.6.0) on trial migrated settings and accounts to format 2 after copying them as .v1, and its sysctl, apt, Avahi and config.txt lines are in effect"
# On trial, the owner changes the password and turns open viewing off; then E crashes.
code=$(http_code -o /dev/null "${AUTH[@]}" -H 'Content-Type: application/json' \
  --data "{\"current\":\"$P1\",\"password\":\"$P2\"}" http://127.0.0.1/api/users/password)
[[ $code == 200 ]] || fail "changing the password on E answered $code"
AUTH=(-u "ann:$P2")
code=$(http_code -o /dev/null "${AUTH[@]}" -H 'Content-Type: application/json' --data '{"enabled":false}' http://127.0.0.1/api/users/open-viewing)
[[ $code == 200 ]] || fail "turning open viewing off on E answered $code"
[[ $(status_field state) =~ ^(trial|checking)$ ]] || fail "E's trial ended before the crash: $(cat "$PERSIST/update-state/status.json")"
in_container systemctl kill -s KILL picamd.service
[[ $(wait_result) == rolled-back && $(current) == releases/1.1.0 ]] || fail "E was not rolled back: $(cat "$PERSIST/update-state/status.json")"
printf '[Service]\nEnvironment=PICAMD_TRIAL_READY_SECONDS=40 PICAMD_TRIAL_SETTLE_SECONDS=6\n' > "$PERSIST/units/picamd-update.service.d/test.conf"
in_container systemctl daemon-reload
wait_serving 1.1.0
status=$(in_container curl -sf --max-time 5 "${AUTH[@]}" http://127.0.0.1/api/status)
grep -q '"settings":{"state":"ok","message":"[^"]*settings.json is in format 2 of a newer picamd' <<< "$status" \
  || fail "B does not read its copy of the settings: $(grep -o '"settings":{[^}]*}' <<< "$status")"
[[ $(in_container curl -s -o /dev/null -w '%{http_code}' -u "ann:$P1" http://127.0.0.1/api/status) == 401 ]] || fail "the old password still works after the rollback"
[[ $(in_container curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/api/status) == 401 ]] || fail "open viewing is on again after the rollback"
grep -q '"openViewing":false' <<< "$status" || fail "/api/status does not say open viewing is off: $(grep -o '"setup":{[^}]*}' <<< "$status")"
ok "E rolled back ($(status_field reason | cut -c1-50)…): B reads its copies, the password set on E works (the old one not), open viewing stays off"
in_container cat /etc/avahi/services/picamd.service /etc/sysctl.d/60-picamd.conf /etc/apt/apt.conf.d/52picamd-unattended-upgrades > "$WORK/files-after" \
  || fail "the files outside the install root cannot be read after the rollback"
! grep -q "1.6.0" "$WORK/files-after" || fail "E's files outside the install root are still in effect: $(grep "1.6.0" "$WORK/files-after")"
[[ $(readlink "$PERSIST/sysctl/60-picamd.conf") == /opt/picamd/current/deploy/sysctl/60-picamd.conf ]] || fail "the sysctl file is no longer the link to current's"
cmp -s "$PERSIST/boot/config.txt" "$WORK/config.txt.owner" || fail "config.txt is not the owner's again: $(cat "$PERSIST/boot/config.txt")"
ok "the rollback took E's sysctl, apt and Avahi files back, and config.txt is the owner's again byte for byte"

# SIGKILL of everything while the updater unpacks.
offer 1.3.0.update
# Inside the unpack itself: the status says installing a moment before the staging folder exists.
for _ in $(seq 600); do [[ $(status_field state) == installing && -d $PERSIST/opt/releases/.staging ]] && break; sleep 0.05; done
[[ $(status_field state) == installing ]] || fail "never saw the updater unpacking (state $(status_field state))"
power_cut
[[ -d $PERSIST/opt/releases/.staging && $(current) == releases/1.1.0 ]] || fail "the cut did not come while unpacking (current $(current))"
boot
wait_serving 1.1.0
[[ $(wait_result) == failed ]] || fail "the interrupted update is not reported: $(cat "$PERSIST/update-state/status.json")"
[[ $(current) == releases/1.1.0 && ! -e $PERSIST/opt/releases/.staging && ! -e $PERSIST/opt/releases/1.3.0 ]] \
  || fail "after a cut while unpacking: current $(current), releases: $(ls -A "$PERSIST/opt/releases" | tr '\n' ' ')"
ok "killed while unpacking, booted again: 1.1.0 runs, the leftovers are gone, the status says it was interrupted"

# SIGKILL of everything while a version is on trial.
offer 1.4.0.update
for _ in $(seq 600); do [[ $(status_field state) =~ ^(trial|checking)$ ]] && break; sleep 0.05; done
[[ $(status_field state) =~ ^(trial|checking)$ ]] || fail "never saw 1.4.0 on trial (state $(status_field state))"
power_cut
boot
result=$(wait_result)
case $result in
  committed) wait_serving 1.4.0 ;;
  rolled-back) wait_serving 1.1.0 ;;
  *) fail "after a cut during the trial the updater says $result" ;;
esac
[[ ! -e $PERSIST/update-state/trial ]] || fail "a trial is left after the cut"
ok "killed during the trial, booted again: the trial finished by itself ($result), a working version serves"

printf 'test-update: PASS %d checks in %d s\n' "$passed" $(($(date +%s) - t0))
