import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GpioResolveError, listGpioChips, pickHeaderChip, resolveBcmPins, sysfsNumber } from '../../../src/integrations/gpio/sysfs.js';
import { makeSysfsTree, sysfsLayouts, type FakeChip } from '../../fakes/sysfs.js';

async function resolveOn(t: { after(fn: () => Promise<void>): void }, chips: FakeChip[], pins: number[]) {
  const tree = await makeSysfsTree(chips);
  t.after(tree.cleanup);
  return resolveBcmPins(tree.root, pins);
}

const cases: Array<[keyof typeof sysfsLayouts, string, number]> = [
  ['pi3Legacy', 'pinctrl-bcm2835', 0],
  ['pi3', 'pinctrl-bcm2835', 512],
  ['pi4', 'pinctrl-bcm2711', 512],
  ['pi5', 'pinctrl-rp1', 571],
  ['pi5Kernel61', 'pinctrl-rp1', 399],
];

for (const [layout, label, base] of cases) {
  test(`${layout}: BCM 17 and 27 resolve on "${label}" at base ${base}, never on the other chips`, async (t) => {
    const resolved = await resolveOn(t, sysfsLayouts[layout], [17, 27]);
    assert.deepEqual(resolved.map((r) => [r.bcm, r.sysfs, r.chip.label, r.chip.name]), [
      [17, base + 17, label, `gpiochip${base}`],
      [27, base + 27, label, `gpiochip${base}`],
    ]);
  });
}

test('the familiar numbers: Pi 4 on 6.6 is 529 for BCM 17, Pi 5 is 588', async (t) => {
  assert.equal((await resolveOn(t, sysfsLayouts.pi4, [17]))[0]!.sysfs, 529);
  assert.equal((await resolveOn(t, sysfsLayouts.pi5, [17]))[0]!.sysfs, 588);
});

test('no header chip (an expander only, or another board) is an error that lists what was found', async (t) => {
  await assert.rejects(
    resolveOn(t, [{ base: 504, label: 'raspberrypi-exp-gpio', ngpio: 8 }, { base: 512, label: 'gpio-brcmstb@107d508500', ngpio: 32 }], [17]),
    (err: Error) => {
      assert.ok(err instanceof GpioResolveError);
      assert.match(err.message, /no Raspberry Pi header GPIO chip/);
      assert.match(err.message, /gpiochip504 "raspberrypi-exp-gpio" base 504/);
      assert.match(err.message, /gpiochip512 "gpio-brcmstb@107d508500" base 512/);
      return true;
    },
  );
  await assert.rejects(resolveOn(t, [], [17]), /no GPIO chips at all/);
});

test('two header chips: refuse to guess rather than drive the wrong line', async (t) => {
  await assert.rejects(
    resolveOn(t, [{ base: 512, label: 'pinctrl-rp1', ngpio: 54 }, { base: 600, label: 'pinctrl-rp1', ngpio: 54 }], [17]),
    /more than one header GPIO chip/,
  );
});

test('a missing sysfs root rejects with ENOENT (the caller reports GPIO as unavailable)', async () => {
  await assert.rejects(resolveBcmPins('/nonexistent/sys/class/gpio', [17]), { code: 'ENOENT' });
});

test('chips with unreadable or nonsense files are skipped, exported lines are ignored', async (t) => {
  const tree = await makeSysfsTree(sysfsLayouts.pi4);
  t.after(tree.cleanup);
  await mkdir(join(tree.root, 'gpiochip900'));
  await writeFile(join(tree.root, 'gpiochip900', 'label'), 'pinctrl-bcm2711\n'); // no base/ngpio
  await mkdir(join(tree.root, 'gpiochip950'));
  for (const [f, v] of [['label', 'pinctrl-bcm2835'], ['base', 'abc'], ['ngpio', '54']]) {
    await writeFile(join(tree.root, 'gpiochip950', f!), v!);
  }
  await mkdir(join(tree.root, 'gpio529')); // an exported line, not a chip
  const chips = await listGpioChips(tree.root);
  assert.deepEqual(chips.map((c) => c.name), ['gpiochip512', 'gpiochip570']);
  assert.equal((await resolveBcmPins(tree.root, [17]))[0]!.sysfs, 529);
});

test('sysfsNumber refuses a BCM number the chip does not have', () => {
  const chip = pickHeaderChip([{ name: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512, ngpio: 58 }]);
  assert.equal(sysfsNumber(chip, 0), 512);
  assert.equal(sysfsNumber(chip, 57), 569);
  assert.throws(() => sysfsNumber(chip, 58), /BCM 58 is not a line of gpiochip512 "pinctrl-bcm2711" \(58 lines\)/);
  assert.throws(() => sysfsNumber(chip, -1), GpioResolveError);
});
