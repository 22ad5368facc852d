import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

// BCM pin → sysfs GPIO number. The sysfs number is the header chip's `base` plus the BCM number,
// and the base is not 0: Raspberry Pi kernels moved to dynamic bases (Pi 5 on 6.1: 399; since 6.6
// Pi 3/4: gpiochip512, Pi 5: gpiochip571), so the chip is found by its label, never assumed.
// Exporting an old-style number fails with EINVAL: https://github.com/raspberrypi/linux/issues/6084
// (dynamic bases: https://github.com/raspberrypi/linux/pull/5638)

/** Labels of the GPIO controller wired to the 40-pin header, by board. */
export const headerChipLabels: Record<string, string> = {
  'pinctrl-bcm2835': 'Raspberry Pi 3 / Zero 2 W and older',
  'pinctrl-bcm2711': 'Raspberry Pi 4 / 400 / CM4',
  'pinctrl-rp1': 'Raspberry Pi 5 / 500 / CM5 (RP1)',
};

export interface GpioChip {
  /** Directory name, e.g. `gpiochip512`. */
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

export interface ResolvedPin {
  bcm: number;
  sysfs: number;
  chip: GpioChip;
}

export class GpioResolveError extends Error {
  override name = 'GpioResolveError';
}

/** Every `gpiochip*` under the sysfs root; chips whose files cannot be read are skipped. */
export async function listGpioChips(sysfsRoot: string): Promise<GpioChip[]> {
  const entries = await readdir(sysfsRoot);
  const chips: GpioChip[] = [];
  for (const name of entries.filter((e) => /^gpiochip\d+$/.test(e)).sort()) {
    try {
      const dir = join(sysfsRoot, name);
      const [label, base, ngpio] = await Promise.all(
        ['label', 'base', 'ngpio'].map((f) => readFile(join(dir, f), 'utf8').then((s) => s.trim())),
      );
      const chip = { name, label: label!, base: Number(base), ngpio: Number(ngpio) };
      if (Number.isInteger(chip.base) && Number.isInteger(chip.ngpio)) chips.push(chip);
    } catch {
      // A chip that vanished or is unreadable cannot be the one we drive.
    }
  }
  return chips;
}

/** Pure: the header chip among `chips`, or an error that lists what was found. */
export function pickHeaderChip(chips: GpioChip[], where = 'sysfs'): GpioChip {
  const matches = chips.filter((c) => c.label in headerChipLabels);
  if (matches.length === 1) return matches[0]!;
  const found = chips.length === 0
    ? 'no GPIO chips at all'
    : `chips: ${chips.map((c) => `${c.name} "${c.label}" base ${c.base}`).join(', ')}`;
  if (matches.length === 0) {
    throw new GpioResolveError(`no Raspberry Pi header GPIO chip (${Object.keys(headerChipLabels).join(', ')}) under ${where}; ${found}`);
  }
  // Guessing could drive the wrong line as an output.
  throw new GpioResolveError(`more than one header GPIO chip under ${where}, refusing to guess; ${found}`);
}

/** Pure: the sysfs number of a BCM pin on the given chip. */
export function sysfsNumber(chip: GpioChip, bcm: number): number {
  if (!Number.isInteger(bcm) || bcm < 0 || bcm >= chip.ngpio) {
    throw new GpioResolveError(`BCM ${bcm} is not a line of ${chip.name} "${chip.label}" (${chip.ngpio} lines)`);
  }
  return chip.base + bcm;
}

/** Reads the sysfs tree once and resolves every requested BCM pin on the header chip. */
export async function resolveBcmPins(sysfsRoot: string, pins: number[]): Promise<ResolvedPin[]> {
  const chip = pickHeaderChip(await listGpioChips(sysfsRoot), sysfsRoot);
  return pins.map((bcm) => ({ bcm, sysfs: sysfsNumber(chip, bcm), chip }));
}
