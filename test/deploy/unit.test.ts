// systemd/picamd.service as systemd itself reads it: `systemd-analyze verify` in a scratch root
// (so ExecStart= resolves to the installed layout, not this machine's /opt), and the exposure score
// of `systemd-analyze security`, which docs/install.md states.
import { describe, it, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const unitFile = join(import.meta.dirname, '../../systemd/picamd.service');
const setupUnitFile = join(import.meta.dirname, '../../systemd/picamd-setup.service');
const haveAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0 && existsSync('/usr/lib/systemd/system/sysinit.target');
const skip = !haveAnalyze && process.env.CI !== 'true' ? 'needs systemd-analyze and the systemd units' : false;

/** The exposure score docs/install.md states; a change to the unit that raises it must be deliberate. */
const EXPOSURE = 1.9;
/** The same for the root-owned updater, picamd-update.service. */
const UPDATER_EXPOSURE = 1.1;

test('the unit starts node with --expose-gc and a 1 MB young generation, the flags `npm run demo` and the tests start picamd with', () => {
  // The frame reclaimer (src/platform/reclaim.ts) takes V8's gc() from --expose-gc; without it, or
  // without the young generation's cap, picamd runs with more memory. No flag is turned on at run time.
  const unit = readFileSync(unitFile, 'utf8');
  const execStart = unit.split('\n').filter((l) => l.startsWith('ExecStart='));
  assert.deepEqual(execStart, ['ExecStart=/opt/picamd/current/node/bin/node --expose-gc --max-semi-space-size=1 /opt/picamd/current/dist/main.js']);
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts.demo!, /^MALLOC_MMAP_THRESHOLD_=4194304 MALLOC_ARENA_MAX=1 node --expose-gc --max-semi-space-size=1 dist\/main\.js /);
  const fakes = readFileSync(join(import.meta.dirname, '../fakes/app.ts'), 'utf8');
  assert.match(fakes, /process\.execPath, '--expose-gc', '--max-semi-space-size=1', mainJs/);
});

test("the unit's malloc settings are the ones `npm run demo` and the benchmark run picamd with", () => {
  // Both bound the anonymous memory (docs/performance.md); test/bench/run.ts reads them from the unit.
  const unit = readFileSync(unitFile, 'utf8');
  const malloc = unit.split('\n').filter((l) => l.startsWith('Environment=MALLOC_'));
  assert.deepEqual(malloc, ['Environment=MALLOC_MMAP_THRESHOLD_=4194304', 'Environment=MALLOC_ARENA_MAX=1']);
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.ok(pkg.scripts.demo!.startsWith(`${malloc.map((l) => l.slice('Environment='.length)).join(' ')} node `));
});

