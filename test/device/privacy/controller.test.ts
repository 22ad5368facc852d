import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivacyController, type PrivacyState } from '../../../src/device/privacy/controller.js';
import { PrivacyStore, type LoadResult } from '../../../src/device/privacy/store.js';
import { memoryLogger } from '../../fakes/logger.js';
import { FakeCamera, MemoryPrivacyStore } from '../../fakes/privacy.js';

const T0 = '2026-05-01T08:00:00.000Z';

function setup(opts: { load?: LoadResult; startPaused?: boolean } = {}) {
  const store = new MemoryPrivacyStore(opts.load);
  const logger = memoryLogger();
  let clock = Date.parse(T0);
  const privacy = new PrivacyController({
    store,
    startPaused: opts.startPaused ?? false,
    logger: logger.child('privacy'),
    now: () => new Date(clock),
  });
  const camera = new FakeCamera();
  const changes: PrivacyState[] = [];
  privacy.on('change', (s) => changes.push(s));
  privacy.bindCamera(camera);
  return { store, logger, privacy, camera, changes, advance: (ms: number) => (clock += ms) };
}

const saved = (enabled: boolean, source: PrivacyState['source'], since: string): LoadResult =>
  ({ kind: 'ok', state: { enabled, source, since } });

test('a camera bound before start is held paused until the state is known', async () => {
  const { privacy, camera, changes } = setup();
  assert.deepEqual(camera.calls, [true]);
  const state = await privacy.start();
  assert.deepEqual(state, { enabled: false, source: 'boot', since: T0 });
  assert.deepEqual(camera.calls, [true, false]);
  assert.deepEqual(changes, [state]);
});

test('boot: missing file = not private, saved state restored with its since, corrupt = private with a warning', async () => {
  {
    const { privacy, store } = setup({ load: { kind: 'missing' } });
    assert.equal((await privacy.start()).enabled, false);
    await privacy.flush();
    assert.equal(store.saved.length, 0, 'start does not rewrite the file');
  }
  {
    const { privacy, camera } = setup({ load: saved(true, 'button', '2026-04-30T21:00:00.000Z') });
    assert.deepEqual(await privacy.start(), { enabled: true, source: 'boot', since: '2026-04-30T21:00:00.000Z' });
    assert.equal(camera.paused, true);
  }
  {
    const { privacy, camera, logger } = setup({ load: { kind: 'corrupt', reason: 'not valid JSON' } });
    assert.equal((await privacy.start()).enabled, true);
    assert.equal(camera.paused, true);
    assert.equal(camera.calls.includes(false), false, 'the camera is never let go on a corrupt file');
    assert.ok(logger.lines.some((l) => l.startsWith('warn privacy: state file /fake/privacy.json: not valid JSON')), logger.lines.join('\n'));
  }
});

test('startPaused forces private whatever the file says', async () => {
  for (const load of [{ kind: 'missing' } as const, saved(false, 'api', T0)]) {
    const { privacy, camera } = setup({ load, startPaused: true });
    assert.deepEqual(await privacy.start(), { enabled: true, source: 'boot', since: T0 });
    assert.deepEqual(camera.calls, [true, true]);
  }
});

test('set() pauses the camera at once, emits change and persists; repeating a state is a no-op', async () => {
  const { privacy, camera, changes, store, advance } = setup();
  await privacy.start();
  advance(5_000);
  const result = privacy.set(true, 'api');
  assert.deepEqual(result, { ok: true, changed: true, state: { enabled: true, source: 'api', since: '2026-05-01T08:00:05.000Z' } });
  assert.equal(camera.paused, true, 'paused synchronously, before the write finishes');
  assert.deepEqual(changes.at(-1), result.state);
  await privacy.flush();
  assert.deepEqual(store.saved, [result.state]);

  const again = privacy.set(true, 'button');
  assert.deepEqual(again, { ok: true, changed: false, state: result.state });
  await privacy.flush();
  assert.equal(store.saved.length, 1);
  assert.equal(changes.length, 2);

  advance(1_000);
  privacy.set(false, 'api');
  assert.equal(camera.paused, false);
  await privacy.flush();
  assert.deepEqual(store.saved.at(-1), { enabled: false, source: 'api', since: '2026-05-01T08:00:06.000Z' });
});

