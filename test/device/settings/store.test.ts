import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPasswordHash } from '../../../src/device/accounts/password.js';
import type { Config } from '../../../src/device/settings/schema.js';
import { appliesOf } from '../../../src/device/settings/settable.js';
import { readLegacyUsers, SettingsStore, type ChangeResult } from '../../../src/device/settings/store.js';
import type { Tree } from '../../../src/device/settings/tree.js';
import type { SafeFs } from '../../../src/platform/safe-file.js';
import { recordingFs, writeSteps } from '../../fakes/fs.js';
import { memoryLogger } from '../../fakes/logger.js';
import { tempDir } from '../../fakes/temp-dir.js';

/** A well-formed scrypt PHC string (no scrypt run: the store never verifies). */
function hash(n: number): string {
  return formatPasswordHash({ ln: 10, r: 8, p: 1, salt: Buffer.alloc(16, n), hash: Buffer.alloc(32, n) });
}

const clock = () => new Date('2026-11-30T12:00:00.000Z');

/** The administrator's config file for these tests. */
const base: Tree = { server: { maxViewers: 4, port: 8080 }, log: { level: 'debug' } };

interface Setup {
  dir: string;
  file: string;
  store: SettingsStore;
  logger: ReturnType<typeof memoryLogger>;
  changes: Array<{ next: Config; previous: Config; paths: string[] }>;
}

async function setup(
  t: { after(fn: () => Promise<void>): void },
  options: { settings?: Tree | string; prev?: Tree | string; fs?: SafeFs; base?: Tree; dir?: string; hasUsers?: () => boolean; dropLegacyUsers?: boolean; check?: (config: Config) => string[] } = {},
): Promise<Setup> {
  const dir = options.dir ?? (await tempDir(t, 'settings'));
  const file = join(dir, 'settings.json');
  const asText = (v: Tree | string) => (typeof v === 'string' ? v : JSON.stringify({ format: 1, savedAt: clock().toISOString(), settings: v }));
  if (options.settings !== undefined) await writeFile(file, asText(options.settings));
  if (options.prev !== undefined) await writeFile(`${file}.prev`, asText(options.prev));
  const logger = memoryLogger();
  const store = new SettingsStore({ base: options.base ?? base, file, logger, fs: options.fs, now: clock, hasUsers: options.hasUsers, check: options.check });
  const changes: Setup['changes'] = [];
  store.on('change', (next, previous, paths) => changes.push({ next, previous, paths }));
  await store.load({ dropLegacyUsers: options.dropLegacyUsers });
  return { dir, file, store, logger, changes };
}

async function onDisk(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}

function assertOk(result: ChangeResult): asserts result is Extract<ChangeResult, { ok: true }> {
  assert.ok(result.ok, JSON.stringify(result));
}

test('the effective config is defaults <- config file <- settings.json, with each leaf\'s origin', async (t) => {
  const { store } = await setup(t, { settings: { log: { level: 'warn' }, gpio: { led: null } } });
  assert.deepEqual(store.status.state, 'ok');
  assert.equal(store.config.server.maxViewers, 4);
  assert.equal(store.config.server.port, 8080);
  assert.equal(store.config.log.level, 'warn');
  assert.equal(store.config.gpio.led, null);
  assert.equal(store.config.server.deviceName, '');
  const origins = store.origins();
  assert.equal(origins['server.maxViewers'], 'config');
  assert.equal(origins['log.level'], 'page');
  assert.equal(origins['gpio.led.pin'], 'page');
  assert.equal(origins['server.deviceName'], 'default');
  assert.equal(origins['gpio.privacy.pin'], 'default');
  assert.ok(!('server.port' in origins), 'only settable leaves have an origin');
  const values = store.values() as { server: Tree; gpio: Tree; log: Tree };
  assert.deepEqual(values.server, { maxViewers: 4, deviceName: '', viewerStallTimeoutMs: 10_000, openViewing: false });
  assert.equal(values.gpio.led, null);
  assert.ok(!('port' in values.server) && !('auth' in values.server));
});

test('a page object over a config null: what the page leaves out is the default, not the config', async (t) => {
  const { store } = await setup(t, {
    base: { gpio: { led: null } },
    settings: { gpio: { led: { pin: 5 } } },
  });
  assert.deepEqual(store.config.gpio.led, { pin: 5, activeLow: false });
  assert.equal(store.origins()['gpio.led.pin'], 'page');
  assert.equal(store.origins()['gpio.led.activeLow'], 'default');
});

