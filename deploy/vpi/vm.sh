# The virtual Pi's controls, sourced by deploy/test-boot.sh and by any test that needs a booted card
# (for example an update with its reboot):
#   vm_boot DISK [FORMAT]   start QEMU on the card image DISK (raw, or qcow2 for an overlay) and wait
#                           until the guest's SSH answers; sets VM_PID, VM_HTTP (the host port that
#                           reaches the guest's port 80), VM_SSH
#   vm_run CMD...           run a shell command in the guest as root (its exit status is returned)
#   vm_reboot               reboot the guest (systemctl reboot) and wait for the new boot
#   vm_poweroff             shut the guest down cleanly and wait for QEMU to exit
#   vm_kill                 cut the power: SIGKILL QEMU
#   vm_boot_id              the guest's current boot id
#   vm_press_button [MS]    press the board's button and hold it MS ms (300): QMP system_powerdown,
#                           which QEMU's virt board turns into a high level on its PL061 GPIO line 3
#                           (deploy/vpi/overlay-button.sh frees that line for picamd's privacy button)
# Needs: VM_DIR (vmlinuz, initrd, cmdline from deploy/vpi/build-base.sh, and ssh/id_ed25519, the
# key the test overlay authorises for root), VM_WORK (a scratch folder for the console logs).
# Machine: QEMU's "virt" board, one Cortex-A53 cluster of 2 cores, 512 MB like a Pi Zero 2 W, TCG
# (no KVM on an x86 host); the card is one virtio disk; user-mode networking forwarded from
# 127.0.0.1 only; QEMU's QMP socket at $VM_QMP (vm_press_button).

VM_PID=''
VM_QMP=''
VM_HTTP=''
VM_SSH=''
VM_BOOTS=0
VM_BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-900}

vm_free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

vm_ssh_opts() {
  printf '%s\n' -i "$VM_DIR/ssh/id_ed25519" -p "$VM_SSH" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=6
}

vm_run_once() {
  local opts
  mapfile -t opts < <(vm_ssh_opts)
  ssh "${opts[@]}" root@127.0.0.1 "$@" < /dev/null
}

# ssh's own failures (exit 255: "Connection timed out during banner exchange" when the emulated
# guest is starved on a busy host) are tried again twice; the command's own status is returned.
vm_run() {
  local try rc
  for try in 1 2 3; do
    if vm_run_once "$@"; then return 0; else rc=$?; fi
    ((rc == 255)) || return "$rc"
    kill -0 "$VM_PID" 2>/dev/null || return "$rc"
    sleep 2
  done
  return "$rc"
}

vm_boot_id() { vm_run cat /proc/sys/kernel/random/boot_id; }

# Waits until the guest's SSH answers (and its boot id differs from $1 when given).
vm_wait_up() {
  local old=${1:-} t0 id
  t0=$(date +%s)
  while (($(date +%s) - t0 < VM_BOOT_TIMEOUT)); do
    kill -0 "$VM_PID" 2>/dev/null || { echo "vm: QEMU exited" >&2; return 1; }
    if grep -aq 'You are in emergency mode' "$VM_CONSOLE" 2>/dev/null; then
      grep -a 'FAILED\|DEPEND\|TIME' "$VM_CONSOLE" >&2
      echo "vm: the guest is in emergency mode" >&2
      return 1
    fi
    if id=$(vm_run cat /proc/sys/kernel/random/boot_id 2>/dev/null) && [[ -n $id && $id != "$old" ]]; then
      VM_UP_SECONDS=$(($(date +%s) - t0))
      return 0
    fi
    sleep 2
  done
  echo "vm: no SSH within $VM_BOOT_TIMEOUT s" >&2
  return 1
}

# QEMU itself, in the foreground: DISK FORMAT. The console goes to $VM_CONSOLE.
vm_qemu() {
  # virtio-net-pci's option ROM (iPXE) is only for network boot: romfile= leaves it out.
  # restrict=on: the guest reaches nothing beyond QEMU's DHCP and the two forwarded ports, as a
  # camera on a LAN without internet would; so the image's first-boot jobs that need the internet
  # (picamd-os-updates.service's apt, time sync) fail and retry as they would there, instead of
  # installing packages under emulation in the middle of the test.
  exec qemu-system-aarch64 -M virt -cpu cortex-a53 -smp 2 -m 512 -accel tcg,thread=multi \
    -kernel "$VM_DIR/vmlinuz" -initrd "$VM_DIR/initrd" -append "$(cat "$VM_DIR/cmdline")" \
    -drive "file=$1,format=$2,if=none,id=card,cache=writeback" -device virtio-blk-pci,drive=card \
    -netdev "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:$VM_HTTP-:80,hostfwd=tcp:127.0.0.1:$VM_SSH-:22" \
    -device virtio-net-pci,netdev=net0,romfile= \
    -display none -monitor none -serial "file:$VM_CONSOLE" -qmp "unix:$VM_QMP,server=on,wait=off"
}

