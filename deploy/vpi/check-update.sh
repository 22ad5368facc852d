# The virtual Pi's update check (issue 24), sourced by deploy/test-boot.sh and run on its booted
# guest with `check_update`: one signed update through the page's API, a reboot, and with
# PICAMD_VPI_UPDATE_CUT=1 a power cut during a second update's trial (off by default: it costs an
# update and a boot more, 12-15 minutes on a busy machine).
#   B is the card's own bundle repacked as the next patch version (a new version number is all an
#   update needs to be taken; test-update.sh covers versions that differ in what they do), signed
#   with the throw-away key that overlay-update.sh put beside the release key on the card.
#   1. With privacy on and a changed setting, the owner POSTs B to /api/update from the host;
#      /api/update is followed through its states to committed; B is current, A previous.
#   2. vm_reboot: at a real boot B runs, through the `current` links (the unit file systemd loaded
#      and picamd's working directory); the updater's path unit is active; the owner logs in; privacy
#      and the setting are as before; with privacy off the stream arrives.
#   3. C (the next version again) is uploaded; while it is on trial, QEMU is killed; the boot after
#      it must come up in a working version (C committed, or B after a rollback), with the setting.
# Uses test-boot.sh's REPO, BUNDLE, WORK, VM_DIR, OWNER*, api, status_json, json_get, wait_until,
# http_answers, owner_login, ok, fail, log, summary and vm.sh's controls.

UPDATE_CUT=${PICAMD_VPI_UPDATE_CUT:-0}

update_fail() {
  vm_run journalctl -b -u picamd-update -u picamd --no-pager -o short-monotonic 2>/dev/null | tail -n 40 | sed 's/^/  guest| /' >&2 || true
  fail "$*"
}

# The bundle as version $1, with the test's key in its keys/ (as bundle.sh adds the signing key),
# signed with that key into $2.
update_make() {
  local version=$1 out=$2 dir=$WORK/update-build-$1 from
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xzf "$BUNDLE" -C "$dir"
  from=$(cd "$dir" && echo picamd-*)
  from=${from#picamd-}
  mv "$dir/picamd-$from" "$dir/picamd-$version"
  node -e "const fs = require('fs'), f = process.argv[1], p = JSON.parse(fs.readFileSync(f, 'utf8'));
    p.version = process.argv[2]; fs.writeFileSync(f, JSON.stringify(p, null, 2) + '\n');" "$dir/picamd-$version/package.json" "$version"
  install -m 644 "$VM_DIR/update/public.pem" "$dir/picamd-$version/keys/vpi-test-update.pem"
  tar --sort=name --owner=0 --group=0 --numeric-owner -C "$dir" -czf "$dir/bundle.tar.gz" "picamd-$version"
  node "$REPO/deploy/sign-update.mjs" sign "$REPO/dist" "$VM_DIR/update/signing.pem" "$dir/bundle.tar.gz" "$out" \
    "$version" "$from" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >/dev/null || fail "could not sign the update file $version"
  rm -rf "$dir"
}

# The next patch version of $1 (0.1.0 -> 0.1.1).
update_next() { node -e "const [a, b, c] = process.argv[1].split('-')[0].split('.').map(Number); console.log([a, b, c + 1].join('.'))" "$1"; }

update_view() { api -m 300 "http://127.0.0.1:$VM_HTTP/api/update" 2>/dev/null; }

# POSTs the file $1 as the owner; fails unless picamd answers 202.
update_upload() {
  local code
  code=$(api -m 900 -o "$WORK/upload.json" -w '%{http_code}' -H 'Expect:' -H 'Content-Type: application/octet-stream' \
    --data-binary "@$1" "http://127.0.0.1:$VM_HTTP/api/update") || true
  [[ $code == 202 ]] || update_fail "POST /api/update answered ${code:-nothing}: $(cat "$WORK/upload.json" 2>/dev/null)"
}

# Follows GET /api/update (the owner's view of /api/status's `update`) until a final state; one
# request at a time (picamd's first login after its restart checks the password with scrypt).
# Sets UPDATE_STATES (each state seen, with the seconds since $1) and UPDATE_RESULT.
update_follow() {
  local since=$1 state last='' view
  UPDATE_STATES=()
  UPDATE_RESULT=''
  while (($(date +%s) - since < 1200)); do
    if view=$(update_view) && state=$(json_get 's => s.update?.state ?? "none"' <<< "$view" 2>/dev/null); then :; else state='(picamd not answering)'; fi
    if [[ $state != "$last" ]]; then
      UPDATE_STATES+=("$state $(($(date +%s) - since))s")
      last=$state
    fi
    case $state in committed | rolled-back | refused | failed) UPDATE_RESULT=$state; return 0 ;; esac
    sleep 1
  done
  update_fail "the update did not finish within 1200 s (states: ${UPDATE_STATES[*]})"
}

