#!/bin/sh
# picamd-wifi-rejoin: brings a headless camera back onto its Wi-Fi when NetworkManager has given the
# network up and would not try again before the next boot.
#
# Why. NetworkManager 1.42 (Bookworm) and 1.52 (Trixie), src/core/devices/wifi/nm-device-wifi.c:
# when a WPA-PSK 4-way handshake breaks off (a weak signal, a router busy or restarting),
# handle_8021x_or_psk_auth_fail() takes it for a wrong key and asks the secret agents for a new one
# (REQUEST_NEW), whether or not the connection ever worked (the timestamp is only looked at when an
# association times out). A headless device has no agent: the activation fails with "no-secrets",
# and nm-policy.c blocks the connection's autoconnect until a secret agent registers, which on a
# camera means until it is restarted. (NetworkManager 1.58 retries a known connection with its
# stored key instead: upstream commit 746a5902ad.) An activation asked for by a person is not
# blocked, and the stored key is still there (only the activation's copy was cleared), so asking
# NetworkManager to connect the device joins again, as `nmcli device connect` does by hand.
#
# What. Every INTERVAL seconds, for each Wi-Fi interface: nothing while it is up (one read of its
# operstate in sysfs, no nmcli); otherwise, when NetworkManager has it "disconnected" (not
# connecting, not unavailable with the radio off), its autoconnect is on (`nmcli device disconnect`
# turns that off: a person's choice is kept) and a saved connection's network is in range (an
# available connection), at two checks in a row, so NetworkManager's own autoconnect goes first:
# `nmcli device connect`, which picks the available connection that last worked. A wrong password
# fails again and is tried again at the next two checks; nothing else is changed.
# Usage: picamd-wifi-rejoin.sh [INTERVAL_SECONDS [SYS_CLASS_NET [CHECKS]]] (defaults 20,
# /sys/class/net, 0: check for ever; the tests stop it after CHECKS checks).
set -u
INTERVAL=${1:-20}
NET=${2:-/sys/class/net}
CHECKS=${3:-0}
NMCLI=${PICAMD_NMCLI:-nmcli}

log() { printf 'picamd-wifi-rejoin: %s\n' "$*"; }
# nmcli's words without the terminal escape and carriage return it clears its progress line with,
# even into a pipe (the journal would store the line as binary data).
plain() { printf '%s' "$1" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\r//g'; }

# "yes" when NetworkManager could join DEVICE but is not trying: disconnected, autoconnect on, a
# connection available.
given_up() {
  "$NMCLI" -t -f GENERAL.STATE,GENERAL.AUTOCONNECT,CONNECTIONS.AVAILABLE-CONNECTIONS device show "$1" 2> /dev/null \
    | awk -F: '
        $1 == "GENERAL.STATE" && $2 ~ /^30 / { disconnected = 1 }
        $1 == "GENERAL.AUTOCONNECT" && $2 == "yes" { auto = 1 }
        $1 ~ /^CONNECTIONS\.AVAILABLE-CONNECTIONS/ && $2 != "" { available = 1 }
        END { print (disconnected && auto && available) ? "yes" : "no" }'
}

# Interfaces seen given up at the previous check.
pending=' '
log "watching the Wi-Fi interfaces every $INTERVAL s"
n=0
while [ "$CHECKS" -eq 0 ] || [ "$n" -lt "$CHECKS" ]; do
  n=$((n + 1))
  sleep "$INTERVAL"
  still=' '
  for dir in "$NET"/*; do
    [ -e "$dir/phy80211" ] || continue
    dev=${dir##*/}
    [ "$(cat "$dir/operstate" 2> /dev/null)" = up ] && continue
    [ "$(given_up "$dev")" = yes ] || continue
    case $pending in
      *" $dev "*)
        log "$dev: NetworkManager is not joining the network in range (autoconnect blocked, for example after a broken WPA handshake); asking it to connect"
        if out=$("$NMCLI" --wait 120 device connect "$dev" 2>&1); then
          log "$dev: $(plain "$out")"
        else
          log "$dev: not joined: $(plain "$out")"
        fi
        ;;
      *) still="$still$dev " ;;
    esac
  done
  pending=$still
done
