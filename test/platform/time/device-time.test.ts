// The device's time settings against a real file tree laid out as a Pi's (/etc/localtime a link
// into zoneinfo, timesyncd's directory) and a stand-in `timedatectl` (a real child process) that
// answers as the real one does: it relinks /etc/localtime when allowed, and prints polkit's refusal
// or the missing bus otherwise.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SystemTime, type SystemTimeOptions } from '../../../src/platform/time/device-time.js';
import { isZoneName, zoneFromLink, zonesFromTzdata } from '../../../src/platform/time/zones.js';

const root = mkdtempSync(join(tmpdir(), 'picamd-time-'));
after(() => rmSync(root, { recursive: true, force: true }));

const TZIF = Buffer.concat([Buffer.from('TZif2'), Buffer.alloc(40)]);

function device(name: string, answer: 'allow' | 'deny' | 'no-bus'): SystemTimeOptions {
  const dir = join(root, name);
  const zoneinfo = join(dir, 'usr/share/zoneinfo');
  for (const zone of ['Europe/Berlin', 'Asia/Shanghai', 'Etc/UTC']) {
    mkdirSync(join(zoneinfo, zone, '..'), { recursive: true });
    writeFileSync(join(zoneinfo, zone), TZIF);
  }
  writeFileSync(join(zoneinfo, 'UTC'), TZIF);
  writeFileSync(join(zoneinfo, 'Europe/NotAZone'), 'just text');
  writeFileSync(join(zoneinfo, 'tzdata.zi'), '# version 2025b\nZ Europe/Berlin 0:53:28 - LMT 1893 Ap\nZ Asia/Shanghai 8:5:43 - LMT 1901\nL Etc/UTC UTC\nR EU 1977 1980 - Ap Su>=1 1u 1 S\n');
  mkdirSync(join(dir, 'etc'), { recursive: true });
  const localtime = join(dir, 'etc/localtime');
  symlinkSync('../usr/share/zoneinfo/Europe/Berlin', localtime);
  const tool = join(dir, 'timedatectl');
  const script = {
    allow: `[ "$1" = --no-ask-password ] && [ "$2" = set-timezone ] || exit 2\nln -sfn "../usr/share/zoneinfo/$3" "${localtime}"`,
    deny: 'echo "Failed to set time zone: Access denied" >&2; exit 1',
    'no-bus': 'echo "Failed to connect to bus: Host is down" >&2; exit 1',
  }[answer];
  writeFileSync(tool, `#!/bin/sh\n${script}\n`);
  chmodSync(tool, 0o755);
  return { localtime, zoneinfo, timesync: join(dir, 'run/systemd/timesync'), timedatectl: tool, timeoutMs: 20_000 };
}

test('zone names: the syntax timedated takes, the link target, the list of tzdata.zi', () => {
  for (const ok of ['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) assert.equal(isZoneName(ok), true, ok);
  for (const bad of ['', '/etc/passwd', '../etc/passwd', 'Europe/../../x', 'Europe//Berlin', 'Europe/Berlin ', '-x', 'Europe/Berlin;reboot']) assert.equal(isZoneName(bad), false, bad);
  assert.equal(zoneFromLink('../usr/share/zoneinfo/Asia/Shanghai'), 'Asia/Shanghai');
  assert.equal(zoneFromLink('/usr/share/zoneinfo/posix/Europe/Berlin'), 'Europe/Berlin');
  assert.equal(zoneFromLink('/etc/some-file'), undefined);
  assert.deepEqual(zonesFromTzdata('Z Europe/Berlin 1\nL Etc/UTC UTC\nL Europe/Berlin Arctic/Longyearbyen\nR EU 1977\n'), ['Arctic/Longyearbyen', 'Europe/Berlin', 'UTC']);
});

test('state: the zone /etc/localtime links to; synchronized from timesyncd, unknown without it', () => {
  const options = device('state', 'allow');
  const time = new SystemTime(options);
  assert.deepEqual(time.state(), { timeZone: 'Europe/Berlin', synchronized: null });
  mkdirSync(options.timesync, { recursive: true });
  assert.equal(time.state().synchronized, false, 'timesyncd runs, not synchronized yet');
  writeFileSync(join(options.timesync, 'synchronized'), '');
  assert.equal(time.state().synchronized, true);
  rmSync(options.localtime);
  assert.equal(time.state().timeZone, 'UTC', 'no /etc/localtime: UTC, as timedated says');
});

test('isZone: a TZif file under zoneinfo; nothing outside it, nothing else', () => {
  const time = new SystemTime(device('zones', 'allow'));
  assert.equal(time.isZone('Asia/Shanghai'), true);
  assert.equal(time.isZone('Europe/NotAZone'), false, 'not TZif');
  assert.equal(time.isZone('Europe'), false, 'a folder');
  assert.equal(time.isZone('Mars/Olympus'), false);
  assert.equal(time.isZone('../../../etc/localtime'), false);
  assert.deepEqual(time.zones(), ['Asia/Shanghai', 'Europe/Berlin', 'UTC']);
});

test('setTimeZone: timedatectl relinks /etc/localtime; polkit’s refusal and a missing bus are told apart', async () => {
  const allowed = device('allowed', 'allow');
  const time = new SystemTime(allowed);
  assert.deepEqual(await time.setTimeZone('Asia/Shanghai'), { ok: true });
  assert.equal(readlinkSync(allowed.localtime), '../usr/share/zoneinfo/Asia/Shanghai');
  assert.equal(time.state().timeZone, 'Asia/Shanghai');

  assert.deepEqual(await new SystemTime(device('denied', 'deny')).setTimeZone('Asia/Shanghai'), { ok: false, reason: 'not-permitted', message: 'Failed to set time zone: Access denied' });
  assert.deepEqual(await new SystemTime(device('nobus', 'no-bus')).setTimeZone('Asia/Shanghai'), { ok: false, reason: 'unavailable', message: 'Failed to connect to bus: Host is down' });
  const missing = await new SystemTime({ ...device('missing', 'allow'), timedatectl: join(root, 'no-such-timedatectl') }).setTimeZone('Asia/Shanghai');
  assert.equal(missing.ok === false && missing.reason, 'unavailable');
  const unknown = await time.setTimeZone('Mars/Olympus');
  assert.equal(unknown.ok, false, 'never asked for a zone the device does not have');
  assert.equal(time.state().timeZone, 'Asia/Shanghai');
});
