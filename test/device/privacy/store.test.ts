import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile, mkdir, symlink, stat } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PrivacyStore } from '../../../src/device/privacy/store.js';
import { recordingFs, writeSteps } from '../../fakes/fs.js';
import { memoryLogger } from '../../fakes/logger.js';
import { tempDir } from '../../fakes/temp-dir.js';
import { PrivacyController } from '../../../src/device/privacy/controller.js';

const onState = { enabled: true, source: 'button', since: '2026-03-01T10:00:00.000Z' } as const;

test('a missing file (and a missing directory) is the first boot', async (t) => {
  const dir = await tempDir(t, 'privacy');
  assert.deepEqual(await new PrivacyStore(join(dir, 'privacy.json')).load(), { kind: 'missing' });
  assert.deepEqual(await new PrivacyStore(join(dir, 'nope', 'privacy.json')).load(), { kind: 'missing' });
});

test('save then load round-trips the state and leaves no temporary file', async (t) => {
  const dir = await tempDir(t, 'privacy');
  const store = new PrivacyStore(join(dir, 'privacy.json'));
  await store.save(onState);
  assert.deepEqual(await store.load(), { kind: 'ok', state: onState });
  const off = { enabled: false, source: 'api', since: '2026-03-02T11:30:00.000Z' } as const;
  await store.save(off);
  assert.deepEqual(await store.load(), { kind: 'ok', state: off });
  assert.deepEqual(await readdir(dir), ['privacy.json']);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'privacy.json'), 'utf8')), off);
});

test('save creates the state directory on a fresh system', async (t) => {
  const dir = await tempDir(t, 'privacy');
  const store = new PrivacyStore(join(dir, 'var', 'lib', 'picamd', 'privacy.json'));
  await store.save(onState);
  assert.deepEqual(await store.load(), { kind: 'ok', state: onState });
});

test('garbage, an empty file, a wrong shape or an unreadable path are corrupt, with a reason', async (t) => {
  const dir = await tempDir(t, 'privacy');
  const path = join(dir, 'privacy.json');
  const store = new PrivacyStore(path);
  const cases: Array<[string, RegExp]> = [
    ['{"enabled": tru', /not valid JSON/],
    ['', /empty/],
    ['   \n', /empty/],
    ['{"enabled": "yes", "source": "api", "since": "2026-03-01T10:00:00.000Z"}', /enabled/],
    ['{"enabled": true, "source": "cloud", "since": "2026-03-01T10:00:00.000Z"}', /source/],
    ['{"enabled": true, "source": "api", "since": "yesterday"}', /since/],
    ['[true]', /unexpected content/],
    ['null', /unexpected content/],
  ];
  for (const [content, reason] of cases) {
    await writeFile(path, content);
    const result = await store.load();
    assert.equal(result.kind, 'corrupt', `content ${JSON.stringify(content)}`);
    assert.match((result as { reason: string }).reason, reason, `content ${JSON.stringify(content)}`);
  }
  // A directory where the file should be is not a state: corrupt, not missing.
  const asDir = join(dir, 'is-a-dir.json');
  await mkdir(asDir);
  const unreadable = await new PrivacyStore(asDir).load();
  assert.equal(unreadable.kind, 'corrupt');
  assert.match((unreadable as { reason: string }).reason, /not a regular file/);
});

test('extra keys from a newer version still load', async (t) => {
  const dir = await tempDir(t, 'privacy');
  const path = join(dir, 'privacy.json');
  await writeFile(path, JSON.stringify({ ...onState, note: 'from v2' }));
  assert.deepEqual(await new PrivacyStore(path).load(), { kind: 'ok', state: onState });
});

test('save writes a temporary file, fsyncs it, renames it over the file, then fsyncs the directory', async (t) => {
  const dir = await tempDir(t, 'privacy');
  const { fs, steps } = recordingFs();
  await new PrivacyStore(join(dir, 'privacy.json'), fs).save(onState);
  assert.deepEqual(steps, [...writeSteps]);
});

for (const failAt of ['write', 'fsync', 'rename']) {
  test(`a failed ${failAt} rejects, keeps the previous file intact and removes the temporary file`, async (t) => {
    const dir = await tempDir(t, 'privacy');
    const path = join(dir, 'privacy.json');
    await new PrivacyStore(path).save(onState);
    const before = await readFile(path, 'utf8');
    const { fs } = recordingFs({ failAt });
    await assert.rejects(
      new PrivacyStore(path, fs).save({ enabled: false, source: 'api', since: '2026-03-03T00:00:00.000Z' }),
      new RegExp(`${failAt} failed`),
    );
    assert.equal(await readFile(path, 'utf8'), before);
    assert.deepEqual(await readdir(dir), ['privacy.json']);
  });
}

// Red-team finding: a dangling symlink read as "no state" booted the device not private; a FIFO
// blocked start-up; a link to /dev/zero read hundreds of megabytes. Each one is corrupt now, so the
// controller starts private.
test('a symlink (dangling or to /dev/zero), a FIFO or an oversized file is corrupt, quickly', async (t) => {
  const dir = await tempDir(t, 'privacy');
  const dangling = join(dir, 'dangling.json');
  await symlink(join(dir, 'nowhere.json'), dangling);
  const zero = join(dir, 'zero.json');
  await symlink('/dev/zero', zero);
  const good = join(dir, 'good.json');
  await writeFile(good, JSON.stringify(onState));
  const toGood = join(dir, 'to-good.json');
  await symlink(good, toGood);
  const fifo = join(dir, 'fifo.json');
  execFileSync('mkfifo', [fifo]);
  const big = join(dir, 'big.json');
  await writeFile(big, `{"pad": "${'x'.repeat(100 * 1024)}"}`);
  for (const path of [dangling, zero, toGood, fifo]) {
    const result = await new PrivacyStore(path).load();
    assert.equal(result.kind, 'corrupt', path);
    assert.match((result as { reason: string }).reason, /not a regular file/, path);
  }
  const result = await new PrivacyStore(big).load();
  assert.equal(result.kind, 'corrupt');
  assert.match((result as { reason: string }).reason, /larger than/);
});

test('a FIFO as the state file boots private with a warning instead of blocking start-up', async (t) => {
  const dir = await tempDir(t, 'privacy');
  const fifo = join(dir, 'privacy.json');
  execFileSync('mkfifo', [fifo]);
  const logger = memoryLogger();
  const controller = new PrivacyController({ store: new PrivacyStore(fifo), startPaused: false, logger });
  const state = await controller.start();
  assert.equal(state.enabled, true);
  assert.ok(logger.lines.some((l) => l.startsWith('warn') && /not a regular file.*starting private/.test(l)), logger.lines.join('\n'));
});

test('the state file is written with mode 0600 and never through a planted link', async (t) => {
  const dir = await tempDir(t, 'privacy');
  const path = join(dir, 'privacy.json');
  // The old, predictable temporary name: a link there must not be followed.
  const victim = join(dir, 'victim');
  await writeFile(victim, 'untouched');
  await symlink(victim, join(dir, `.privacy.json.${process.pid}.tmp`));
  await new PrivacyStore(path).save(onState);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal(await readFile(victim, 'utf8'), 'untouched');
  assert.deepEqual(await new PrivacyStore(path).load(), { kind: 'ok', state: onState });
});
