#!/bin/sh
# picamd-timezone: sets the time zone picamd asked for from its page. picamd runs as a dynamic user
# in a tight sandbox and cannot ask systemd-timedated itself: dbus-daemon drops the system-bus
# connections of DynamicUser= services (systemd issue #22737, Debian's systemd 252 and later), so
# picamd-timezone.path starts this as root when picamd writes a request. The interface is one
# line, "<zone> <id>", in picamd's state directory; the answer is "<id> ok", "<id> not-a-zone" or
# "<id> failed: <timedatectl's line>" in /var/lib/picamd-timezone/result, which root owns (never a
# file in picamd's folder, which picamd could point elsewhere). Nothing of the request is echoed.
# Usage: picamd-timezone.sh [REQUEST_FILE [RESULT_DIR [ZONEINFO]]] (the defaults are the device's).
set -eu
REQUEST=${1:-/var/lib/private/picamd/time-zone/request}
RESULTS=${2:-/var/lib/picamd-timezone}
ZONEINFO=${3:-/usr/share/zoneinfo}

answer() {
  printf '%s\n' "$1" > "$RESULTS/result.tmp"
  mv -f "$RESULTS/result.tmp" "$RESULTS/result"
}

# A regular file only: not a link to somewhere picamd may not read, not a FIFO that never ends.
if [ -L "$REQUEST" ] || [ ! -f "$REQUEST" ]; then
  rm -f "$REQUEST"
  exit 0
fi
line=$(head -c 200 "$REQUEST" | head -n 1)
rm -f "$REQUEST"
zone=${line%% *}
id=${line#* }
case $id in '' | *[!A-Za-z0-9]*) exit 0 ;; esac
# timedated's own rule (timezone_is_valid): a relative name of these characters, a TZif file.
case $zone in
  '' | /* | */ | *//* | *..* | -* | *[!A-Za-z0-9_+/-]*) answer "$id not-a-zone"; exit 0 ;;
esac
if [ ! -f "$ZONEINFO/$zone" ] || [ "$(head -c 4 "$ZONEINFO/$zone")" != TZif ]; then
  answer "$id not-a-zone"
  exit 0
fi
if out=$(timedatectl --no-ask-password set-timezone "$zone" 2>&1); then
  answer "$id ok"
else
  answer "$id failed: $(printf '%s' "$out" | tail -n 1 | tr -cd '[:print:]' | head -c 200)"
fi
