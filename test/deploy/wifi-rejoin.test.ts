// deploy/picamd-wifi-rejoin.sh, the root helper that asks NetworkManager to connect a Wi-Fi
// interface it has given up on (a broken WPA handshake blocks the connection until the next boot on
// NetworkManager 1.42 and 1.52; the script says why). Run for a given number of checks against a
// scratch /sys/class/net and a stand-in nmcli that answers `device show` as nmcli -t does (one
// "FIELD:value" line each, AVAILABLE-CONNECTIONS numbered) and logs every call. Its unit is read by
// systemd itself (verify, and the exposure score of `systemd-analyze security`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const repo = join(import.meta.dirname, '../..');
const script = join(repo, 'deploy/picamd-wifi-rejoin.sh');
const unitFile = join(repo, 'systemd/picamd-wifi-rejoin.service');

/** What NetworkManager says of a Wi-Fi device, as `nmcli -t -f GENERAL.STATE,GENERAL.AUTOCONNECT,CONNECTIONS.AVAILABLE-CONNECTIONS device show` prints it. */
function show(state: string, autoconnect: 'yes' | 'no', available: string[]): string {
  return [`GENERAL.STATE:${state}`, `GENERAL.AUTOCONNECT:${autoconnect}`, ...available.map((c, i) => `CONNECTIONS.AVAILABLE-CONNECTIONS[${i + 1}]:${c}`)].join('\n') + '\n';
}
const GIVEN_UP = show('30 (disconnected)', 'yes', ['4b1c6e0e-3f3a-5d7e-9c1b-0a2f3e4d5c6b | picamd vpi']);

describe('picamd-wifi-rejoin', () => {
  let work: string;
  let n = 0;
  before(() => (work = mkdtempSync(join(tmpdir(), 'picamd-wifi-rejoin-'))));
  after(() => rmSync(work, { recursive: true, force: true }));

  /**
   * A device: /sys/class/net with the given interfaces (Wi-Fi ones have phy80211, as cfg80211
   * drivers' do), and a stand-in nmcli. `answers[dev]` is what `device show` prints, one entry per
   * check (the last one repeats). `connect` says what `device connect` does: join (the interface's
   * operstate becomes up) or fail as nmcli does.
   */
  function device(interfaces: Record<string, { wifi: boolean; operstate: string; answers?: string[] }>, connect: 'joins' | 'fails' = 'joins') {
    const root = join(work, `d${n++}`);
    const net = join(root, 'net');
    for (const [name, i] of Object.entries(interfaces)) {
      mkdirSync(join(net, name), { recursive: true });
      writeFileSync(join(net, name, 'operstate'), `${i.operstate}\n`);
      if (i.wifi) mkdirSync(join(net, name, 'phy80211'));
      (i.answers ?? []).forEach((a, k) => writeFileSync(join(root, `${name}.show.${k + 1}`), a));
    }
    const nmcli = join(root, 'nmcli');
    writeFileSync(
      nmcli,
      `#!/bin/sh\nR='${root}'\necho "$*" >> "$R/calls"\n` +
        `for dev; do :; done\n` +
        `case "$*" in\n` +
        `  *"device show"*)\n` +
        `    k=$(( $(cat "$R/$dev.k" 2>/dev/null || echo 0) + 1 )); echo $k > "$R/$dev.k"\n` +
        `    while [ $k -gt 1 ] && [ ! -e "$R/$dev.show.$k" ]; do k=$((k - 1)); done\n` +
        `    cat "$R/$dev.show.$k" ;;\n` +
        `  *"device connect"*)\n` +
        (connect === 'joins'
          ? `    echo up > "$R/net/$dev/operstate"; printf '\\033[2K\\rDevice %s successfully activated with 4b1c6e0e-3f3a-5d7e-9c1b-0a2f3e4d5c6b.\\n' "'$dev'" ;;\n`
          : `    echo "Error: Connection activation failed: Secrets were required, but not provided." >&2; exit 4 ;;\n`) +
        `esac\n`,
    );
    chmodSync(nmcli, 0o755);
    return { root, net, nmcli };
  }
  function run(d: { net: string; nmcli: string; root: string }, checks: number) {
    const r = spawnSync('sh', [script, '0', d.net, String(checks)], { encoding: 'utf8', env: { ...process.env, PICAMD_NMCLI: d.nmcli }, timeout: 60_000 });
    const calls = existsSync(join(d.root, 'calls')) ? readFileSync(join(d.root, 'calls'), 'utf8').trim().split('\n') : [];
    return { status: r.status, out: `${r.stdout}${r.stderr}`, calls, connects: calls.filter((c) => c.includes('device connect')) };
  }

  it('asks NetworkManager to connect an interface it has given up on, at the second check in a row, and then leaves it alone', () => {
    const d = device({ wlan0: { wifi: true, operstate: 'dormant', answers: [GIVEN_UP] } });
    const r = run(d, 4);
    assert.equal(r.status, 0, r.out);
    // Check 1: seen given up (NetworkManager's own autoconnect goes first); check 2: connect; then up.
    assert.deepEqual(r.connects, ['--wait 120 device connect wlan0']);
    assert.equal(r.calls.filter((c) => c.includes('device show')).length, 2, r.calls.join('\n'));
    assert.match(r.calls[0]!, /^-t -f GENERAL\.STATE,GENERAL\.AUTOCONNECT,CONNECTIONS\.AVAILABLE-CONNECTIONS device show wlan0$/);
    assert.match(r.out, /wlan0: NetworkManager is not joining the network in range .*asking it to connect/);
    // nmcli's terminal escape and carriage return (it clears its progress line even into a pipe) does not reach the journal.
    assert.match(r.out, /^picamd-wifi-rejoin: wlan0: Device 'wlan0' successfully activated/m);
    assert.ok(!/[\x1b\r]/.test(r.out), JSON.stringify(r.out));
  });

  it('costs no nmcli while the interface is up, and ignores interfaces that are not Wi-Fi', () => {
    const d = device({ wlan0: { wifi: true, operstate: 'up', answers: [GIVEN_UP] }, eth0: { wifi: false, operstate: 'down', answers: [GIVEN_UP] } });
    const r = run(d, 3);
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(r.calls, []);
  });

  const leftAlone: Array<[string, string]> = [
    ['autoconnect off (a person ran `nmcli device disconnect`)', show('30 (disconnected)', 'no', ['4b1c6e0e-3f3a-5d7e-9c1b-0a2f3e4d5c6b | picamd vpi'])],
    ['no saved network in range', show('30 (disconnected)', 'yes', [])],
    ['the radio off (unavailable)', show('20 (unavailable)', 'yes', ['4b1c6e0e-3f3a-5d7e-9c1b-0a2f3e4d5c6b | picamd vpi'])],
    ['NetworkManager joining by itself', show('50 (connecting (configuring))', 'yes', ['4b1c6e0e-3f3a-5d7e-9c1b-0a2f3e4d5c6b | picamd vpi'])],
    ['an interface NetworkManager does not know (nmcli prints nothing)', ''],
  ];
  for (const [what, answer] of leftAlone) {
    it(`leaves the interface alone with ${what}`, () => {
      const d = device({ wlan0: { wifi: true, operstate: 'down', answers: [answer] } });
      const r = run(d, 3);
      assert.equal(r.status, 0, r.out);
      assert.deepEqual(r.connects, []);
      assert.equal(r.calls.length, 3, r.calls.join('\n'));
    });
  }

  it('does not connect when NetworkManager was given up at one check only and joining at the next', () => {
    const d = device({ wlan0: { wifi: true, operstate: 'down', answers: [GIVEN_UP, show('50 (connecting (configuring))', 'yes', ['x | picamd vpi']), GIVEN_UP] } });
    const r = run(d, 3);
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(r.connects, []);
  });

  it('when the connect fails (a wrong password), says so, keeps watching and tries again two checks later', () => {
    const d = device({ wlan0: { wifi: true, operstate: 'dormant', answers: [GIVEN_UP] } }, 'fails');
    const r = run(d, 5);
    assert.equal(r.status, 0, r.out);
    // Checks 2 and 4 connect; 1, 3 and 5 only see it given up.
    assert.equal(r.connects.length, 2, r.calls.join('\n'));
    assert.match(r.out, /wlan0: not joined: Error: Connection activation failed: Secrets were required, but not provided\./);
  });

  it('mends each Wi-Fi interface on its own', () => {
    const d = device({ wlan0: { wifi: true, operstate: 'up', answers: [GIVEN_UP] }, wlan1: { wifi: true, operstate: 'down', answers: [GIVEN_UP] } });
    const r = run(d, 2);
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(r.connects, ['--wait 120 device connect wlan1']);
  });
});

const haveAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0 && existsSync('/usr/lib/systemd/system/sysinit.target');
const skip = !haveAnalyze && process.env.CI !== 'true' ? 'needs systemd-analyze and the systemd units' : false;
/** The root helpers' exposure (picamd-update.service, picamd-timezone.service: test/deploy/unit.test.ts). */
const HELPER_EXPOSURE = 1.1;

describe('picamd-wifi-rejoin.service', { skip }, () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'picamd-wifi-rejoin-unit-'));
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    cpSync(unitFile, join(root, 'etc/systemd/system/picamd-wifi-rejoin.service'));
    mkdirSync(join(root, 'opt/picamd/releases/1.0.0/deploy'), { recursive: true });
    symlinkSync('releases/1.0.0', join(root, 'opt/picamd/current'));
    cpSync(script, join(root, 'opt/picamd/current/deploy/picamd-wifi-rejoin.sh'));
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin/sh'), '#!/bin/sh\n');
    chmodSync(join(root, 'bin/sh'), 0o755);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('passes systemd-analyze verify, starts after NetworkManager, restarts, and is as closed as the other root helpers', () => {
    const r = spawnSync('systemd-analyze', [`--root=${root}`, 'verify', 'picamd-wifi-rejoin.service'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
    const unit = readFileSync(unitFile, 'utf8');
    assert.match(unit, /^After=NetworkManager\.service$/m);
    assert.match(unit, /^ExecStart=\/bin\/sh \/opt\/picamd\/current\/deploy\/picamd-wifi-rejoin\.sh$/m);
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
    const s = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', unitFile], { encoding: 'utf8' });
    const score = /Overall exposure level for picamd-wifi-rejoin\.service: ([\d.]+)/.exec(`${s.stdout}${s.stderr}`)?.[1];
    assert.ok(score && Number(score) <= HELPER_EXPOSURE, `exposure ${score} > ${HELPER_EXPOSURE}:\n${s.stdout}`);
  });
});