# QEMU 7.2's virt board, booted with -kernel and no firmware, has no ACPI power button (its GED is
# only made when firmware is loaded): hw/arm/virt.c wires a "gpio-key" device to PL061 line 3 and
# virt_powerdown_req() triggers it on system_powerdown; hw/gpio/gpio_key.c raises the line and lowers
# it 100 ms of virtual time later, each new trigger restarting that timer. Under emulation on a busy
# host the guest can take the two edges' interrupts late, so a bare 100 ms pulse may reach it much
# shorter than picamd's 50 ms debounce, or as one interrupt. A press is therefore held the way a
# finger holds it: system_powerdown every 50 ms for HOLD_MS (default 300), then the line falls.
vm_press_button() {
  node -e '
    const hold = Number(process.argv[2]), sock = require("net").connect(process.argv[1]);
    let buf = "", ready = false, t0 = 0;
    const fail = (m) => { console.error("vm: QMP: " + m); process.exit(1); };
    setTimeout(() => fail("no answer within 30 s"), 30000).unref();
    const press = () => sock.write(JSON.stringify({ execute: "system_powerdown" }) + "\n");
    sock.on("error", (e) => fail(e.message));
    sock.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buf.slice(0, i)); buf = buf.slice(i + 1);
        if (msg.error) fail(JSON.stringify(msg.error));
        if (msg.QMP) sock.write(JSON.stringify({ execute: "qmp_capabilities" }) + "\n");
        else if ("return" in msg && !ready) { ready = true; t0 = Date.now(); press(); }
        else if ("return" in msg && Date.now() - t0 + 100 < hold) setTimeout(press, 50);
        else if ("return" in msg) { sock.end(); process.exit(0); }
      }
    });' "$VM_QMP" "${1:-300}"
}

vm_boot() {
  local disk=$1 format=${2:-raw}
  VM_HTTP=$(vm_free_port)
  VM_SSH=$(vm_free_port)
  VM_BOOTS=$((VM_BOOTS + 1))
  VM_CONSOLE=$VM_WORK/console-$VM_BOOTS.log
  VM_QMP=$VM_WORK/qmp-$VM_BOOTS.sock
  vm_qemu "$disk" "$format" &
  VM_PID=$!
  vm_wait_up
}

vm_reboot() {
  local old
  old=$(vm_boot_id)
  vm_run_once systemctl reboot || true # once: a retry could reach the next boot
  vm_wait_up "$old"
}

vm_poweroff() {
  vm_run_once systemctl poweroff || true
  local i
  # systemd gives a stopping unit 90 s before it kills it; emulated on a busy host, a few may need it.
  for i in $(seq 300); do kill -0 "$VM_PID" 2>/dev/null || break; sleep 1; done
  if kill -0 "$VM_PID" 2>/dev/null; then
    echo "vm: the guest did not power off within 300 s" >&2
    vm_kill
    return 1
  fi
  wait "$VM_PID" 2>/dev/null || true
  VM_PID=''
}

vm_kill() {
  [[ -n $VM_PID ]] || return 0
  kill -KILL "$VM_PID" 2>/dev/null || true
  wait "$VM_PID" 2>/dev/null || true
  VM_PID=''
}

# Starts QEMU on DISK (raw) without waiting for the guest (a power cut during the boot follows).
vm_boot_nowait() {
  local disk=$1
  VM_HTTP=$(vm_free_port)
  VM_SSH=$(vm_free_port)
  VM_BOOTS=$((VM_BOOTS + 1))
  VM_CONSOLE=$VM_WORK/console-$VM_BOOTS.log
  VM_QMP=$VM_WORK/qmp-$VM_BOOTS.sock
  vm_qemu "$disk" raw &
  VM_PID=$!
}
