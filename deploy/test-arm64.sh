#!/usr/bin/env bash
# Proves that the arm64 release bundle runs, on an x86 machine: the bundled aarch64 Node.js runs
# under qemu-aarch64-static (Debian's qemu-user-static) against Debian's arm64 glibc and libstdc++
# (libc6-arm64-cross, libstdc++6-arm64-cross: /usr/aarch64-linux-gnu), with no binfmt_misc needed.
# It then
#   1. loads every native addon of the bundle (uWebSockets.js, epoll) in the emulated runtime,
#   2. validates the bundled config/default.json with --check-config,
#   3. starts the bundled picamd with the simulated camera (itself emulated: a wrapper runs the
#      bundled node under qemu) and a stand-in systemd notify socket,
#   4. reads /healthz, /api/status, /snapshot.jpg and frames from /stream.mjpg over HTTP,
#   5. stops it with SIGTERM and checks READY=1 and STOPPING=1 arrived and the camera is gone.
# Usage: deploy/test-arm64.sh [release/picamd-<version>-linux-arm64.tar.gz]
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
VERSION=$(node -p "require('$REPO/package.json').version")
TARBALL=${1:-$REPO/release/picamd-$VERSION-linux-arm64.tar.gz}
SYSROOT=${PICAMD_ARM64_SYSROOT:-/usr/aarch64-linux-gnu}
QEMU=${QEMU_AARCH64:-qemu-aarch64-static}

log() { printf 'test-arm64: %s\n' "$*"; }
die() { printf 'test-arm64: FAIL: %s\n' "$*" >&2; exit 1; }
t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }

command -v "$QEMU" >/dev/null || die "$QEMU not found (apt-get install qemu-user-static)"
[[ -e $SYSROOT/lib/ld-linux-aarch64.so.1 ]] || die "no arm64 glibc in $SYSROOT (apt-get install libc6-arm64-cross libstdc++6-arm64-cross)"
command -v python3 >/dev/null || die "python3 not found (it stands in for systemd's notify socket)"
[[ -f $TARBALL ]] || die "no bundle at $TARBALL (npm run bundle)"