test('no settings file: the config file applies and nothing is written', async (t) => {
  const { dir, store } = await setup(t);
  assert.deepEqual(store.status.state, 'ok');
  assert.equal(store.config.log.level, 'debug');
  assert.deepEqual(await readdir(dir), []);
});

test('PATCH saves only what differs from the config file, emits one change and answers a new etag', async (t) => {
  const { file, store, changes } = await setup(t);
  const before = store.etag;
  const result = await store.update(
    { server: { deviceName: 'porch', maxViewers: 4 }, gpio: { privacy: { mode: 'switch' } } },
    { mode: 'patch', ifMatch: before },
  );
  assertOk(result);
  assert.notEqual(result.etag, before);
  assert.equal(result.etag, store.etag);
  assert.match(store.etag, /^"[A-Za-z0-9_-]+"$/);
  assert.deepEqual(result.paths, ['gpio.privacy.mode', 'server.deviceName']);
  assert.deepEqual(await onDisk(file), {
    format: 1,
    savedAt: '2026-11-30T12:00:00.000Z',
    // maxViewers equals the config file's 4: not stored, its origin stays 'config'.
    settings: { server: { deviceName: 'porch' }, gpio: { privacy: { mode: 'switch' } } },
  });
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal(store.origins()['server.maxViewers'], 'config');
  assert.equal(store.origins()['server.deviceName'], 'page');
  assert.equal(changes.length, 1);
  assert.equal(changes[0]!.previous.server.deviceName, '');
  assert.equal(changes[0]!.next.server.deviceName, 'porch');
  assert.deepEqual([...appliesOf(changes[0]!.paths)].sort(), ['gpio', 'live']);
  // A second store reading the file sees the same.
  const again = new SettingsStore({ base, file, logger: memoryLogger() });
  await again.load();
  assert.equal(again.etag, store.etag);
  assert.deepEqual(again.origins(), store.origins());
});

test('a change that changes nothing writes nothing and emits nothing', async (t) => {
  const { dir, store, changes } = await setup(t);
  assertOk(await store.update({ server: { maxViewers: 4 } }, { mode: 'patch' }));
  assertOk(await store.update({}, { mode: 'patch' }));
  assert.deepEqual(await readdir(dir), []);
  assert.equal(changes.length, 0);
});

test('PUT replaces the page settings: what it leaves out goes back to the config file; open viewing stays', async (t) => {
  const { store } = await setup(t, { settings: { server: { deviceName: 'porch', openViewing: true }, log: { level: 'warn' } } });
  assertOk(await store.update({ log: { level: 'error' } }, { mode: 'put', ifMatch: store.etag }));
  assert.equal(store.config.log.level, 'error');
  assert.equal(store.config.server.deviceName, '');
  assert.equal(store.origins()['server.deviceName'], 'default');
  assert.equal(store.openViewing, true, 'open viewing is kept when a PUT does not mention it');
  assertOk(await store.update({ server: { openViewing: false } }, { mode: 'put' }));
  assert.equal(store.openViewing, false);
});

const badInputs: Array<[string, unknown, RegExp]> = [
  ['wrong type', { server: { maxViewers: 'many' } }, /^server\.maxViewers: must be a number/],
  ['not a whole number', { server: { viewerStallTimeoutMs: 1500.5 } }, /^server\.viewerStallTimeoutMs: must be a whole number$/],
  ['out of range', { server: { maxViewers: 5000 } }, /^server\.maxViewers: must be at most 1000$/],
  ['below range', { gpio: { privacy: { debounceMs: -1 } } }, /^gpio\.privacy\.debounceMs: must be at least 0$/],
  ['not in the enum', { log: { level: 'loud' } }, /^log\.level: must be one of "debug", "info", "warn", "error"$/],
  ['too long', { server: { deviceName: 'x'.repeat(65) } }, /^server\.deviceName: must have at most 64 characters$/],
  ['an object for a leaf', { server: { openViewing: { yes: true } } }, /^server\.openViewing: must be a boolean/],
  ['a leaf for an object', { gpio: 5 }, /^gpio: must be an object/],
  ['unknown key', { server: { typo: 1 } }, /^server\.typo: unknown key$/],
  ['unknown section', { cloud: { upload: true } }, /^cloud: unknown key$/],
  ['non-settable key', { server: { port: 81 } }, /^server\.port: cannot be set from the page$/],
  ['non-settable command', { camera: { command: ['sh', '-c', 'id'] } }, /^camera(\.command)?: cannot be set from the page$/],
  ['users through settings', { server: { auth: { users: [{ name: 'eve', passwordHash: hash(9) }] } } }, /^server\.auth: cannot be set from the page$/],
  ['the settings file path', { settings: { file: '/etc/passwd' } }, /^settings: cannot be set from the page$/],
  ['the privacy state file', { privacy: { stateFile: '/tmp/x' } }, /^privacy\.stateFile: cannot be set from the page$/],
  ['not an object', ['a'], /^\(top level\): must be an object$/],
  ['null', null, /^\(top level\): must be an object$/],
];

