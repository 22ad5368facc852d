# A full card and a read-only card (sourced by deploy/test-boot.sh; check_storage on the booted guest,
# the camera streaming). The root filesystem is filled as root, so ext4's reserved blocks go too, and
# remounted read-only as ext4's errors=remount-ro does after an I/O error (journald is moved to /run
# first: its open journal would make the remount busy, which the kernel's own remount ignores).
# Expected each time: /api/status says the card is full or read-only before anything is saved (and
# back to its first state after); a settings change answers 507 naming the cause and changes nothing
# (the file on the card, the running values, the stream); privacy on still stops the camera (fail
# closed) and the answer and /api/status say it was not saved; once the card takes writes again,
# changes save. The journal is in RAM (journald's files all under /run), so logs cannot fill the card.
# Uses test-boot.sh's api, status_json, json_get, wait_until, ok, fail and summary, and
# check-button.sh's camera_state_is and camera_children_gone.

STORAGE_FILL=/var/tmp/vpi-fill
# Root's free space, reserved blocks included, into one file; dd tops up what fallocate leaves.
storage_fill_cmd="i=0; for size in 64M 4M 256K; do while fallocate -l \$size $STORAGE_FILL.\$i 2>/dev/null; do i=\$((i+1)); done; done
  dd if=/dev/zero of=$STORAGE_FILL.x bs=4k 2>/dev/null; sync; echo \"free=\$(df --output=avail / | tail -1 | tr -d ' ')\""
storage_free_cmd="rm -f $STORAGE_FILL.*"
# journald's open files: with Storage=volatile all under /run/log/journal, none on the card.
journal_files_cmd='echo "journal=$(journalctl --header 2>/dev/null | sed -n "s/^File path: \(.*\)\/[^/]*$/\1/p" | sort -u | tr "\n" " ")"'
settings_sum_cmd='echo "sum=$(sha256sum /var/lib/picamd/settings.json 2>/dev/null | cut -c1-16)"; echo "privacy=$(cat /var/lib/picamd/privacy.json)"'

# /api/status's storage.state is $1 (picamd reads the card at most every 5 s).
storage_state_is() { [[ $(status_json | json_get "s => s.storage?.state ?? 'none'") == "$1" ]]; }
# Waits for the state $1 before anything is saved; $2 says when.
storage_says() {
  wait_until 60 storage_state_is "$1" || fail "storage: /api/status says the card is $(status_json | json_get "s => s.storage?.state ?? 'none'"), not $1 ($2)"
}

