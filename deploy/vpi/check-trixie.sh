# The virtual Pi on Raspberry Pi OS Trixie (issue 22), sourced by deploy/test-boot.sh and run after
# its Bookworm checks with `check_trixie`: the same picamd image builder, unchanged, on a Trixie base
# (deploy/vpi/build-base.sh DIR trixie, the 2025-10-01 release: cloud-init installed without
# Raspberry Pi's additions, Debian's 6.12 kernel; deploy/vpi/README.md lists what differs from
# Bookworm), booted once for the essentials: picamd-setup applies the setup file, the owner logs in
# from the host, the stream arrives, picamd's memory and the guest's with 4 viewers, the LED.
# Reboot and power cuts are Bookworm's alone: they test picamd, not the release under it.
# Uses test-boot.sh's helpers and variables (log, ok, fail, wait_until, picamd_active, owner_login,
# status_json, json_get, api, led_samples, summary, REPO, WORK, BUNDLE, OWNER, OWNER_PASSWORD,
# HOST_NAME, LED_LINE) and vm.sh's controls.
#   PICAMD_VPI_SUITES="bookworm trixie"  the bases to boot (default both). Bookworm always runs; a
#                                        list without trixie skips this pass and the summary says so.
#   PICAMD_VPI_TRIXIE_DIR=DIR            build the Trixie base into DIR and keep it (default: scratch)