for (const mode of ['patch', 'put'] as const) {
  for (const [what, body, problem] of badInputs) {
    test(`${mode}: ${what} is refused naming the field, and nothing is written`, async (t) => {
      const { dir, file, store, changes } = await setup(t, { settings: { server: { deviceName: 'porch' } } });
      const before = { etag: store.etag, text: await readFile(file, 'utf8'), config: store.config };
      const result = await store.update(body, { mode, ifMatch: store.etag });
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.status, 400);
      const problems = !result.ok && result.status === 400 ? result.problems : [];
      assert.ok(problems.some((p) => problem.test(p)), problems.join('\n'));
      assert.equal(await readFile(file, 'utf8'), before.text);
      assert.deepEqual(await readdir(dir), ['settings.json']);
      assert.equal(store.etag, before.etag);
      assert.equal(store.config, before.config);
      assert.equal(changes.length, 0);
    });
  }
}

test('every problem is reported at once', async (t) => {
  const { store } = await setup(t);
  const result = await store.update({ server: { maxViewers: 0, deviceName: 7 }, log: { level: 'x' } }, { mode: 'patch' });
  assert.ok(!result.ok && result.status === 400);
  assert.equal(result.problems.length, 3, result.problems.join('\n'));
});

test('a stale If-Match is 412 and writes nothing; "*" and the current etag pass', async (t) => {
  const { dir, store } = await setup(t);
  const stale = store.etag;
  assertOk(await store.update({ log: { level: 'info' } }, { mode: 'patch', ifMatch: '*' }));
  const result = await store.update({ log: { level: 'warn' } }, { mode: 'patch', ifMatch: stale });
  assert.deepEqual(result.ok === false && result.status, 412);
  assert.equal(store.config.log.level, 'info');
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')).settings, { log: { level: 'info' } });
  assertOk(await store.update({ log: { level: 'warn' } }, { mode: 'patch', ifMatch: `"nope", ${store.etag}` }));
});

test('concurrent updates are serialised: the second with the same etag is 412, without it sees the first', async (t) => {
  const { file, store } = await setup(t);
  const etag = store.etag;
  const [a, b, c] = await Promise.all([
    store.update({ server: { deviceName: 'a' } }, { mode: 'patch', ifMatch: etag }),
    store.update({ server: { deviceName: 'b' } }, { mode: 'patch', ifMatch: etag }),
    store.update({ log: { level: 'warn' } }, { mode: 'patch' }),
  ]);
  assertOk(a);
  assert.equal(!b.ok && b.status, 412);
  assertOk(c);
  assert.deepEqual((await onDisk(file) as { settings: unknown }).settings, { server: { deviceName: 'a' }, log: { level: 'warn' } });
});

for (const failAt of writeSteps) {
  test(`a power cut at "${failAt}" while saving leaves the old settings or the new ones`, async (t) => {
    const faulty = recordingFs({ failAt, powerCut: true });
    const { dir, file, store, changes } = await setup(t, { settings: { server: { deviceName: 'old' } }, fs: faulty.fs });
    await assert.rejects(store.update({ server: { deviceName: 'new' } }, { mode: 'patch' }));
    assert.ok(faulty.failed);
    // The failed store did not take the change in memory either.
    assert.equal(store.config.server.deviceName, 'old');
    assert.equal(changes.length, 0);
    // The next boot reads a whole file: the old settings or the new, never a fallback.
    const next = await setup(t, { dir });
    assert.equal(next.store.status.state, 'ok', next.store.status.message);
    const renamed = writeSteps.indexOf(failAt) > writeSteps.indexOf('rename');
    assert.equal(next.store.config.server.deviceName, renamed ? 'new' : 'old');
    assert.ok((await readFile(file, 'utf8')).includes(renamed ? '"new"' : '"old"'));
  });
}

