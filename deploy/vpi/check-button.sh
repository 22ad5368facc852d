# The privacy button on a real GPIO line (sourced by deploy/test-boot.sh; check_button on the booted
# guest). QEMU's virt board raises PL061 line 3 on QMP system_powerdown (vm_press_button in vm.sh);
# the test overlay (overlay-button.sh) gave that line to picamd's privacy button, active high. A press
# travels QEMU -> PL061 -> the guest kernel's gpiolib IRQ -> sysfs edge -> onoff's epoll in picamd's
# sandbox -> debounce -> privacy. Checked from outside: /api/status, the camera process (picamd's
# child) gone and back, the LED line's pattern, and the stream's frames after the second press.
# Every vm_run costs seconds under emulation, so each step asks the guest once.
# Uses test-boot.sh's api, status_json, json_get, wait_until, LED_SAMPLES_CMD, ok, fail and summary.

privacy_is() { [[ $(status_json | json_get 's => `${s.privacy.enabled} ${s.privacy.source}`') == "$1" ]]; }
camera_state_is() { [[ $(status_json | json_get 's => s.camera.state') == "$1" ]]; }
# picamd's child processes in the guest (the camera: rpicam-vid, here the simulator) as
# "children=PID ...", once none is left (up to 30 s). One guest shell for both, with $1 run after.
camera_children_gone() {
  vm_run "p=\$(systemctl show -p MainPID --value picamd.service)
    for i in \$(seq 30); do [ -z \"\$(pgrep -P \$p)\" ] && break; sleep 1; done
    echo \"children=\$(pgrep -P \$p | tr '\n' ' ')\"; ${1:-:}"
}

# Presses the button (held 1 s) until privacy reads $1, at most twice. Under emulation on a loaded
# host a guest vCPU can stall through a whole press, so its two edges reach the kernel as one
# interrupt and sysfs reads the level after both (nothing a program on a real line can see): one
# repeat is allowed, and reported with the kernel's interrupt count for the line.
BUTTON_REPEATS=0
press_until() {
  vm_press_button 1000 || fail "button: QMP system_powerdown failed"
  wait_until 30 privacy_is "$1" && return 0
  BUTTON_REPEATS=$((BUTTON_REPEATS + 1))
  echo "test-boot: note: a press did not reach picamd (PL061 line 3 interrupts so far: $(vm_run "awk '/pl061/ { print \$2 + \$3 }' /proc/interrupts")); pressing again" >&2
  vm_press_button 1000 || fail "button: QMP system_powerdown failed"
  wait_until 60 privacy_is "$1" || fail "button: privacy is not '$1' after two presses ($(status_json | json_get 's => JSON.stringify(s.privacy)'))"
}

check_button() {
  local t t_on t_off out pattern
  # From a streaming camera: privacy off through the API (check_led left it on).
  api -f -X POST -H 'content-type: application/json' -d '{"enabled":false}' "http://127.0.0.1:$VM_HTTP/api/privacy" -o /dev/null \
    || fail "button: POST /api/privacy (off) failed"
  wait_until 300 camera_state_is streaming || fail "button: the camera is not streaming before the press ($(status_json | json_get 's => s.camera.state'))"

  t=$(date +%s)
  press_until 'true button'
  t_on=$(($(date +%s) - t))
  wait_until 60 camera_state_is paused || fail "button: the camera is not paused with privacy on"
  out=$(camera_children_gone "$LED_SAMPLES_CMD") || fail "button: cannot look at the guest's processes and LED line"
  [[ $out == 'children='* && $(head -1 <<< "$out") == 'children=' ]] || fail "button: a camera process still runs with privacy on ($out)"
  pattern=$(tail -1 <<< "$out")
  [[ $pattern == *0* && $pattern == *1* ]] || fail "button: the LED line does not blink with privacy on: $pattern"
  ok "button press (QMP -> PL061 line 3 -> kernel IRQ -> sysfs edge -> picamd): private by 'button' after ${t_on} s, no camera process, LED blinks ($pattern)"

  t=$(date +%s)
  press_until 'false button'
  wait_until 300 camera_state_is streaming || fail "button: the camera does not stream again after the second press ($(status_json | json_get 's => s.camera.state'))"
  node "$REPO/deploy/check-stream.mjs" "http://$OWNER:${OWNER_PASSWORD// /%20}@127.0.0.1:$VM_HTTP" 5 120 > "$WORK/stream-button.log" 2>&1 \
    || { cat "$WORK/stream-button.log" >&2; fail "button: no frames after the second press"; }
  t_off=$(($(date +%s) - t))
  ok "second press: not private, the camera streams again, frames arrive ${t_off} s after the press"
  local repeated=''
  ((BUTTON_REPEATS == 0)) || repeated=", $BUTTON_REPEATS press(es) repeated"
  summary+=("button ok (private ${t_on}s, frames again ${t_off}s$repeated)")
}