test('the unit admits only the camera device classes (not char-vchiq: /dev/vchiq is a misc device, major 10)', () => {
  const unit = readFileSync(unitFile, 'utf8');
  const allowed = [...unit.matchAll(/^DeviceAllow=(\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(allowed, ['char-video4linux', 'char-media', 'char-dma_heap']);
});

describe('systemd/picamd.service', { skip }, () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'picamd-unit-'));
    // verify resolves dependencies such as multi-user.target from the root's unit directories.
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    cpSync(unitFile, join(root, 'etc/systemd/system/picamd.service'));
    cpSync(setupUnitFile, join(root, 'etc/systemd/system/picamd-setup.service'));
    // The installed layout: releases side by side, `current` a relative link, the updater outside them.
    mkdirSync(join(root, 'opt/picamd/releases/1.0.0/node/bin'), { recursive: true });
    symlinkSync('releases/1.0.0', join(root, 'opt/picamd/current'));
    writeFileSync(join(root, 'opt/picamd/current/node/bin/node'), '#!/bin/sh\n');
    chmodSync(join(root, 'opt/picamd/current/node/bin/node'), 0o755);
    mkdirSync(join(root, 'opt/picamd/bin'), { recursive: true });
    writeFileSync(join(root, 'opt/picamd/bin/picamd-update'), '#!/bin/sh\n');
    chmodSync(join(root, 'opt/picamd/bin/picamd-update'), 0o755);
    for (const unit of ['picamd-update.service', 'picamd-update.path', 'picamd-timezone.service', 'picamd-timezone.path', 'picamd-os-updates.service']) cpSync(join(import.meta.dirname, '../../systemd', unit), join(root, 'etc/systemd/system', unit));
    // The time zone helper runs from the release (deploy/picamd-timezone.sh) through /bin/sh.
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin/sh'), '#!/bin/sh\n');
    chmodSync(join(root, 'bin/sh'), 0o755);
    // picamd-setup.service's ExecCondition= (Raspberry Pi OS has grep at /bin through the /usr merge).
    writeFileSync(join(root, 'bin/grep'), '#!/bin/sh\n');
    chmodSync(join(root, 'bin/grep'), 0o755);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('passes systemd-analyze verify without a single warning', () => {
    const r = spawnSync('systemd-analyze', [`--root=${root}`, 'verify', 'picamd.service'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
  });

  it('picamd-setup.service passes verify too, and runs before the network and picamd', () => {
    const r = spawnSync('systemd-analyze', [`--root=${root}`, 'verify', 'picamd-setup.service'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
    const unit = readFileSync(setupUnitFile, 'utf8');
    for (const before of ['network-pre.target', 'NetworkManager.service', 'avahi-daemon.service', 'picamd.service']) {
      assert.match(unit, new RegExp(`^Before=.*\\b${before.replace('.', '\\.')}\\b`, 'm'), before);
    }
    // After cloud-init's local stage, which sets Imager's host name early: the setup file's wins.
    assert.match(unit, /^After=cloud-init-local\.service$/m);
    assert.match(unit, /^ExecCondition=\/bin\/grep -Eq '\^\[\^#\]\*=' \/boot\/firmware\/picamd-setup\.txt$/m);
  });

  it('fails verify when ExecStart= names a program the bundle does not have', () => {
    // The check above is only worth something if verify looks at the installed layout.
    rmSync(join(root, 'opt/picamd/current/node/bin/node'));
    try {
      const r = spawnSync('systemd-analyze', [`--root=${root}`, 'verify', 'picamd.service'], { encoding: 'utf8' });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /\/opt\/picamd\/current\/node\/bin\/node/);
    } finally {
      writeFileSync(join(root, 'opt/picamd/current/node/bin/node'), '#!/bin/sh\n');
      chmodSync(join(root, 'opt/picamd/current/node/bin/node'), 0o755);
    }
  });

  it('the updater\'s units pass verify too; picamd counts its starts on trial through the updater, as root for that command only', () => {
    for (const unit of ['picamd-update.service', 'picamd-update.path']) {
      const r = spawnSync('systemd-analyze', [`--root=${root}`, 'verify', unit], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(`${r.stdout}${r.stderr}`.trim(), '', unit);
    }
    const unit = readFileSync(unitFile, 'utf8');
    assert.deepEqual(unit.split('\n').filter((l) => l.startsWith('ExecStartPre=')), ['ExecStartPre=-+/opt/picamd/bin/picamd-update start-check']);
    assert.match(readFileSync(join(import.meta.dirname, '../../systemd/picamd-update.path'), 'utf8'), /^PathExists=\/var\/lib\/private\/picamd\/update\/request\.update$/m);
  });

  it('the time zone helper\'s units pass verify; the path watches picamd\'s request; the helper is as closed as the updater', () => {
    for (const unit of ['picamd-timezone.service', 'picamd-timezone.path']) {
      const r = spawnSync('systemd-analyze', [`--root=${root}`, 'verify', unit], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(`${r.stdout}${r.stderr}`.trim(), '', unit);
    }
    assert.match(readFileSync(join(import.meta.dirname, '../../systemd/picamd-timezone.path'), 'utf8'), /^PathExists=\/var\/lib\/private\/picamd\/time-zone\/request$/m);
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', join(import.meta.dirname, '../../systemd/picamd-timezone.service')], { encoding: 'utf8' });
    const score = /Overall exposure level for picamd-timezone\.service: ([\d.]+)/.exec(`${r.stdout}${r.stderr}`)?.[1];
    assert.ok(score && Number(score) <= UPDATER_EXPOSURE, `exposure ${score} > ${UPDATER_EXPOSURE}:\n${r.stdout}`);
  });

  it('the security updates\' first-boot unit passes verify; it waits for the network, is done once, retries, and has no [Install] of its own', () => {
    const r = spawnSync('systemd-analyze', [`--root=${root}`, 'verify', 'picamd-os-updates.service'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
    const unit = readFileSync(join(import.meta.dirname, '../../systemd/picamd-os-updates.service'), 'utf8');
    assert.match(unit, /^After=network-online\.target$/m);
    assert.match(unit, /^ConditionPathExists=!\/var\/lib\/picamd-os-updates\/installed$/m);
    assert.match(unit, /^Restart=on-failure$/m);
    // The image enables it (deploy/image/build-image.sh); the updater, which links every unit of a release, must not.
    assert.doesNotMatch(unit, /^\[Install\]/m);
  });

  it(`the updater has an exposure score of at most ${UPDATER_EXPOSURE} (root, one capability, no network)`, () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', join(import.meta.dirname, '../../systemd/picamd-update.service')], { encoding: 'utf8' });
    const score = /Overall exposure level for picamd-update\.service: ([\d.]+)/.exec(`${r.stdout}${r.stderr}`)?.[1];
    assert.ok(score, `no score in:\n${r.stdout}${r.stderr}`);
    assert.ok(Number(score) <= UPDATER_EXPOSURE, `exposure ${score} > ${UPDATER_EXPOSURE}:\n${r.stdout}`);
  });

  it(`has an exposure score of at most ${EXPOSURE} in systemd-analyze security`, () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', unitFile], { encoding: 'utf8' });
    const score = /Overall exposure level for picamd\.service: ([\d.]+)/.exec(`${r.stdout}${r.stderr}`)?.[1];
    assert.ok(score, `no score in:\n${r.stdout}${r.stderr}`);
    assert.ok(Number(score) <= EXPOSURE, `exposure ${score} > ${EXPOSURE}:\n${r.stdout}`);
  });
});
