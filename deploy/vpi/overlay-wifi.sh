#!/usr/bin/env bash
# The virtual Pi's Wi-Fi (test overlay, called by overlay.sh on the mounted card root): a WPA2
# access point inside the guest for the card to join, as a user's router would be.
#   - mac80211_hwsim (a module of Debian's arm64 kernel) loads at boot with two simulated radios;
#   - vpi-wifi-ap.service moves the second radio into its own network namespace (vpi-ap), so the
#     card's traffic to the access point really crosses the simulated air instead of the guest's
#     loopback, and runs there hostapd (WPA2-PSK) and busybox's udhcpd (the base's busybox-static),
#     before NetworkManager starts;
#   - NetworkManager is told to leave that radio alone (matched by its address);
#   - hostapd itself: Debian's arm64 package, downloaded on the host from the Debian mirror through
#     a throw-away apt configuration (no internet in the guest), only its binary copied in. Its
#     libraries must already be on the card (wpasupplicant brings the same ones); checked here.
# The first radio stays the card's wlan0, joined by NetworkManager from the keyfile picamd-setup
# writes. Nothing here goes into the shipped image.
# Usage (as root): deploy/vpi/overlay-wifi.sh VM_DIR ROOT
#   PICAMD_VPI_WIFI_SSID, PICAMD_VPI_WIFI_PASSWORD: the access point's network (deploy/test-boot.sh
#   writes the same into picamd-setup.txt); PICAMD_DEBIAN_MIRROR as for build-base.sh.
set -euo pipefail

