import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configSchema } from '../../src/device/settings/schema.js';
import { readSetupErrorMarker } from '../../src/setup/marker.js';
import { resetOwnerIfButtonHeld } from '../../src/setup/owner-reset-at-start.js';
import { FakePinFactory, mockableTimers, tickMs } from '../fakes/gpio.js';
import { memoryLogger } from '../fakes/logger.js';
import { makeSysfsTree, sysfsLayouts } from '../fakes/sysfs.js';
import { tempDir } from '../fakes/temp-dir.js';

const INPUT = 539; // BCM 27 on the Pi 4 layout

test('the button held through start-up: the users are gone from the accounts file and settings.json, and privacy is on, before anything reads them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'picamd-reset-'));
  const sysfs = await makeSysfsTree(sysfsLayouts.pi4);
  t.after(() => Promise.all([rm(dir, { recursive: true, force: true }), sysfs.cleanup()]));
  const settingsFile = join(dir, 'settings.json');
  const H = '$scrypt$ln=10,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  // A line separator in a name would forge a log line if it were not escaped (a ":" is refused anyway).
  const forger = 'eve\u2028warn owner-reset removed nobody';
  await writeFile(settingsFile, JSON.stringify({ format: 1, savedAt: 'x', settings: { server: { auth: { users: [{ name: 'admin', passwordHash: H }] } } } }));
  await writeFile(join(dir, 'accounts.json'), JSON.stringify({ format: 1, users: [{ name: 'ann', passwordHash: H, role: 'owner' }, { name: forger, passwordHash: H, role: 'viewer' }] }));
  const config = configSchema.parse({ gpio: { sysfsRoot: sysfs.root }, privacy: { stateFile: join(dir, 'privacy.json') } });
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const pins = new FakePinFactory();
  pins.initialLevels.set(INPUT, true);
  const logger = memoryLogger();
  const done = resetOwnerIfButtonHeld({ config, base: {}, loadPins: async () => pins, logger: logger.child('owner-reset'), settingsFile, timers: mockableTimers, now: () => new Date('2026-11-30T14:00:00Z') });
  while (!pins.inputs.has(INPUT)) await new Promise((r) => setImmediate(r));
  tickMs(t.mock.timers, 10_500);
  pins.inputs.get(INPUT)!.set(false);
  tickMs(t.mock.timers, 60);
  assert.equal(await done, true);
  assert.deepEqual(JSON.parse(await readFile(settingsFile, 'utf8')).settings, {});
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'accounts.json'), 'utf8')).users, []);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'privacy.json'), 'utf8')), { enabled: true, source: 'boot', since: '2026-11-30T14:00:00.000Z' });
  assert.ok(logger.lines.some((l) => l.startsWith('warn owner-reset: owner reset by the privacy button: removed "ann", "eve\\u{2028}warn owner-reset removed nobody", "admin";')), logger.lines.join('\n'));
  assert.ok(!logger.lines.some((l) => l.includes('\u2028')), 'no raw line separator in the log');
});

test('the setup-error marker: its reasons, or null when there is none', async (t) => {
  const dir = await tempDir(t, 'marker');
  assert.equal(readSetupErrorMarker(join(dir, 'setup-error')), null);
  await writeFile(join(dir, 'setup-error'), 'line 4: wifi_country: "UK" is not a two-letter ISO 3166 country code (e.g. GB, DE, US)\n');
  assert.deepEqual(readSetupErrorMarker(join(dir, 'setup-error')), ['line 4: wifi_country: "UK" is not a two-letter ISO 3166 country code (e.g. GB, DE, US)']);
});