for (const [code, error, words] of [['ENOSPC', 'storage-full', /the memory card is full/], ['EROFS', 'storage-read-only', /read-only/]] as const) {
  test(`a save on a card that is ${code === 'ENOSPC' ? 'full' : 'read-only'} (${code}) answers 507 ${error} in plain words and changes nothing`, async (t) => {
    // The card refuses the temporary file's data (ENOSPC) or the file itself (EROFS).
    const faulty = recordingFs({ failAt: code === 'ENOSPC' ? 'write' : 'open temp', code });
    const { dir, file, store, changes, logger } = await setup(t, { settings: { server: { deviceName: 'old' } }, fs: faulty.fs });
    const before = await readFile(file, 'utf8');
    const etag = store.etag;
    const result = await store.update({ server: { deviceName: 'new' } }, { mode: 'patch' });
    assert.ok(!result.ok && result.status === 507, JSON.stringify(result));
    assert.equal(result.error, error);
    assert.match(result.message, /^The settings were not saved: /);
    assert.match(result.message, words);
    assert.match(result.message, /Nothing was changed\.$/);
    assert.doesNotMatch(result.message, /E[A-Z]{3,}/, 'no errno in what reaches the page');
    assert.equal(store.config.server.deviceName, 'old');
    assert.equal(store.etag, etag);
    assert.equal(changes.length, 0);
    assert.equal(await readFile(file, 'utf8'), before, 'the old settings file is intact');
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left behind');
    assert.ok(logger.lines.some((l) => /^error .*could not save settings\.json: .*the settings stay as they were/.test(l)), logger.lines.join('\n'));
    // Once the card takes writes again, the same change saves.
    const again = new SettingsStore({ base, file, logger, now: clock });
    await again.load();
    assertOk(await again.update({ server: { deviceName: 'new' } }, { mode: 'patch' }));
    assert.equal(again.config.server.deviceName, 'new');
  });
}

const corruptions: Array<[string, string | ((file: string) => Promise<void>), RegExp]> = [
  ['garbage', '{"format": 1, "settings": {', /not valid JSON/],
  ['an empty file', '', /empty/],
  ['a newer format', JSON.stringify({ format: 2, settings: {} }), /format 2 is newer than this picamd knows \(1\)/],
  ['no format', JSON.stringify({ settings: {} }), /format: must be a whole number from 1/],
  ['an out-of-range value', JSON.stringify({ format: 1, settings: { server: { maxViewers: 0 } } }), /server\.maxViewers: must be at least 1/],
  ['a non-settable key', JSON.stringify({ format: 1, settings: { camera: { command: ['sh'] } } }), /camera(\.command)?: cannot be set/],
  ['a bad password hash', JSON.stringify({ format: 1, settings: { server: { auth: { users: [{ name: 'a', passwordHash: 'hunter2' }] } } } }), /passwordHash/],
  ['a dangling symlink', async (file) => symlink(`${file}.gone`, file), /symbolic link/],
  ['a FIFO', async (file) => void execFileSync('mkfifo', [file]), /not a regular file/],
  ['a huge file', JSON.stringify({ format: 1, settings: {}, pad: 'x'.repeat(300 * 1024) }), /larger than/],
];

for (const [what, make, why] of corruptions) {
  test(`settings.json with ${what}: the previous good copy is used, status fallback saying why`, async (t) => {
    const dir = await tempDir(t, 'settings');
    const file = join(dir, 'settings.json');
    if (typeof make === 'string') await writeFile(file, make);
    else await make(file);
    const { store, logger } = await setup(t, { dir, prev: { server: { deviceName: 'good' } } });
    assert.equal(store.status.state, 'fallback');
    assert.match(store.status.message, why);
    assert.match(store.status.message, /settings\.json\.prev/);
    assert.equal(store.config.server.deviceName, 'good');
    assert.ok(logger.lines.some((l) => l.startsWith('warn') && why.test(l)), logger.lines.join('\n'));
  });
}