# Version the guest's /opt/picamd link $1 points at.
update_link() { vm_run readlink "/opt/picamd/$1" | sed 's|^releases/||'; }

check_update() {
  local a b c file_b t t_make t_upload t_update t_reboot free_before free_min rel_mb max_before states view pid
  t=$(date +%s)
  a=$(api "http://127.0.0.1:$VM_HTTP/api/status" | json_get 's => s.device.version')
  b=$(update_next "$a")
  c=$(update_next "$b")
  file_b=$WORK/picamd-$b.update
  update_make "$b" "$file_b"
  t_make=$(($(date +%s) - t))
  log "update file $b signed with the overlay's key ($(($(stat -c %s "$file_b") / 1048576)) MB, $t_make s)"
  # C is made while B is installed.
  local make_c=''
  if ((UPDATE_CUT)); then update_make "$c" "$WORK/picamd-$c.update" & make_c=$!; fi

  # The card before: the root's free space (two releases side by side, plus the upload and the
  # updater's checked copy while it unpacks), the setting and privacy to find again.
  free_before=$(vm_run "df -B1M --output=avail / | tail -n1 | tr -d ' '")
  rel_mb=$(vm_run "du -sm /opt/picamd/releases/$a | cut -f1")
  vm_run "nohup sh -c 'while :; do df -B1M --output=avail / | tail -n1; sleep 1; done' > /run/vpi-update-df.log 2>&1 & echo \$! > /run/vpi-update-df.pid" || true
  max_before=$(api "http://127.0.0.1:$VM_HTTP/api/settings" | json_get 's => s.values.server.maxViewers')
  api -X POST -H 'content-type: application/json' -d '{"enabled":true}' "http://127.0.0.1:$VM_HTTP/api/privacy" -o /dev/null -f \
    || fail "POST /api/privacy failed"

  # 1. The update from the page's API.
  t=$(date +%s)
  update_upload "$file_b"
  t_upload=$(($(date +%s) - t))
  update_follow "$t"
  t_update=$(($(date +%s) - t))
  states=$(IFS=','; echo "${UPDATE_STATES[*]}" | sed 's/,/, /g')
  [[ $UPDATE_RESULT == committed ]] || update_fail "the update to $b ended $UPDATE_RESULT: $(update_view) (states: $states)"
  view=$(update_view)
  [[ $(json_get 's => s.version' <<< "$view") == "$b" && $(json_get 's => s.previous' <<< "$view") == "$a" ]] \
    || update_fail "after the commit GET /api/update says: $view"
  [[ $(update_link current) == "$b" && $(update_link previous) == "$a" ]] \
    || update_fail "after the commit current -> $(update_link current), previous -> $(update_link previous)"
  free_min=$(vm_run 'kill $(cat /run/vpi-update-df.pid); sort -n /run/vpi-update-df.log | head -n1 | tr -d " "')
  ok "update $a -> $b from the host through POST /api/update: upload and picamd's check $t_upload s, committed after $t_update s (states: $states); current $b, previous $a"
  ok "root file system: $free_before MB free before (a release is $rel_mb MB), $free_min MB at the least during the update, $(vm_run "df -B1M --output=avail / | tail -n1 | tr -d ' '") MB after (df's available: ext4's 5 % root reserve not counted)"

  # 2. A real boot runs B through the links, with the owner, privacy and the setting as they were.
  t=$(date +%s)
  vm_reboot || update_fail "the guest did not come back after the reboot that followed the update"
  wait_until 600 http_answers || update_fail "picamd did not answer after the reboot that followed the update"
  wait_until 300 owner_login || update_fail "the owner cannot log in after the update and a reboot"
  t_reboot=$(($(date +%s) - t))
  [[ $(status_json | json_get 's => s.device.version') == "$b" ]] || update_fail "after the reboot picamd $(status_json | json_get 's => s.device.version') runs, not $b"
  [[ $(vm_run systemctl show -p FragmentPath --value picamd.service) == /etc/systemd/system/picamd.service \
    && $(vm_run readlink /etc/systemd/system/picamd.service) == /opt/picamd/current/systemd/picamd.service ]] \
    || update_fail "picamd.service is not the link to current's: $(vm_run ls -l /etc/systemd/system/picamd.service)"
  pid=$(vm_run systemctl show -p MainPID --value picamd.service)
  [[ $(vm_run readlink "/proc/$pid/cwd") == "/opt/picamd/releases/$b" ]] || update_fail "picamd runs in $(vm_run readlink "/proc/$pid/cwd"), not releases/$b"
  [[ $(vm_run systemctl is-active picamd-update.path) == active ]] || update_fail "picamd-update.path is not active after the reboot"
  [[ $(vm_run systemctl show -p Result --value picamd-update.service) == success ]] || update_fail "the updater's run at boot failed"
  [[ $(status_json | json_get 's => s.privacy.enabled') == true ]] || update_fail "privacy was lost across the update and the reboot"
  [[ $(api "http://127.0.0.1:$VM_HTTP/api/settings" | json_get 's => s.values.server.maxViewers') == "$max_before" ]] \
    || update_fail "server.maxViewers was lost across the update and the reboot"
  api -X POST -H 'content-type: application/json' -d '{"enabled":false}' "http://127.0.0.1:$VM_HTTP/api/privacy" -o /dev/null -f \
    || fail "POST /api/privacy (off) failed"
  node "$REPO/deploy/check-stream.mjs" "http://$OWNER:${OWNER_PASSWORD// /%20}@127.0.0.1:$VM_HTTP" 10 240 > "$WORK/stream-update.log" 2>&1 \
    || { cat "$WORK/stream-update.log" >&2; update_fail "no stream from $b after the reboot"; }
  ok "reboot after the update ($t_reboot s): $b runs from /opt/picamd/current (picamd.service the link to current's, its working directory releases/$b), picamd-update.path active; the owner logs in, privacy still on, server.maxViewers $max_before; with privacy off the stream arrives"
  summary+=("update ${t_update}s (upload ${t_upload}s) + reboot ${t_reboot}s")

  ((UPDATE_CUT)) || return 0
  # 3. A power cut while C is on trial.
  local delay state now up running
  wait "$make_c" || fail "could not make the update file $c"
  t=$(date +%s)
  update_upload "$WORK/picamd-$c.update"
  # Until the trial, or the end of an update that never got there (refused: no room, say).
  trial_or_end() { [[ $(vm_run cat /var/lib/picamd-update/status.json 2>/dev/null) =~ \"state\":\"(trial|checking|refused|failed|rolled-back)\" ]]; }
  wait_until 900 trial_or_end && [[ $(vm_run cat /var/lib/picamd-update/status.json) =~ \"state\":\"(trial|checking)\" ]] \
    || update_fail "never saw $c on trial: $(vm_run cat /var/lib/picamd-update/status.json)"
  delay=$((RANDOM % 20))
  sleep "$delay"
  state=$(vm_run cat /var/lib/picamd-update/status.json | json_get 's => s.state')
  vm_kill
  vm_boot "$CARD" raw || update_fail "the card did not boot after the cut during $c's trial"
  wait_until 600 http_answers || update_fail "after the cut during $c's trial picamd does not answer"
  wait_until 300 owner_login || update_fail "after the cut during $c's trial the owner cannot log in"
  update_follow "$(date +%s)"
  [[ $UPDATE_RESULT == committed || $UPDATE_RESULT == rolled-back ]] || update_fail "after the cut during $c's trial the update ended $UPDATE_RESULT"
  up=$(update_link current)
  running=$(status_json | json_get 's => s.device.version')
  [[ $running == "$up" ]] || update_fail "after the cut during $c's trial picamd $running runs and current is $up"
  [[ ($UPDATE_RESULT == committed && $up == "$c") || ($UPDATE_RESULT == rolled-back && $up == "$b") ]] \
    || update_fail "after the cut during $c's trial: $UPDATE_RESULT, current $up"
  now=$(api "http://127.0.0.1:$VM_HTTP/api/settings" | json_get 's => s.values.server.maxViewers')
  [[ $now == "$max_before" ]] || update_fail "after the cut during $c's trial server.maxViewers is $now, not $max_before"
  [[ $(status_json | json_get 's => s.privacy.enabled') == false ]] || update_fail "after the cut during $c's trial privacy changed"
  node "$REPO/deploy/check-stream.mjs" "http://$OWNER:${OWNER_PASSWORD// /%20}@127.0.0.1:$VM_HTTP" 10 240 > "$WORK/stream-update.log" 2>&1 \
    || { cat "$WORK/stream-update.log" >&2; update_fail "no stream from $up after the cut during $c's trial"; }
  ok "cut during $c's trial ($state, +$delay s): the boot after it ends the trial by itself ($UPDATE_RESULT), $up runs with its setting and privacy, the owner logs in, the stream arrives; releases on the card: $(vm_run ls /opt/picamd/releases | tr '\n' ' ')($(($(date +%s) - t)) s)"
  summary+=("cut on trial ${UPDATE_RESULT} $(($(date +%s) - t))s")
}