test('toggle() flips the state each time', async () => {
  const { privacy, camera } = setup();
  await privacy.start();
  assert.equal(privacy.toggle('button').state.enabled, true);
  assert.equal(privacy.toggle('button').state.enabled, false);
  assert.equal(privacy.toggle('button').state.enabled, true);
  assert.deepEqual(camera.calls, [true, false, true, false, true]);
  assert.equal(privacy.state.source, 'button');
});

test('rapid changes coalesce: the last state is the one on disk', async () => {
  const { privacy, store } = setup();
  await privacy.start();
  privacy.set(true, 'api');
  privacy.set(false, 'api');
  privacy.set(true, 'button');
  await privacy.flush();
  assert.ok(store.saved.length <= 3);
  assert.deepEqual(store.saved.at(-1), privacy.state);
  assert.equal(privacy.state.enabled, true);
});

test('a failed write still takes effect in memory and is logged', async () => {
  const { privacy, store, camera, logger } = setup();
  store.saveError = Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
  await privacy.start();
  const result = privacy.set(true, 'button');
  assert.equal(result.ok, true);
  assert.equal(privacy.enabled, true);
  assert.equal(camera.paused, true);
  await privacy.flush();
  assert.ok(logger.lines.some((l) => /^error privacy: could not save state to \/fake\/privacy.json: EROFS.*privacy is on now but a reboot will not remember it/.test(l)), logger.lines.join('\n'));
});

/** Read through a call: TypeScript would keep the getter narrowed to null after the first assert. */
const notSavedOf = (privacy: PrivacyController) => privacy.notSaved;

test('on a full or read-only card privacy still stops the camera, says it is not saved, and clears that once a save succeeds', async () => {
  for (const [code, error, words] of [['ENOSPC', 'storage-full', /the memory card is full/], ['EROFS', 'storage-read-only', /read-only/], ['EIO', 'save-failed', /could not be written/]] as const) {
    const { privacy, store, camera } = setup();
    await privacy.start();
    assert.equal(privacy.notSaved, null);
    store.saveError = Object.assign(new Error(`${code}: no luck, write`), { code });
    assert.equal(privacy.set(true, 'button').ok, true);
    assert.equal(camera.paused, true, 'fail closed: the camera stops before and whatever the write does');
    await privacy.flush();
    const problem = notSavedOf(privacy);
    assert.equal(problem?.error, error, code);
    assert.match(problem!.message, /^Not saved: /);
    assert.match(problem!.message, words);
    assert.match(problem!.message, /Privacy is on now, but a restart will not remember it\.$/);
    assert.doesNotMatch(problem!.message, /E[A-Z]{3,}/, 'no errno in what reaches the page');
    assert.equal(privacy.enabled, true);
    store.saveError = null;
    privacy.set(false, 'api');
    await privacy.flush();
    assert.equal(privacy.notSaved, null, 'a later save that succeeds clears it');
    assert.equal(store.saved.at(-1)?.enabled, false);
  }
});

test('a camera port that throws is logged and does not stop the state change', async () => {
  const { privacy, logger } = setup();
  privacy.bindCamera({ setPaused: () => { throw new Error('supervisor gone'); } });
  await privacy.start();
  assert.equal(privacy.set(true, 'api').ok, true);
  assert.ok(logger.lines.some((l) => l.includes('could not pause the camera: supervisor gone')));
});

// The latching switch: its position is the truth at boot and on every change.