test('both files unusable: the config file alone, status fallback (the users are not here: see the accounts store)', async (t) => {
  const { store, file } = await setup(t, { settings: '{"format":1,', prev: { server: { maxViewers: 'x' } } });
  assert.equal(store.status.state, 'fallback');
  assert.match(store.status.message, /not valid JSON.*settings\.json\.prev: server\.maxViewers.*config file alone/);
  assert.equal(store.config.server.maxViewers, 4);
  // Nothing was rewritten at load: the bad file is still there to look at.
  assert.equal(await readFile(file, 'utf8'), '{"format":1,');
  // The next save writes a good file and the status is ok again.
  assertOk(await store.update({ server: { deviceName: 'x' } }, { mode: 'patch' }));
  assert.equal(store.status.state, 'ok');
});

test('markGood keeps the current settings as .prev; rollback returns the camera to them and keeps every other change', async (t) => {
  const { file, store, changes } = await setup(t);
  assertOk(await store.update({ server: { deviceName: 'good' }, camera: { width: 800 } }, { mode: 'patch' }));
  await store.markGood();
  assert.deepEqual((await onDisk(`${file}.prev`) as { settings: unknown }).settings, { server: { deviceName: 'good' }, camera: { width: 800 } });
  assertOk(await store.setOpenViewing(true));
  // A change the camera never sees (the device name), then one it refuses (the width), each saved.
  assertOk(await store.update({ server: { deviceName: 'porch' }, gpio: { enabled: false } }, { mode: 'patch' }));
  assertOk(await store.update({ camera: { width: 1024 } }, { mode: 'patch' }));
  changes.length = 0;
  const explained: string[][] = [];
  const result = await store.rollback('camera: rpicam-vid said "ERROR: no cameras available"', {
    cameraLine: 'ERROR: no cameras available',
    explain: (undone, tried) => (explained.push(undone), `width was ${tried.camera.width}`),
  });
  assertOk(result);
  assert.equal(store.config.camera.width, 800);
  assert.equal(store.config.server.deviceName, 'porch');
  assert.equal(store.config.gpio.enabled, false);
  assert.equal(store.openViewing, true);
  assert.deepEqual(store.status, {
    state: 'rolled-back',
    message: 'camera: rpicam-vid said "ERROR: no cameras available"',
    undone: [{ path: 'camera.width', tried: 1024, now: 800 }],
    cameraLine: 'ERROR: no cameras available',
    cause: 'width was 1024',
  });
  assert.deepEqual(explained, [['camera.width']]);
  assert.deepEqual(changes.map((c) => c.paths), [['camera.width']]);
  const saved = (await onDisk(file)) as { settings: { server: Tree; camera: Tree } };
  assert.equal(saved.settings.server.deviceName, 'porch');
  assert.equal(saved.settings.camera.width, 800);
});

test('rollback without a good copy returns the camera to the config file, and nothing else', async (t) => {
  const { store } = await setup(t);
  assertOk(await store.update({ log: { level: 'error' }, camera: { width: 1024 } }, { mode: 'patch' }));
  assert.equal(store.config.camera.width, 1024);
  assertOk(await store.rollback('no first frame'));
  assert.equal(store.config.camera.width, 1280, "the config file's width");
  assert.equal(store.config.log.level, 'error');
});

test('reset removes the page settings and keeps open viewing', async (t) => {
  const { store } = await setup(t);
  assertOk(await store.setOpenViewing(true));
  assertOk(await store.update({ server: { maxViewers: 9 }, log: { level: 'error' } }, { mode: 'patch' }));
  assertOk(await store.reset());
  assert.equal(store.config.server.maxViewers, 4);
  assert.equal(store.config.log.level, 'debug');
  assert.equal(store.origins()['log.level'], 'config');
  assert.equal(store.openViewing, true);
});