VM_DIR=${1:?usage: overlay-wifi.sh VM_DIR ROOT}
ROOT=${2:?usage: overlay-wifi.sh VM_DIR ROOT}
SSID=${PICAMD_VPI_WIFI_SSID:-picamd vpi}
PASSWORD=${PICAMD_VPI_WIFI_PASSWORD:-virtual pi wifi}
MIRROR=${PICAMD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=$(sed -n 's/^VERSION_CODENAME=//p' "$ROOT/etc/os-release")
# mac80211_hwsim gives radio N the permanent address 02:00:00:00:0N:00; radio 1 is the access point.
AP_MAC=02:00:00:00:01:00

die() { printf 'overlay-wifi: error: %s\n' "$*" >&2; exit 1; }

# 1. hostapd for arm64, kept in VM_DIR beside the base so one CI run downloads it once.
fetch_hostapd() {
  local apt=$VM_DIR/wifi-apt debs=$VM_DIR/wifi-debs
  if compgen -G "$debs/hostapd_*_arm64.deb" >/dev/null; then return 0; fi
  rm -rf "$apt" && mkdir -p "$apt/etc/apt/apt.conf.d" "$apt/etc/apt/preferences.d" "$apt/etc/apt/sources.list.d" \
    "$apt/var/lib/apt/lists/partial" "$apt/var/cache/apt/archives/partial" "$apt/var/lib/dpkg" "$debs"
  : > "$apt/var/lib/dpkg/status"
  echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" > "$apt/etc/apt/sources.list"
  # Only this file's settings: the host's own apt configuration and state are not touched.
  cat > "$apt/apt.conf" <<CONF
Dir "$apt/";
Dir::State::status "$apt/var/lib/dpkg/status";
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
Acquire::Languages "none";
APT::Sandbox::User "root";
CONF
  APT_CONFIG=$apt/apt.conf apt-get -qq update >/dev/null || die "apt-get update (arm64, $MIRROR $SUITE) failed"
  (cd "$debs" && APT_CONFIG=$apt/apt.conf apt-get -qq download hostapd:arm64 >/dev/null) || die "cannot download hostapd:arm64"
  rm -rf "$apt"
}
fetch_hostapd
DEB=$(compgen -G "$VM_DIR/wifi-debs/hostapd_*_arm64.deb" | head -n1)

# Each dependency of the package must be installed on the card in a version that satisfies it
# (dpkg's own status file of the card, compared with dpkg's rules).
check_depends() {
  local dep alt name op ver have ok
  while IFS= read -r dep; do
    ok=0
    IFS='|' read -ra alts <<< "$dep"
    for alt in "${alts[@]}"; do
      read -r name op ver <<< "$(sed -E 's/^ *([^ (]+) *(\(([<>=]+) *([^)]+)\))?.*$/\1 \3 \4/' <<< "$alt")"
      name=${name%:any}
      have=$(dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${db:Status-Abbrev}${Version}' "$name:arm64" 2>/dev/null \
        || dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${db:Status-Abbrev}${Version}' "$name" 2>/dev/null || true)
      [[ $have == ii* ]] || continue
      have=${have#ii }; have=${have# }
      if [[ -z $op ]] || dpkg --compare-versions "$have" "$op" "$ver"; then ok=1; break; fi
    done
    ((ok)) || die "hostapd needs \"$dep\", which the card does not have (deploy/vpi/build-base.sh)"
  done < <(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/^ *//; /^$/d')
}
check_depends
X=$(mktemp -d /tmp/picamd-vpi-hostapd.XXXXXX)
dpkg-deb -x "$DEB" "$X"
install -D -m 755 "$X/usr/sbin/hostapd" "$ROOT/usr/local/sbin/hostapd"
rm -rf "$X"

# 2. The radios, at boot (systemd-modules-load, early in sysinit, as a Pi's Wi-Fi driver loads
#    while udev settles the devices).
echo mac80211_hwsim > "$ROOT/etc/modules-load.d/vpi-wifi.conf"
echo 'options mac80211_hwsim radios=2' > "$ROOT/etc/modprobe.d/vpi-wifi.conf"

# 3. NetworkManager leaves the access point's radio alone (it is in another namespace by the time
#    NetworkManager starts; this holds should it ever see it).
install -d "$ROOT/etc/NetworkManager/conf.d"
printf '[keyfile]\nunmanaged-devices=mac:%s\n' "$AP_MAC" > "$ROOT/etc/NetworkManager/conf.d/90-vpi-wifi-ap.conf"

# 4. The access point: hostapd and a DHCP server in the vpi-ap namespace. 192.0.2.0/24 (TEST-NET-1,
#    RFC 5737) cannot be mistaken for QEMU's 10.0.2.0/24 on the Ethernet side or for any real LAN.
#    A DHCP server rather than fixed addresses: the keyfile picamd-setup writes says method=auto,
#    as a user's router expects, and that is what is tested.
install -d -m 700 "$ROOT/etc/vpi-wifi"
{
  echo "driver=nl80211"
  echo "ssid=$SSID"
  # 2.4 GHz channel 6: allowed in the world domain and in every country, so the access point
  # never depends on the country the test sets for the card.
  echo "hw_mode=g"
  echo "channel=6"
  echo "wpa=2"
  echo "wpa_key_mgmt=WPA-PSK"
  echo "rsn_pairwise=CCMP"
  echo "wpa_passphrase=$PASSWORD"
  echo "ctrl_interface=/run/vpi-wifi/hostapd"
} > "$ROOT/etc/vpi-wifi/hostapd.conf"
chmod 600 "$ROOT/etc/vpi-wifi/hostapd.conf"
# The same network with another passphrase: the access point refuses the card's first handshake
# with it (below, "refuse-once"), as a router does when the handshake breaks off.
sed 's/^wpa_passphrase=.*/wpa_passphrase=not the card'"'"'s passphrase/' "$ROOT/etc/vpi-wifi/hostapd.conf" > "$ROOT/etc/vpi-wifi/hostapd-refuse.conf"
chmod 600 "$ROOT/etc/vpi-wifi/hostapd-refuse.conf"
cat > "$ROOT/etc/vpi-wifi/udhcpd.conf" <<'CONF'
start 192.0.2.100
end 192.0.2.150
max_leases 51
option subnet 255.255.255.0
option router 192.0.2.1
option lease 3600
lease_file /run/vpi-wifi/udhcpd.leases
pidfile /run/vpi-wifi/udhcpd.pid
CONF
cat > "$ROOT/usr/local/sbin/vpi-wifi-ap" <<SH
#!/bin/sh
# Virtual Pi (test overlay): the access point's radio into the vpi-ap namespace, hostapd and udhcpd there.
# "vpi-wifi-ap restart-hostapd" starts hostapd again: the kernel's rfkill is one for the whole
# guest, so NetworkManager switching the card's Wi-Fi off blocks the access point's radio too
# (which no real router would notice), and hostapd does not bring its interface back by itself.
# "vpi-wifi-ap refuse-once": hostapd with another passphrase, so it refuses every handshake, until
# NetworkManager has given the network up ("no secrets" in its journal: the weakness
# picamd-wifi-rejoin mends, whichever of NetworkManager's paths leads there), then with the right
# one again; /run/vpi-wifi/refusing exists meanwhile. The first boot does this by itself (once per
# card: /var/lib/vpi-wifi/refused), so the card's first handshakes are refused, deterministically.
set -eu
ap() { ip netns exec vpi-ap "\$@"; }
hostapd_with() {
  kill "\$(cat /run/vpi-wifi/hostapd.pid 2>/dev/null)" 2>/dev/null || true
  sleep 1
  : > /run/vpi-wifi/hostapd.log
  ap /usr/local/sbin/hostapd -B -P /run/vpi-wifi/hostapd.pid -f /run/vpi-wifi/hostapd.log -i "\$(cat /run/vpi-wifi/interface)" "\$1" > /dev/null
}
no_secrets() { journalctl -b -o cat -u NetworkManager --no-pager 2>/dev/null | grep -c 'no secrets: No agents' || true; }
refuse_once() {
  touch /run/vpi-wifi/refusing
  before=\$(no_secrets)
  hostapd_with /etc/vpi-wifi/hostapd-refuse.conf
  # In the background, its output to the journal (never holding the caller's SSH session open).
  { (
    i=0
    until [ "\$(no_secrets)" -gt "\$before" ] || [ \$i -ge 300 ]; do sleep 2; i=\$((i + 2)); done
    echo "vpi-wifi-ap: refused \$(grep -c AP-STA-POSSIBLE-PSK-MISMATCH /run/vpi-wifi/hostapd.log) handshakes in about \$i s, until NetworkManager gave up; the right passphrase from now on"
    hostapd_with /etc/vpi-wifi/hostapd.conf
    rm -f /run/vpi-wifi/refusing
  ) 2>&1 | logger -t vpi-wifi-ap; } < /dev/null > /dev/null 2>&1 &
}
case "\${1:-}" in
  restart-hostapd) hostapd_with /etc/vpi-wifi/hostapd.conf; exit 0 ;;
  refuse-once) refuse_once; exit 0 ;;
esac
mkdir -p /run/vpi-wifi
phy=''
i=0
while [ -z "\$phy" ]; do
  for p in /sys/class/ieee80211/*; do
    [ "\$(cat "\$p/macaddress" 2>/dev/null)" = $AP_MAC ] && phy=\${p##*/}
  done
  [ -n "\$phy" ] && break
  i=\$((i + 1)); [ \$i -gt 300 ] && { echo "vpi-wifi-ap: no mac80211_hwsim radio $AP_MAC" >&2; exit 1; }
  sleep 0.2
