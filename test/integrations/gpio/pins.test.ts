import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createOnoffPinFactory, diagnoseSysfsAccess, loadOnoffPinFactory, ONOFF_SYSFS_ROOT } from '../../../src/integrations/gpio/pins.js';
import { tempDir } from '../../fakes/temp-dir.js';

/** Stands in for onoff's Gpio class: records the constructor arguments and every call. */
function fakeGpioClass(accessible = true) {
  const log: string[] = [];
  let value: 0 | 1 = 0;
  let listener: ((err: Error | null | undefined, value: 0 | 1) => void) | undefined;
  class Gpio {
    static accessible = accessible;
    constructor(n: number, direction: string, edge?: string, options?: { activeLow?: boolean }) {
      log.push(`new ${n} ${direction} ${edge ?? '-'} activeLow=${options?.activeLow}`);
    }
    writeSync(v: 0 | 1) { log.push(`writeSync ${v}`); }
    readSync() { return value; }
    watch(cb: typeof listener) { listener = cb; log.push('watch'); }
    unexport() { log.push('unexport'); }
  }
  return {
    Gpio: Gpio as unknown as Parameters<typeof createOnoffPinFactory>[0],
    log,
    setValue: (v: 0 | 1) => (value = v),
    interrupt: (v: 0 | 1, err?: Error) => listener?.(err ?? null, v),
  };
}

test('outputs start off: sysfs direction "high" for an active-low LED, "low" otherwise', () => {
  const fake = fakeGpioClass();
  const pins = createOnoffPinFactory(fake.Gpio);
  const led = pins.openOutput(529, true);
  led.write(true);
  led.write(false);
  led.release();
  led.release();
  pins.openOutput(530, false);
  assert.deepEqual(fake.log, [
    'new 529 high - activeLow=true', 'writeSync 1', 'writeSync 0', 'unexport',
    'new 530 low - activeLow=false',
  ]);
});

test('inputs are opened with the edge and activeLow, read and watch logical levels, release once', () => {
  const fake = fakeGpioClass();
  const pins = createOnoffPinFactory(fake.Gpio);
  const button = pins.openInput(539, true, 'both');
  fake.setValue(1);
  assert.equal(button.read(), true);
  fake.setValue(0);
  assert.equal(button.read(), false);
  const seen: Array<[boolean, string | undefined]> = [];
  button.watch((active, err) => seen.push([active, err?.message]));
  fake.interrupt(1);
  fake.interrupt(0, new Error('EIO'));
  assert.deepEqual(seen, [[true, undefined], [false, 'EIO']]);
  button.release();
  button.release();
  assert.deepEqual(fake.log, ['new 539 in both activeLow=true', 'watch', 'unexport']);
});

test('probe: accessible means available', () => {
  assert.equal(createOnoffPinFactory(fakeGpioClass(true).Gpio).probe(), null);
});

test('diagnoseSysfsAccess names the cause: missing tree, or no permission (with the gpio group fix)', async (t) => {
  const missing = diagnoseSysfsAccess('/nonexistent/class/gpio');
  assert.match(missing!.cause, /\/nonexistent\/class\/gpio does not exist: not a Raspberry Pi/);

  const dir = await tempDir(t, 'gpio');
  await writeFile(join(dir, 'export'), '');
  assert.equal(diagnoseSysfsAccess(dir), null);
  // Root ignores file modes, so the permission error comes from a stand-in open().
  const eacces = () => { throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }); };
  const denied = diagnoseSysfsAccess(dir, eacces);
  assert.match(denied!.cause, /permission denied writing .*\/export/);
  assert.match(denied!.fix, /to the gpio group \(sudo usermod -aG gpio \S+\) and restart picamd/);
  const other = diagnoseSysfsAccess(dir, () => { throw Object.assign(new Error('EBUSY: busy'), { code: 'EBUSY' }); });
  assert.match(other!.cause, /cannot open .*export \(EBUSY: busy\)/);
});

// onoff hard-codes /sys/class/gpio (GPIO_ROOT_PATH in onoff.js), so the real adapter cannot be
// pointed at a fake tree; on a machine without GPIO it must report itself unavailable.
test('the real onoff adapter loads and, without /sys/class/gpio, reports why', { skip: existsSync(ONOFF_SYSFS_ROOT) && 'this machine has GPIO sysfs' }, async () => {
  const pins = await loadOnoffPinFactory();
  const unavailable = pins.probe();
  assert.ok(unavailable);
  assert.match(unavailable.cause, /\/sys\/class\/gpio does not exist/);
  assert.match(unavailable.fix, /gpio.enabled to false/);
});