test('export has neither users nor password hashes; import is all or nothing', async (t) => {
  const { store } = await setup(t, { settings: { server: { auth: { users: [{ name: 'ann', passwordHash: hash(1) }] } } } });
  assertOk(await store.update({ server: { deviceName: 'porch' }, gpio: { led: null } }, { mode: 'patch' }));
  const exported = store.exportSettings();
  assert.deepEqual(exported, { format: 1, settings: { server: { deviceName: 'porch' }, gpio: { led: null } } });
  assert.doesNotMatch(JSON.stringify(exported), /scrypt|auth|ann/);

  const other = await setup(t);
  const etag = other.store.etag;
  for (const [doc, problem] of [
    [{ format: 1, settings: { server: { deviceName: 'x', maxViewers: 0 } } }, /server\.maxViewers/],
    [{ format: 2, settings: {} }, /format 2 is newer than this picamd knows \(1\)/],
    [{ settings: { server: { deviceName: 'x' } } }, /format: must be a whole number from 1/],
    [{ format: 1 }, /settings: must be an object/],
    [{ format: 1, settings: {}, extra: 1 }, /extra: unknown key/],
    [{ format: 1, settings: { server: { deviceName: 'x', auth: null } } }, /server\.auth: cannot be set/],
  ] as const) {
    const result = await other.store.importSettings(doc);
    assert.ok(!result.ok && result.status === 400 && result.problems.some((p) => problem.test(p)), JSON.stringify(result));
    assert.equal(other.store.etag, etag);
    assert.equal(other.store.config.server.deviceName, '');
  }
  assert.deepEqual(await readdir(other.dir), []);
  assertOk(await other.store.importSettings(JSON.parse(JSON.stringify(exported)), { ifMatch: etag }));
  assert.equal(other.store.config.server.deviceName, 'porch');
  assert.equal(other.store.config.gpio.led, null);
  assert.deepEqual(other.store.values(), store.values());
});

test('open viewing is not turned off while nobody can log in (the accounts store says)', async (t) => {
  let users = false;
  const { file, store } = await setup(t, { hasUsers: () => users });
  assertOk(await store.setOpenViewing(true));
  assert.deepEqual(await store.setOpenViewing(false).then((r) => !r.ok && [r.status, r.error]), [409, 'no-users']);
  const viaPatch = await store.update({ server: { openViewing: false } }, { mode: 'patch' });
  assert.ok(!viaPatch.ok && viaPatch.status === 400 && /server\.openViewing/.test(viaPatch.problems.join()));
  assert.equal(store.openViewing, true);
  assert.deepEqual(((await onDisk(file)) as { settings: { server: Tree } }).settings.server, { openViewing: true });
  users = true;
  assertOk(await store.setOpenViewing(false));
});

test('users an older version kept in settings.json: never in the config, handed over by readLegacyUsers, dropped on request', async (t) => {
  const legacy = { server: { deviceName: 'porch', auth: { users: [{ name: 'ann', passwordHash: hash(1) }] } } };
  const { dir, file, store } = await setup(t, { settings: legacy, prev: legacy });
  assert.equal(store.config.server.auth, null, 'the settings file gives no one a login');
  assert.equal(store.config.server.deviceName, 'porch');
  assert.deepEqual(await readLegacyUsers(file, base), { kind: 'users', users: [{ name: 'ann', passwordHash: hash(1) }] });
  assert.match(await readFile(file, 'utf8'), /ann/, 'kept until the accounts store holds them');
  // The accounts file is written: the next start drops them from both files.
  const next = await setup(t, { dir, dropLegacyUsers: true });
  assert.equal(next.store.config.server.deviceName, 'porch');
  for (const f of [file, `${file}.prev`]) {
    assert.doesNotMatch(await readFile(f, 'utf8'), /ann|auth|scrypt/, f);
    assert.equal((await stat(f)).mode & 0o777, 0o600);
  }
  assert.deepEqual(await readLegacyUsers(file, base), { kind: 'none' });
  assertOk(await next.store.update({ server: { deviceName: 'x' } }, { mode: 'patch' }));
  assert.doesNotMatch(await readFile(file, 'utf8'), /auth/);
});

test('readLegacyUsers: .prev when settings.json is damaged; unreadable when neither can tell; none without a file', async (t) => {
  const dir = await tempDir(t, 'settings');
  const file = join(dir, 'settings.json');
  assert.deepEqual(await readLegacyUsers(file, base), { kind: 'none' });
  await writeFile(file, 'garbage');
  assert.equal((await readLegacyUsers(file, base)).kind, 'unreadable');
  await writeFile(`${file}.prev`, JSON.stringify({ format: 1, settings: { server: { auth: { users: [{ name: 'bob', passwordHash: hash(2) }] } } } }));
  assert.deepEqual(await readLegacyUsers(file, base), { kind: 'users', users: [{ name: 'bob', passwordHash: hash(2) }] });
  await writeFile(file, JSON.stringify({ format: 1, settings: { server: { auth: { users: [{ name: 'bob', passwordHash: 'hunter2' }] } } } }));
  await writeFile(`${file}.prev`, '');
  assert.equal((await readLegacyUsers(file, base)).kind, 'unreadable', 'a user whose hash does not validate is not silently dropped');
});

