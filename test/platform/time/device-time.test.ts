// The device's time settings against a real file tree laid out as a Pi's (/etc/localtime a link
// into zoneinfo, timesyncd's directory), with the real root helper (deploy/picamd-timezone.sh, run
// as the path unit would) and a stand-in `timedatectl` that answers as the real one does: it
// relinks /etc/localtime when allowed, and prints the refusal or the missing bus otherwise.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { SystemTime, type SystemTimeOptions } from '../../../src/platform/time/device-time.js';
import { isZoneName, zoneFromLink, zonesFromTzdata } from '../../../src/platform/time/zones.js';
import { projectRoot } from '../../fakes/app.js';

const HELPER = join(projectRoot, 'deploy/picamd-timezone.sh');

const root = mkdtempSync(join(tmpdir(), 'picamd-time-'));
after(() => rmSync(root, { recursive: true, force: true }));

const TZIF = Buffer.concat([Buffer.from('TZif2'), Buffer.alloc(40)]);

/** A Pi's file tree in a temp folder, and the helper's answers in another; `answer`: how the stand-in timedatectl behaves. */
function device(name: string, answer: 'allow' | 'deny' | 'no-bus'): SystemTimeOptions & { bin: string } {
  const dir = join(root, name);
  const zoneinfo = join(dir, 'usr/share/zoneinfo');
  for (const zone of ['Europe/Berlin', 'Asia/Shanghai', 'Etc/UTC']) {
    mkdirSync(join(zoneinfo, zone, '..'), { recursive: true });
    writeFileSync(join(zoneinfo, zone), TZIF);
  }
  writeFileSync(join(zoneinfo, 'UTC'), TZIF);
  writeFileSync(join(zoneinfo, 'Europe/NotAZone'), 'just text');
  writeFileSync(join(zoneinfo, 'tzdata.zi'), '# version 2025b\nZ Europe/Berlin 0:53:28 - LMT 1893 Ap\nZ Asia/Shanghai 8:5:43 - LMT 1901\nL Etc/UTC UTC\nR EU 1977 1980 - Ap Su>=1 1u 1 S\n');
  mkdirSync(join(dir, 'etc/systemd/system'), { recursive: true });
  mkdirSync(join(dir, 'var/lib/picamd-timezone'), { recursive: true });
  const localtime = join(dir, 'etc/localtime');
  symlinkSync('../usr/share/zoneinfo/Europe/Berlin', localtime);
  const helper = join(dir, 'etc/systemd/system/picamd-timezone.path');
  writeFileSync(helper, '[Path]\n');
  // The stand-in answers as timedatectl does: it relinks /etc/localtime, or prints the refusal.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const script = {
    allow: `[ "$1" = --no-ask-password ] && [ "$2" = set-timezone ] || exit 2\nln -sfn "../usr/share/zoneinfo/$3" "${localtime}"`,
    deny: 'echo "Failed to set time zone: Access denied" >&2; exit 1',
    'no-bus': 'echo "Failed to connect to bus: Host is down" >&2; exit 1',
  }[answer];
  writeFileSync(join(bin, 'timedatectl'), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, 'timedatectl'), 0o755);
  return {
    localtime,
    zoneinfo,
    timesync: join(dir, 'run/systemd/timesync'),
    request: join(dir, 'var/lib/private/picamd/time-zone/request'),
    result: join(dir, 'var/lib/picamd-timezone/result'),
    helper,
    timeoutMs: 20_000,
    pollMs: 20,
    bin,
  };
}

/** What picamd-timezone.path does: once the request is there, the helper runs (as a real child process). */
async function runHelperWhenAsked(options: ReturnType<typeof device>): Promise<{ code: number | null; stderr: string }> {
  for (let i = 0; i < 500 && !existsSync(options.request); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  const run = spawnSync('sh', [HELPER, options.request, dirname(options.result), options.zoneinfo], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${options.bin}:${process.env.PATH}` },
  });
  return { code: run.status, stderr: run.stderr };
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

test('setTimeZone: the helper runs timedatectl, which relinks /etc/localtime; refusals are told apart', async () => {
  const allowed = device('allowed', 'allow');
  const time = new SystemTime(allowed);
  const [answer, helper] = await Promise.all([time.setTimeZone('Asia/Shanghai'), runHelperWhenAsked(allowed)]);
  assert.deepEqual(helper, { code: 0, stderr: '' });
  assert.deepEqual(answer, { ok: true });
  assert.equal(readlinkSync(allowed.localtime), '../usr/share/zoneinfo/Asia/Shanghai');
  assert.equal(time.state().timeZone, 'Asia/Shanghai');
  assert.equal(existsSync(allowed.request), false, 'the helper took the request');

  const denied = device('denied', 'deny');
  const [refused] = await Promise.all([new SystemTime(denied).setTimeZone('Asia/Shanghai'), runHelperWhenAsked(denied)]);
  assert.deepEqual(refused, { ok: false, reason: 'not-permitted', message: 'Failed to set time zone: Access denied' });
  const nobus = device('nobus', 'no-bus');
  const [unreachable] = await Promise.all([new SystemTime(nobus).setTimeZone('Asia/Shanghai'), runHelperWhenAsked(nobus)]);
  assert.deepEqual(unreachable, { ok: false, reason: 'unavailable', message: 'Failed to connect to bus: Host is down' });

  const unknown = await time.setTimeZone('Mars/Olympus');
  assert.equal(unknown.ok, false, 'never asked for a zone the device does not have');
  assert.equal(existsSync(allowed.request), false);
});

test('without the helper installed: unavailable at once, nothing written; no answer: unavailable after the wait', async () => {
  const options = device('nohelper', 'allow');
  rmSync(options.helper);
  const answer = await new SystemTime(options).setTimeZone('Asia/Shanghai');
  assert.equal(answer.ok === false && answer.reason, 'unavailable');
  assert.equal(existsSync(dirname(options.request)), false, 'no request left for nobody');
  const silent = device('silent', 'allow');
  const late = await new SystemTime({ ...silent, timeoutMs: 200 }).setTimeZone('Asia/Shanghai');
  assert.deepEqual(late, { ok: false, reason: 'unavailable', message: 'no answer from picamd-timezone.service within 0 s' });
});

test('the helper: a request that is a link, or names no zone, is never read out or passed on', () => {
  const options = device('hostile', 'allow');
  mkdirSync(dirname(options.request), { recursive: true });
  const run = () => spawnSync('sh', [HELPER, options.request, dirname(options.result), options.zoneinfo], { encoding: 'utf8', env: { ...process.env, PATH: `${options.bin}:${process.env.PATH}` } });
  // A link to a file picamd may not read: removed, not followed, no answer.
  symlinkSync(join(root, 'hostile/usr/share/zoneinfo/tzdata.zi'), options.request);
  assert.equal(run().status, 0);
  assert.equal(existsSync(options.request), false);
  assert.equal(existsSync(options.result), false);
  for (const [zone, expected] of [['../../../etc/shadow', 'not-a-zone'], ['Europe/NotAZone', 'not-a-zone'], ['Europe/Berlin;reboot', 'not-a-zone'], ['Europe/Berlin', 'ok']] as const) {
    writeFileSync(options.request, `${zone} abc123\n`);
    assert.equal(run().status, 0);
    assert.equal(readFileSync(options.result, 'utf8'), `abc123 ${expected}\n`, zone);
  }
  assert.equal(readlinkSync(options.localtime), '../usr/share/zoneinfo/Europe/Berlin');
});
