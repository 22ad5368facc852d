#!/usr/bin/env bash
# Runs systemd/picamd.service under a real systemd (this machine's own, booted as PID 1 of a
# systemd-nspawn container over a throw-away overlay of /, with its own network namespace), with
# this machine's node, the built dist/ and the simulated camera standing in for the Pi. It checks
# what only a service manager can show:
#   - the sandbox lets picamd start: DynamicUser + video/gpio groups, port 80 through
#     CAP_NET_BIND_SERVICE, the system call filter (Node, setpriv, the camera child), the mounts
#     (/sys read-only but for /sys/devices/platform);
#   - READY=1 through systemd-notify is accepted (NotifyAccess=all) and WATCHDOG=1 pings arrive;
#   - a hung event loop (SIGSTOP) gets the service killed and restarted by the watchdog;
#   - the privacy state lands in StateDirectory= and survives the restart;
#   - the time zone set from the page reaches systemd-timedated through the root helper
#     (picamd-timezone.path), though picamd's own sandbox cannot reach the system bus;
#   - systemctl stop ends picamd and its camera; an invalid config exits 78 without restarts.
# Needs root, systemd-container (systemd-nspawn) and a built dist/. Prints SKIP and exits 0 when
# this machine cannot boot a systemd container at all; every check after a successful boot is strict.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
log() { printf 'test-systemd: %s\n' "$*"; }
fail() { printf 'test-systemd: FAIL: %s\n' "$*" >&2; exit 1; }
t0=$(date +%s)

[[ $(id -u) == 0 ]] || fail "needs root"
command -v systemd-nspawn >/dev/null || fail "systemd-nspawn not found (apt-get install systemd-container)"
[[ -f $REPO/dist/main.js ]] || fail "no dist/main.js (npm run build)"