test('a change listener that throws is logged and does not undo the saved change', async (t) => {
  const { store, logger } = await setup(t);
  store.on('change', () => {
    throw new Error('listener broke');
  });
  assertOk(await store.update({ server: { deviceName: 'x' } }, { mode: 'patch' }));
  assert.equal(store.config.server.deviceName, 'x');
  assert.ok(logger.lines.some((l) => /listener broke/.test(l)));
});

for (const failAt of writeSteps) {
  test(`a power cut at "${failAt}" in markGood leaves the old good copy or the new one`, async (t) => {
    const faulty = recordingFs({ failAt, powerCut: true, nth: 2 });
    const { dir, store } = await setup(t, { prev: { server: { deviceName: 'old' } }, settings: { server: { deviceName: 'old' } }, fs: faulty.fs });
    // The first write (settings.json) goes through; the second (.prev) is cut.
    assertOk(await store.update({ server: { deviceName: 'new' } }, { mode: 'patch' }));
    await assert.rejects(store.markGood());
    assert.ok(faulty.failed);
    await writeFile(join(dir, 'settings.json'), 'garbage');
    const next = await setup(t, { dir });
    const renamed = writeSteps.indexOf(failAt) > writeSteps.indexOf('rename');
    assert.equal(next.store.status.state, 'fallback');
    assert.equal(next.store.config.server.deviceName, renamed ? 'new' : 'old');
  });
}

test('a "__proto__" key is an unknown key, not a prototype change', async (t) => {
  const { dir, store } = await setup(t);
  for (const body of [JSON.parse('{"__proto__": {"openViewing": true}}'), JSON.parse('{"server": {"__proto__": {"openViewing": true}}}')]) {
    const result = await store.update(body, { mode: 'patch' });
    assert.ok(!result.ok && result.status === 400 && /__proto__: unknown key/.test(result.problems.join()), JSON.stringify(result));
  }
  assert.equal(store.openViewing, false);
  assert.equal(({} as { openViewing?: unknown }).openViewing, undefined);
  assert.deepEqual(await readdir(dir), []);
});

test('the kept MQTT password goes only to the broker it was entered for', async (t) => {
  const mqttBase: Tree = { ...base, mqtt: { url: 'mqtt://broker.lan', username: 'cam', password: 'from the config file' } };
  const { store, logger } = await setup(t, { base: mqttBase });
  // Another host, no password with it: the kept one is dropped, not sent to the new broker.
  assert.equal((await store.update({ mqtt: { url: 'mqtt://evil.example' } }, { mode: 'patch' })).ok, true);
  assert.equal(store.config.mqtt.url, 'mqtt://evil.example');
  assert.equal(store.config.mqtt.password, null);
  assert.match(logger.lines.join('\n'), /not sent to it/);
  // With a password of its own, a new broker keeps it.
  await store.update({ mqtt: { url: 'mqtt://other.lan', password: 'typed for other' } }, { mode: 'patch' });
  assert.equal(store.config.mqtt.password, 'typed for other');
  // Another port is another broker; the placeholder put back by the page is not a password sent.
  await store.update({ mqtt: { url: 'mqtt://other.lan:1884', password: 'typed for other' } }, { mode: 'patch', keptSecrets: ['mqtt.password'] });
  assert.equal(store.config.mqtt.password, null);
  await store.update({ mqtt: { password: 'typed for 1884' } }, { mode: 'patch' });
  // The same host and port (another scheme or a trailing slash): the same broker, the password stays.
  await store.update({ mqtt: { url: 'mqtt://OTHER.lan:1884/' } }, { mode: 'patch' });
  assert.equal(store.config.mqtt.password, 'typed for 1884');
  // PUT and import follow the same rule.
  const values = store.values() as { mqtt: Tree };
  await store.update({ ...values, mqtt: { ...values.mqtt, url: 'mqtt://evil.example' } }, { mode: 'put', keptSecrets: ['mqtt.password'] });
  assert.equal(store.config.mqtt.password, null);
  await store.update({ mqtt: { url: 'mqtt://other.lan:1884', password: 'again' } }, { mode: 'patch' });
  await store.importSettings({ format: 1, settings: { mqtt: { url: 'mqtt://evil.example', username: 'cam', password: 'again' } } }, { keptSecrets: ['mqtt.password'] });
  assert.equal(store.config.mqtt.password, null);
});

