import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeChip {
  base: number;
  label: string;
  ngpio: number;
}

// GPIO chip layouts as the kernels report them under /sys/class/gpio.
export const sysfsLayouts = {
  /** Pi 3 B+ on a kernel before 6.6: header at 0, firmware expander at 504. */
  pi3Legacy: [
    { base: 0, label: 'pinctrl-bcm2835', ngpio: 54 },
    { base: 504, label: 'raspberrypi-exp-gpio', ngpio: 8 },
  ],
  /** Pi 3 / Zero 2 W on 6.6+: dynamic bases from 512. */
  pi3: [
    { base: 512, label: 'pinctrl-bcm2835', ngpio: 54 },
    { base: 566, label: 'raspberrypi-exp-gpio', ngpio: 8 },
  ],
  /** Pi 4 on 6.6+. */
  pi4: [
    { base: 512, label: 'pinctrl-bcm2711', ngpio: 58 },
    { base: 570, label: 'raspberrypi-exp-gpio', ngpio: 8 },
  ],
  /** Pi 5 on 6.6+: the SoC's own brcmstb banks sit around the RP1 chip that drives the header. */
  pi5: [
    { base: 512, label: 'gpio-brcmstb@107d508500', ngpio: 32 },
    { base: 544, label: 'gpio-brcmstb@107d508520', ngpio: 4 },
    { base: 548, label: 'gpio-brcmstb@107d517c00', ngpio: 17 },
    { base: 565, label: 'gpio-brcmstb@107d517c20', ngpio: 6 },
    { base: 571, label: 'pinctrl-rp1', ngpio: 54 },
  ],
  /** Pi 5 on 6.1: RP1 at 399. */
  pi5Kernel61: [
    { base: 399, label: 'pinctrl-rp1', ngpio: 54 },
    { base: 453, label: 'gpio-brcmstb@107d508500', ngpio: 32 },
    { base: 485, label: 'gpio-brcmstb@107d508520', ngpio: 4 },
    { base: 489, label: 'gpio-brcmstb@107d517c00', ngpio: 17 },
    { base: 506, label: 'gpio-brcmstb@107d517c20', ngpio: 6 },
  ],
} satisfies Record<string, FakeChip[]>;

/** A temporary directory shaped like /sys/class/gpio: export, unexport and gpiochipN/{base,label,ngpio}. */
export async function makeSysfsTree(chips: FakeChip[]): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'picamd-sysfs-'));
  await writeFile(join(root, 'export'), '');
  await writeFile(join(root, 'unexport'), '');
  for (const chip of chips) {
    const dir = join(root, `gpiochip${chip.base}`);
    await mkdir(dir);
    await writeFile(join(dir, 'base'), `${chip.base}\n`);
    await writeFile(join(dir, 'label'), `${chip.label}\n`);
    await writeFile(join(dir, 'ngpio'), `${chip.ngpio}\n`);
  }
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}