# PATCH server.maxViewers to $1 and expect 507 with error $2; the running value stays $3.
storage_refuses() {
  local answer code
  answer=$(api -s -X PATCH -H 'content-type: application/json' -d "{\"server\":{\"maxViewers\":$1}}" \
    "http://127.0.0.1:$VM_HTTP/api/settings" -w '\n%{http_code}') || fail "storage: PATCH /api/settings got no answer"
  code=${answer##*$'\n'}; answer=${answer%$'\n'*}
  [[ $code == 507 && $(json_get 'a => a.error' <<< "$answer") == "$2" ]] || fail "storage: a settings change answered $code $answer, not 507 $2"
  [[ $(api "http://127.0.0.1:$VM_HTTP/api/settings" | json_get 's => s.values.server.maxViewers') == "$3" ]] \
    || fail "storage: the refused change ($2) changed server.maxViewers"
  STORAGE_MESSAGE=$(json_get 'a => a.message' <<< "$answer")
}

# POST privacy $1 and expect 200 with notSaved.error $2 (or none: "-").
storage_privacy() {
  local answer
  answer=$(api -f -X POST -H 'content-type: application/json' -d "{\"enabled\":$1}" "http://127.0.0.1:$VM_HTTP/api/privacy") \
    || fail "storage: POST /api/privacy $1 failed"
  [[ $(json_get "a => \`\${a.privacy.enabled} \${a.privacy.notSaved?.error ?? '-'}\`" <<< "$answer") == "$1 $2" ]] \
    || fail "storage: POST /api/privacy $1 answered $answer (expected notSaved: $2)"
  [[ $(status_json | json_get "s => s.privacy.notSaved?.error ?? '-'") == "$2" ]] || fail "storage: /api/status does not say privacy notSaved $2"
  STORAGE_MESSAGE=$(json_get "a => a.privacy.notSaved?.message ?? ''" <<< "$answer")
}

check_storage() {
  local t before out max full_msg ro_msg privacy_msg first journal
  t=$(date +%s)
  camera_state_is streaming || fail "storage: the camera is not streaming at the start"
  first=$(status_json | json_get "s => s.storage?.state ?? 'none'")
  [[ $first == ok || $first == low ]] || fail "storage: /api/status says the card is $first at the start, not ok or low"
  max=$(api "http://127.0.0.1:$VM_HTTP/api/settings" | json_get 's => s.values.server.maxViewers')
  # A full card: a settings change is refused and changes nothing.
  out=$(vm_run "$journal_files_cmd; $settings_sum_cmd; $storage_fill_cmd") || fail "storage: could not fill the card"
  before=$(grep '^sum=' <<< "$out" || true)
  journal=$(sed -n 's/^journal=//p' <<< "$out")
  [[ -n $journal && ! $journal =~ (^| )/(var|home|opt|srv)/ ]] || fail "storage: journald writes on the card: ${journal:-no journal file}"
  [[ $out == *'free=0'* ]] || fail "storage: the card is not full: $out"
  storage_says full "filled, before any save"
  storage_refuses $((max + 1)) storage-full "$max"; full_msg=$STORAGE_MESSAGE
  # A read-only card (space freed first, so only the remount refuses): the same.
  out=$(vm_run "$settings_sum_cmd; $storage_free_cmd; journalctl --relinquish-var; mount -o remount,ro / && echo remounted") \
    || fail "storage: could not remount the root read-only"
  [[ $out == *remounted* ]] || fail "storage: the root was not remounted read-only: $out"
  storage_says read-only "remounted read-only, before any save"
  [[ $(grep '^sum=' <<< "$out") == "$before" ]] || fail "storage: settings.json changed on the full card"
  storage_refuses $((max + 2)) storage-read-only "$max"; ro_msg=$STORAGE_MESSAGE
  camera_state_is streaming || fail "storage: the camera stopped streaming after the refused saves"
  node "$REPO/deploy/check-stream.mjs" "http://$OWNER:${OWNER_PASSWORD// /%20}@127.0.0.1:$VM_HTTP" 5 120 > "$WORK/stream-storage.log" 2>&1 \
    || { cat "$WORK/stream-storage.log" >&2; fail "storage: the stream stopped after the refused saves"; }
  # Privacy on a read-only card: the camera stops all the same; the answer says it was not saved.
  storage_privacy true storage-read-only; privacy_msg=$STORAGE_MESSAGE
  wait_until 60 camera_state_is paused || fail "storage: the camera is not paused with privacy on (read-only card)"
  # Privacy on a full card next: off then on again while it is full.
  out=$(camera_children_gone "$settings_sum_cmd; mount -o remount,rw / && journalctl --flush; $storage_fill_cmd") \
    || fail "storage: could not remount rw and fill"
  [[ $(head -1 <<< "$out") == 'children=' ]] || fail "storage: a camera process still runs with privacy on a read-only card ($out)"
  [[ $out == *'free=0'* ]] || fail "storage: the card is not full: $out"
  [[ $(grep '^sum=' <<< "$out") == "$before" ]] || fail "storage: settings.json changed on the read-only card"
  storage_says full "writable again and filled"
  [[ $out == *'"enabled":false'* ]] || fail "storage: privacy.json changed on the read-only card: $out"
  storage_privacy false storage-full
  storage_privacy true storage-full
  wait_until 60 camera_state_is paused || fail "storage: the camera is not paused with privacy on (full card)"
  # Space again: changes save.
  out=$(camera_children_gone "$storage_free_cmd; $settings_sum_cmd") || fail "storage: could not free the card"
  [[ $(head -1 <<< "$out") == 'children=' ]] || fail "storage: a camera process still runs with privacy on a full card ($out)"
  [[ $(grep '^sum=' <<< "$out") == "$before" && $out == *'"enabled":false'* ]] || fail "storage: a file changed on the full card: $out"
  storage_says "$first" "space again"
  api -f -X PATCH -H 'content-type: application/json' -d "{\"server\":{\"maxViewers\":$((max + 3))}}" "http://127.0.0.1:$VM_HTTP/api/settings" -o /dev/null \
    || fail "storage: a settings change fails once the card has space again"
  storage_privacy false -
  out=$(vm_run "$settings_sum_cmd") || fail "storage: cannot read the state files"
  [[ $(grep '^sum=' <<< "$out") != "$before" && $out == *'"enabled":false,"source":"api"'* ]] || fail "storage: the changes did not reach the card: $out"
  ok "full card: PATCH 507 \"$full_msg\"; read-only card: 507 \"$ro_msg\"; nothing changed, the stream went on"
  ok "/api/status said storage $first, full and read-only before any save, and $first again after; journal in RAM (${journal% })"
  ok "privacy on a read-only or full card stops the camera (no process) and says \"$privacy_msg\"; with space again both save ($(($(date +%s) - t)) s)"
  summary+=("full/read-only card ok ($(($(date +%s) - t))s)")
}