test('mqtt.passwordFile is read only for the broker the config file names', async (t) => {
  const mqttBase: Tree = { ...base, mqtt: { url: 'mqtt://broker.lan', username: 'cam', passwordFile: '/run/credentials/picamd.service/mqtt' } };
  const { store } = await setup(t, { base: mqttBase });
  assert.equal(store.config.mqtt.passwordFile, '/run/credentials/picamd.service/mqtt');
  assert.equal((await store.update({ mqtt: { url: 'mqtt://evil.example' } }, { mode: 'patch' })).ok, true);
  assert.equal(store.config.mqtt.passwordFile, null, 'not for another host');
  await store.update({ mqtt: { url: 'mqtts://broker.lan:1883' } }, { mode: 'patch' });
  assert.equal(store.config.mqtt.passwordFile, '/run/credentials/picamd.service/mqtt', 'its own broker again');
  // Another broker with a password typed for it: valid, that password and no file.
  await store.update({ mqtt: { url: 'mqtt://other.lan', password: 'typed' } }, { mode: 'patch' });
  assert.equal(store.config.mqtt.passwordFile, null);
  assert.equal(store.config.mqtt.password, 'typed');
});

test('open viewing is switched on only through setOpenViewing: PATCH, PUT and import refuse it and write nothing', async (t) => {
  const { store, file } = await setup(t, { settings: { server: { auth: { users: [{ name: 'ann', passwordHash: hash(1) }] } } } });
  const before = await readFile(file, 'utf8');
  const refusal = /^server\.openViewing: is switched on only through POST \/api\/users\/open-viewing/;
  for (const attempt of [
    () => store.update({ server: { openViewing: true } }, { mode: 'patch' }),
    () => store.update({ server: { openViewing: true }, log: { level: 'warn' } }, { mode: 'put' }),
    () => store.importSettings({ format: 1, settings: { server: { openViewing: true } } }),
  ]) {
    const result = await attempt();
    assert.ok(!result.ok && result.status === 400, JSON.stringify(result));
    assert.match(result.problems.join('\n'), refusal);
  }
  assert.equal(store.openViewing, false);
  assert.equal(await readFile(file, 'utf8'), before, 'nothing written');
  // Its own path still switches it on; then settings that keep it on, or turn it off, pass.
  assertOk(await store.setOpenViewing(true));
  assertOk(await store.update({ server: { openViewing: true, maxViewers: 3 } }, { mode: 'patch' }));
  assertOk(await store.update({ server: { openViewing: false } }, { mode: 'patch' }));
  assert.equal(store.openViewing, false);
});

// What the device cannot do (src/platform/board.ts: H.264 on a Pi 5 with rpicam-apps-lite) is refused
// like an invalid value, and names what is missing; settings saved before are kept and block nothing.
const noH264 = (config: Config) => (config.camera.codec === 'h264' ? ['camera.codec: H.264 on this board needs the rpicam-apps package'] : []);

test('a change the device cannot do: 400 with the reason, nothing written, no change event', async (t) => {
  const s = await setup(t, { check: noH264 });
  const result = await s.store.update({ camera: { codec: 'h264' } }, { mode: 'patch' });
  assert.deepEqual(result, { ok: false, status: 400, error: 'invalid', message: 'the settings were not saved', problems: ['camera.codec: H.264 on this board needs the rpicam-apps package'] });
  assert.equal(s.store.config.camera.codec, 'mjpeg');
  assert.deepEqual(await readdir(s.dir), []);
  assert.deepEqual(s.changes, []);
});

test('H.264 saved before (a card moved from a Pi 4): loaded as it is, and other changes and a reset still go through', async (t) => {
  const s = await setup(t, { check: noH264, settings: { camera: { codec: 'h264' } } });
  assert.equal(s.store.config.camera.codec, 'h264');
  assert.equal(s.store.status.state, 'ok');
  assertOk(await s.store.setOpenViewing(true));
  assertOk(await s.store.update({ camera: { width: 640 } }, { mode: 'patch' }));
  assertOk(await s.store.reset());
  assert.equal(s.store.config.camera.codec, 'mjpeg');
  // Once back on MJPEG, asking for H.264 again is refused.
  assert.equal((await s.store.update({ camera: { codec: 'h264' } }, { mode: 'patch' })).ok, false);
});