WORK=$(mktemp -d /tmp/picamd-arm64.XXXXXX)
PICAMD_PID=''
RECEIVER_PID=''
cleanup() {
  # Only what this script started: picamd's process group (it and its camera), the receiver.
  [[ -n $PICAMD_PID ]] && kill -KILL -- "-$PICAMD_PID" 2>/dev/null
  [[ -n $RECEIVER_PID ]] && kill "$RECEIVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

tar -xzf "$TARBALL" -C "$WORK"
APP=$WORK/picamd-$VERSION
[[ -d $APP ]] || die "bundle does not unpack to picamd-$VERSION/"

# node under emulation, as a program: picamd spawns the sim camera through it too.
cat > "$WORK/node-arm64" <<EOF
#!/bin/sh
exec "$QEMU" -L "$SYSROOT" "$APP/node/bin/node" "\$@"
EOF
chmod +x "$WORK/node-arm64"
NODE=$WORK/node-arm64

# shellcheck disable=SC2016 # a JavaScript template literal
log "runtime: $("$NODE" -p '`node ${process.version} ${process.arch}, modules ABI ${process.versions.modules}`')"
[[ $("$NODE" -p process.arch) == arm64 ]] || die "bundled node is not arm64"

# 1. Every native addon loads in the emulated aarch64 runtime.
(cd "$APP" && "$NODE" --input-type=module -e "
  const uws = await import('uWebSockets.js');
  if (typeof uws.App !== 'function') throw new Error('uWebSockets.js has no App');
  const { createRequire } = await import('node:module');
  const { Epoll } = createRequire(import.meta.url + '/')('epoll');
  if (typeof Epoll !== 'function') throw new Error('epoll has no Epoll');
  console.log('test-arm64: native addons load: uWebSockets.js, epoll');
") || die "native addons do not load under aarch64"
log "addons ok ($(elapsed))"

# 2. The production config passes the bundled picamd's own check.
(cd "$APP" && "$NODE" dist/main.js --check-config --config config/default.json >/dev/null) \
  || die "--check-config rejects the bundled config/default.json"
log "config/default.json valid ($(elapsed))"

# 3. Start picamd with the simulated camera, emulated as well.
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
cat > "$WORK/config.json" <<EOF
{
  "server": { "host": "127.0.0.1", "port": $PORT, "openViewing": true },
  "camera": { "command": ["$NODE", "dist/sim/camera.js"], "width": 640, "height": 480, "framerate": 10,
              "startTimeoutMs": 120000, "stallTimeoutMs": 30000 },
  "gpio": { "enabled": false },
  "privacy": { "stateFile": "$WORK/state/privacy.json" },
  "settings": { "file": "$WORK/state/settings.json" }
}
EOF
python3 "$REPO/test/fixtures/systemd/notify-receiver.py" "$WORK/notify" > "$WORK/notify.log" &
RECEIVER_PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/notify.log" 2>/dev/null && break; sleep 0.1; done

# node's flags as the unit starts picamd (--expose-gc, for the frame reclaimer).
NODE_FLAGS=$(sed -n 's|^ExecStart=/opt/picamd/current/node/bin/node \(.*\) /opt/picamd/current/dist/main.js$|\1|p' "$APP/systemd/picamd.service")
[[ $NODE_FLAGS == *--expose-gc* ]] || die "the bundled unit does not start node with --expose-gc"
# shellcheck disable=SC2086 # NODE_FLAGS is a list of flags
(cd "$APP" && NOTIFY_SOCKET=$WORK/notify WATCHDOG_USEC=10000000 exec setsid "$NODE" $NODE_FLAGS dist/main.js --config "$WORK/config.json") \
  > "$WORK/picamd.log" 2>&1 &
PICAMD_PID=$!
log "picamd started (pid $PICAMD_PID, port $PORT)"

# 4. A viewer's view.
if ! node "$REPO/deploy/check-stream.mjs" "http://127.0.0.1:$PORT" 10 180; then
  sed 's/^/  picamd| /' "$WORK/picamd.log" >&2
  die "picamd under emulation did not stream"
fi
log "streamed ($(elapsed))"
if grep -q 'reclaim: off' "$WORK/picamd.log"; then die "the frame reclaimer is off with the unit's node flags ($NODE_FLAGS)"; fi

# 5. Clean stop.
kill -TERM "$PICAMD_PID"
rc=''
for _ in $(seq 300); do
  if ! kill -0 "$PICAMD_PID" 2>/dev/null; then
    wait "$PICAMD_PID" && rc=0 || rc=$?
    break
  fi
  sleep 0.1
done
[[ -n $rc ]] || { sed 's/^/  picamd| /' "$WORK/picamd.log" >&2; die "picamd did not exit within 30 s of SIGTERM"; }
[[ $rc == 0 ]] || { sed 's/^/  picamd| /' "$WORK/picamd.log" >&2; die "picamd exited with $rc after SIGTERM"; }
if pgrep -f "$APP/node/bin/node" >/dev/null; then die "a bundled node process outlived picamd"; fi
PICAMD_PID=''
sleep 0.5
grep -q '"READY=1' "$WORK/notify.log" || die "no READY=1 on the notify socket: $(cat "$WORK/notify.log")"
grep -q '"WATCHDOG=1' "$WORK/notify.log" || die "no WATCHDOG=1 on the notify socket"
grep -q '"STOPPING=1' "$WORK/notify.log" || die "no STOPPING=1 on the notify socket"
log "systemd notifications: $(grep -o '"data": "[A-Z]*=1' "$WORK/notify.log" | cut -d'"' -f4 | sort | uniq -c | tr -s ' \n' ' ')"
log "PASS in $(elapsed)"