for (const order of ['switch read before start', 'switch read after start'] as const) {
  test(`switch at boot wins over the file (${order})`, async () => {
    const cases: Array<{ file: LoadResult; switchOn: boolean; startPaused: boolean; expect: boolean }> = [
      { file: saved(false, 'api', T0), switchOn: true, startPaused: false, expect: true },
      { file: saved(true, 'api', T0), switchOn: false, startPaused: false, expect: false },
      { file: { kind: 'corrupt', reason: 'x' }, switchOn: false, startPaused: false, expect: false },
      { file: { kind: 'missing' }, switchOn: false, startPaused: true, expect: true },
    ];
    for (const c of cases) {
      const { privacy, camera, store } = setup({ load: c.file, startPaused: c.startPaused });
      if (order === 'switch read before start') {
        privacy.setSwitch(c.switchOn);
        await privacy.start();
      } else {
        await privacy.start();
        privacy.setSwitch(c.switchOn);
      }
      assert.equal(privacy.enabled, c.expect, JSON.stringify(c));
      assert.equal(camera.paused, c.expect, JSON.stringify(c));
      await privacy.flush();
      const withoutSwitch = (c.file.kind === 'ok' ? c.file.state.enabled : c.file.kind === 'corrupt') || c.startPaused;
      if (withoutSwitch === c.expect) {
        assert.equal(store.saved.length, 0, `nothing to persist: ${JSON.stringify(c)}`);
      } else {
        assert.deepEqual(store.saved.at(-1)?.enabled, c.expect, `the switch's boot state is persisted: ${JSON.stringify(c)}`);
        assert.equal(privacy.state.source, 'switch');
      }
    }
  });
}

test('switch changes drive the state; the API cannot turn privacy off while the switch is on (409 reason)', async () => {
  const { privacy, camera } = setup();
  await privacy.start();
  privacy.setSwitch(false);
  assert.equal(privacy.enabled, false);

  privacy.setSwitch(true);
  assert.deepEqual([privacy.enabled, privacy.state.source], [true, 'switch']);
  const refused = privacy.set(false, 'api');
  assert.equal(refused.ok, false);
  assert.equal(refused.ok === false && refused.reason, 'switch');
  assert.match(refused.ok === false ? refused.message : '', /switch on the device is on/);
  assert.equal(privacy.enabled, true);
  assert.equal(camera.paused, true);
  assert.deepEqual(privacy.set(true, 'api'), { ok: true, changed: false, state: privacy.state });
  assert.equal(privacy.toggle('button').ok, false, 'a button cannot override the switch either');

  privacy.setSwitch(false);
  assert.equal(privacy.enabled, false);
  assert.equal(camera.paused, false);
  // With the switch off the API may turn privacy on and off again.
  assert.equal(privacy.set(true, 'api').ok, true);
  assert.equal(privacy.set(false, 'api').ok, true);

  // The switch line is lost while on: the API is no longer blocked by a level nobody can read.
  privacy.setSwitch(true);
  privacy.setSwitch(null);
  assert.equal(privacy.enabled, true);
  assert.equal(privacy.set(false, 'api').ok, true);
});

test('persistence round trip through a real file: private stays private after a "reboot"', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'picamd-privacy-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'privacy.json');
  const boot = () => new PrivacyController({ store: new PrivacyStore(path), startPaused: false, logger: memoryLogger() });

  const first = boot();
  assert.equal((await first.start()).enabled, false);
  first.set(true, 'button');
  const since = first.state.since;
  await first.stop();
  await first.stop();

  const second = boot();
  const camera = new FakeCamera();
  second.bindCamera(camera);
  assert.deepEqual(await second.start(), { enabled: true, source: 'boot', since });
  assert.deepEqual(camera.calls, [true, true]);

  second.set(false, 'api');
  await second.stop();
  assert.equal((await boot().start()).enabled, false);

  // A power cut that left garbage: fail closed.
  await writeFile(path, '{"enab');
  const logger = memoryLogger();
  const third = new PrivacyController({ store: new PrivacyStore(path), startPaused: false, logger });
  assert.equal((await third.start()).enabled, true);
  assert.ok(logger.lines.some((l) => l.startsWith('warn ') && l.includes('starting private to be safe')));
});