done
ip netns add vpi-ap 2>/dev/null || true
iw phy "\$phy" set netns name vpi-ap
dev=\$(ap sh -c 'for d in /sys/class/net/*; do [ -e "\$d/phy80211" ] && echo "\${d##*/}"; done' | head -n1)
[ -n "\$dev" ] || { echo "vpi-wifi-ap: the radio \$phy has no interface in vpi-ap" >&2; exit 1; }
echo "\$dev" > /run/vpi-wifi/interface
ap ip link set lo up
ap ip addr add 192.0.2.1/24 dev "\$dev"
if [ -e /var/lib/vpi-wifi/refused ]; then
  hostapd_with /etc/vpi-wifi/hostapd.conf
else
  mkdir -p /var/lib/vpi-wifi && touch /var/lib/vpi-wifi/refused && sync
  refuse_once
fi
sed "1i interface \$dev" /etc/vpi-wifi/udhcpd.conf > /run/vpi-wifi/udhcpd.conf
touch /run/vpi-wifi/udhcpd.leases
ap busybox udhcpd /run/vpi-wifi/udhcpd.conf
echo "vpi-wifi-ap: access point on \$phy (\$dev, 192.0.2.1) in namespace vpi-ap"
SH
chmod 755 "$ROOT/usr/local/sbin/vpi-wifi-ap"
cat > "$ROOT/etc/systemd/system/vpi-wifi-ap.service" <<'UNIT'
[Unit]
Description=Virtual Pi (test overlay): a WPA2 access point on a simulated radio, in namespace vpi-ap
After=systemd-modules-load.service
Before=NetworkManager.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/vpi-wifi-ap
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/vpi-wifi-ap.service "$ROOT/etc/systemd/system/multi-user.target.wants/vpi-wifi-ap.service"
echo "overlay-wifi: access point \"$SSID\" (hostapd $(dpkg-deb -f "$DEB" Version) from $(basename "$DEB"))"