WORK=$(mktemp -d /tmp/picamd-systemd.XXXXXX)
HOSTROOT=$WORK/hostroot
MACHINE=picamd-test-$$
NSPAWN_PID=''
cleanup() {
  if [[ -n $NSPAWN_PID ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    kill -TERM "$NSPAWN_PID" 2>/dev/null # nspawn asks the container's systemd to power off
    for _ in $(seq 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  fi
  mountpoint -q "$HOSTROOT" && umount "$HOSTROOT"
  rm -rf "$WORK"
}
trap cleanup EXIT

# The files the container gets: the unit (ExecStart as installed), the app, a config.
mkdir -p "$HOSTROOT" "$WORK/share"
cp -r "$REPO/dist" "$WORK/share/dist"
cp "$REPO/package.json" "$WORK/share/"
cp "$REPO/systemd/picamd.service" "$WORK/share/picamd.service"
ENTRY=main.js
EXEC_START=$(grep '^ExecStart=' "$REPO/systemd/picamd.service" | sed "s|/opt/picamd/current/dist/main.js|/opt/picamd/current/dist/$ENTRY|")
[[ $EXEC_START == *" /opt/picamd/current/dist/$ENTRY" ]] || fail "unexpected ExecStart= in the unit: $EXEC_START"
cat > "$WORK/share/setup.sh" <<EOF
set -e
# The installed layout: a release under releases/, \`current\` pointing at it, the updater beside them.
R=/opt/picamd/releases/0.0.0-test
mkdir -p \$R/node/bin \$R/config /opt/picamd/bin /etc/picamd /etc/systemd/system/picamd.service.d
cp -r /share/dist /share/package.json \$R/
ln -s /repo/node_modules \$R/node_modules
ln -s "$(command -v node)" \$R/node/bin/node
ln -s releases/0.0.0-test /opt/picamd/current
install -m 755 /repo/deploy/picamd-update.sh /opt/picamd/bin/picamd-update
cat > /etc/picamd/config.json <<'JSON'
{ "server": { "host": "127.0.0.1", "port": 80, "openViewing": true },
  "camera": { "command": ["/opt/picamd/current/node/bin/node", "/opt/picamd/current/dist/sim/camera.js"], "width": 640, "height": 480, "framerate": 10 },
  "gpio": { "enabled": false } }
JSON
cp /etc/picamd/config.json \$R/config/default.json
getent group gpio >/dev/null || groupadd -r gpio
getent group video >/dev/null || groupadd -r video
cp /share/picamd.service /etc/systemd/system/picamd.service
# The time zone helper as install.sh puts it.
mkdir -p \$R/deploy
install -m 755 /repo/deploy/picamd-timezone.sh \$R/deploy/
cp /repo/systemd/picamd-timezone.service /repo/systemd/picamd-timezone.path /etc/systemd/system/
# Only for the test: the entry point (the unit's own command line, node flags included), and a
# shorter watchdog so a hang is seen in seconds.
printf '[Service]\nExecStart=\n%s\nWatchdogSec=6\n' "$EXEC_START" > /etc/systemd/system/picamd.service.d/test.conf
systemctl daemon-reload
systemctl enable --now picamd-timezone.path
EOF

mount --bind / "$HOSTROOT"
# basic.target: the container's systemd without the machine's own daemons.
# A writable /sys in the container, as on the Pi, so that the unit's own read-only /sys with its
# GPIO carve-out can be seen.
SYSTEMD_NSPAWN_API_VFS_WRITABLE=1 setsid systemd-nspawn -D "$HOSTROOT" --volatile=overlay --private-network -M "$MACHINE" \
  --register=no --keep-unit --link-journal=no -q \
  --bind-ro="$WORK/share:/share" --bind-ro="$REPO:/repo" \
  -b -- systemd.unit=basic.target > "$WORK/nspawn.log" 2>&1 < /dev/null &
NSPAWN_PID=$!
INIT=''
state=''
for _ in $(seq 150); do
  INIT=$(pgrep -P "$NSPAWN_PID" -x systemd || true)
  [[ -n $INIT ]] && state=$(nsenter -t "$INIT" -a systemctl is-system-running 2>/dev/null || true)
  [[ $state == running || $state == degraded ]] && break
  kill -0 "$NSPAWN_PID" 2>/dev/null || break
  sleep 0.2
done
if [[ $state != running && $state != degraded ]]; then
  log "SKIP: this machine cannot boot a systemd container (state '${state:-none}'; $(tail -n 3 "$WORK/nspawn.log" | tr '\n' ' '))"
  exit 0
fi
in_container() { nsenter -t "$INIT" -a "$@"; }
log "container booted: $(in_container systemctl --version | head -n1) ($(($(date +%s) - t0)) s)"

in_container bash /share/setup.sh
in_container systemctl start picamd.service || { in_container journalctl -u picamd -n 40 --no-pager >&2; fail "picamd.service did not start"; }
show() { in_container systemctl show picamd.service --value -p "$1"; }
main_pid=$(show MainPID)
log "ok   started: Type=notify, READY=1 accepted (status: $(show StatusText))"

in_container /opt/picamd/current/node/bin/node /repo/deploy/check-stream.mjs http://127.0.0.1 10 60 \
  || { in_container journalctl -u picamd -n 40 --no-pager >&2; fail "no stream from the service"; }

user=$(in_container ps -o user= -p "$main_pid")
# shellcheck disable=SC2016 # awk programs
groups=$(in_container awk '/^Groups:/ { $1 = ""; print }' "/proc/$main_pid/status")
# shellcheck disable=SC2016
caps=$(in_container awk '/^CapEff:/ { print $2 }' "/proc/$main_pid/status")
video=$(in_container getent group video | cut -d: -f3)
gpio=$(in_container getent group gpio | cut -d: -f3)
[[ $user == picamd ]] || fail "runs as '$user', not the dynamic user picamd"
[[ " $groups " == *" $video "* && " $groups " == *" $gpio "* ]] || fail "groups '$groups' lack video ($video) or gpio ($gpio)"
[[ $caps == 0000000000000400 ]] || fail "effective capabilities $caps, expected CAP_NET_BIND_SERVICE only"
log "ok   dynamic user $user, groups video+gpio, capabilities CAP_NET_BIND_SERVICE only, listening on port 80"

cmdline=$(in_container cat "/proc/$main_pid/cmdline" | tr '\0' ' ')
[[ $cmdline == *" --expose-gc "* ]] || fail "picamd runs as '$cmdline', without --expose-gc"
if in_container journalctl -u picamd --no-pager -o cat | grep -q 'reclaim: off'; then fail "the frame reclaimer is off under the unit"; fi
log "ok   node runs with --expose-gc (the frame reclaimer's gc)"

sys_opts=$(in_container nsenter -t "$main_pid" -m findmnt -no OPTIONS /sys)
platform_opts=$(in_container nsenter -t "$main_pid" -m findmnt -no OPTIONS /sys/devices/platform)
[[ $sys_opts == ro,* && $platform_opts == rw,* ]] \
  || fail "in the service /sys is '$sys_opts' and /sys/devices/platform '$platform_opts' (want ro and rw)"
log "ok   in the service /sys is read-only except /sys/devices/platform, where sysfs GPIO writes land"

# The time zone from the page: picamd writes its request, the path unit starts the root helper,
# which asks systemd-timedated (a running system bus, as on every booted Pi; this container boots
# only basic.target).
in_container systemctl start dbus.service
set_zone() { in_container curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -d "{\"timeZone\":\"$1\"}" http://127.0.0.1/api/time-zone; }
code=$(set_zone Asia/Shanghai)
[[ $code == 200 ]] || { in_container journalctl -u picamd -u picamd-timezone -u systemd-timedated -n 30 --no-pager >&2; fail "POST /api/time-zone answered $code, not 200"; }
[[ $(in_container readlink /etc/localtime) == */zoneinfo/Asia/Shanghai ]] || fail "/etc/localtime is $(in_container readlink /etc/localtime), not Asia/Shanghai"
in_container curl -sf http://127.0.0.1/api/status | grep -q '"timeZone":"Asia/Shanghai"' || fail "the status does not show the new time zone"
code=$(set_zone Mars/Olympus)
[[ $code == 400 ]] || fail "an unknown zone answered $code, not 400"
log "ok   the time zone set from the page reaches timedated through the root helper (picamd keeps ProtectClock and no bus)"

in_container curl -sf -X POST -H 'content-type: application/json' -d '{"enabled":true}' http://127.0.0.1/api/privacy >/dev/null \
  || fail "POST /api/privacy failed"
for _ in $(seq 50); do in_container test -s /var/lib/private/picamd/privacy.json && break; sleep 0.1; done
in_container test -s /var/lib/private/picamd/privacy.json || fail "no privacy state in /var/lib/private/picamd"
log "ok   privacy state written to StateDirectory (/var/lib/picamd)"

sleep 4
ping1=$(show WatchdogTimestampMonotonic)
sleep 4
ping2=$(show WatchdogTimestampMonotonic)
((ping2 > ping1)) || fail "no WATCHDOG=1 pings reach systemd ($ping1 -> $ping2)"
log "ok   WATCHDOG=1 pings arrive"

in_container kill -STOP "$main_pid"
for _ in $(seq 100); do
  [[ $(show NRestarts) -ge 1 && $(show ActiveState) == active ]] && break
  sleep 0.2
done
[[ $(show NRestarts) -ge 1 ]] || fail "a hung picamd was not restarted by the watchdog"
in_container journalctl -u picamd --no-pager -o cat | grep -q 'Watchdog timeout' || fail "the restart was not the watchdog's"
in_container curl -sf http://127.0.0.1/api/status | grep -q '"paused"' || fail "privacy was not restored after the restart"
log "ok   a hung event loop is killed and restarted by the watchdog; privacy survives the restart"

in_container pgrep -f /opt/picamd/current/dist/sim/camera.js >/dev/null || in_container curl -sf -X POST -H 'content-type: application/json' \
  -d '{"enabled":false}' http://127.0.0.1/api/privacy >/dev/null
for _ in $(seq 50); do in_container pgrep -f /opt/picamd/current/dist/sim/camera.js >/dev/null && break; sleep 0.2; done
in_container pgrep -f /opt/picamd/current/dist/sim/camera.js >/dev/null || fail "the camera did not resume"
in_container systemctl stop picamd.service
[[ $(show ActiveState) == inactive && $(show Result) == success ]] || fail "stop did not end cleanly ($(show Result))"
! in_container pgrep -f /opt/picamd/ >/dev/null || fail "picamd or its camera outlived systemctl stop"
log "ok   systemctl stop ends picamd and its camera"

in_container sh -c "echo '{ \"server\": { \"prot\": 80 } }' > /etc/picamd/config.json"
in_container systemctl start picamd.service 2>/dev/null && fail "picamd started with an invalid config"
sleep 5
[[ $(show ExecMainStatus) == 78 && $(show NRestarts) == 0 && $(show ActiveState) == failed ]] \
  || fail "invalid config: status $(show ExecMainStatus), restarts $(show NRestarts), state $(show ActiveState)"
log "ok   an invalid config exits 78 and is not restarted"
log "PASS in $(($(date +%s) - t0)) s"