check_trixie() {
  local suites=${PICAMD_VPI_SUITES:-bookworm trixie} t t_base t_image t_boot t_picamd t_login rate
  if [[ " $suites " != *" trixie "* ]]; then
    log "Trixie pass skipped: PICAMD_VPI_SUITES is \"$suites\""
    summary+=("trixie SKIPPED (PICAMD_VPI_SUITES)")
    return 0
  fi
  vm_kill
  VM_DIR=${PICAMD_VPI_TRIXIE_DIR:-$WORK/base-trixie}
  local W=$WORK/trixie
  mkdir -p "$W"

  t=$(date +%s)
  bash "$REPO/deploy/vpi/build-base.sh" "$VM_DIR" trixie || fail "trixie: build-base.sh failed"
  t_base=$(($(date +%s) - t))
  log "trixie: base card ready ($t_base s, kernel $(cat "$VM_DIR/kernel-version"))"
  t=$(date +%s)
  bash "$REPO/deploy/image/build-image.sh" --base "$VM_DIR/base.img" --bundle "$BUNDLE" --out "$W/picamd.img" \
    > "$W/build-image.log" 2>&1 || { cat "$W/build-image.log" >&2; fail "trixie: build-image.sh failed on the Trixie base"; }
  t_image=$(($(date +%s) - t))
  # The 2025-10-01 image has cloud-init but not rpi-cloud-init-mods: Imager customises it with
  # firstrun.sh (the "systemd" format), as Imager's doc/os_customisation_formats.md says.
  grep -q 'base: trixie, rpi-cloud-init-mods: false -> Imager customisation "systemd"' "$W/build-image.log" \
    || fail "trixie: build-image.sh chose another Imager format: $(grep 'Imager customisation' "$W/build-image.log")"
  ok "trixie: picamd image built by deploy/image/build-image.sh ($t_image s); Imager format \"systemd\" (cloud-init without rpi-cloud-init-mods)"

  local card=$W/card.img boot_off
  PICAMD_VPI_LED_LINE=$LED_LINE bash "$REPO/deploy/vpi/overlay.sh" "$VM_DIR" "$W/picamd.img" "$card" \
    || fail "trixie: could not add the test overlay"
  boot_off=$(sfdisk -J "$card" | node -e "console.log(JSON.parse(require('fs').readFileSync(0, 'utf8')).partitiontable.partitions[0].start * 512)")
  printf 'hostname = %s\r\nowner_name = %s\r\nowner_password = %s\r\n' "$HOST_NAME" "$OWNER" "$OWNER_PASSWORD" > "$W/setup.txt"
  mcopy -o -i "$card@@$boot_off" "$W/setup.txt" ::/picamd-setup.txt

  log "trixie: booting the card"
  t=$(date +%s)
  vm_boot "$card" raw || fail "trixie: the card did not boot"
  t_boot=$(($(date +%s) - t))
  wait_until 600 picamd_active || { vm_run journalctl -b -u picamd-setup -u picamd --no-pager | tail -40 >&2; fail "trixie: picamd.service is not active"; }
  t_picamd=$(($(date +%s) - t))
  [[ $(vm_run . /etc/os-release '&&' echo '$VERSION_CODENAME') == trixie ]] || fail "trixie: the guest is not Trixie"
  [[ $(vm_run systemctl show -p Result --value picamd-setup.service) == success ]] || fail "trixie: picamd-setup.service did not succeed"
  [[ $(vm_run hostname) == "$HOST_NAME" ]] || fail "trixie: host name is $(vm_run hostname), not $HOST_NAME from the setup file"
  ok "trixie: first boot ($t_boot s to SSH, kernel $(vm_run uname -r)): picamd-setup applied the setup file (host name $HOST_NAME), picamd active after $t_picamd s; cloud-init: $(vm_run 'cloud-init status 2>&1 | tr "\n" " "')"

  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -m 30 "http://127.0.0.1:$VM_HTTP/api/status")
  [[ $code == 401 ]] || fail "trixie: /api/status without a login answered $code, not 401"
  t=$(date +%s)
  wait_until 300 owner_login || fail "trixie: the owner from the setup file cannot log in"
  t_login=$(($(date +%s) - t))
  node "$REPO/deploy/check-stream.mjs" "http://$OWNER:${OWNER_PASSWORD// /%20}@127.0.0.1:$VM_HTTP" 30 240 > "$W/stream.log" 2>&1 \
    || { cat "$W/stream.log" >&2; fail "trixie: no stream"; }
  rate=$(sed -n 's/.*: \([0-9]*\)\/[0-9]* whole JPEG frames in \([0-9.]*\) s.*/\1 \2/p' "$W/stream.log" | awk '{ printf "%.1f", $1 / $2 }')
  ok "trixie: the owner logs in ($t_login s for the first login; 401 without); $rate frames/s arrive"

  # Memory with 4 viewers, as on Bookworm.
  local n
  memory_with_viewers
  n=$mem_viewers
  ((n >= 4)) || fail "trixie: only $n viewers on the stream"
  ok "trixie: memory with $n viewers: picamd RSS $rss_mb MB, its camera (simulator) $cam_mb MB; MemAvailable $avail_mb of $total_mb MB"

  # The LED on the PL061 line through Debian 6.12's GPIO sysfs (CONFIG_GPIO_SYSFS).
  local streaming private
  streaming=$(led_samples) || fail "trixie: cannot read the LED line: $(vm_run "journalctl -b -u picamd --no-pager -o cat | grep '^gpio:'")"
  [[ $streaming =~ ^1+$ ]] || fail "trixie: the LED line is not steady on while streaming: $streaming"
  api -X POST -H 'content-type: application/json' -d '{"enabled":true}' "http://127.0.0.1:$VM_HTTP/api/privacy" -o /dev/null -f \
    || fail "trixie: POST /api/privacy failed"
  sleep 1
  private=$(led_samples)
  [[ $private == *0* && $private == *1* ]] || fail "trixie: the LED line does not blink with privacy on: $private"
  ok "trixie: LED on PL061 line $LED_LINE steady while streaming, blinks ($private) with privacy on"
  vm_kill
  summary+=("trixie: base ${t_base}s, image ${t_image}s, boot ${t_boot}s, picamd ${t_picamd}s, stream ${rate}fps, picamd ${rss_mb}MB+cam ${cam_mb}MB, avail ${avail_mb}/${total_mb}MB, LED ok")
}
