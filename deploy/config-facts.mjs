// Prints, as shell-readable KEY=VALUE lines, the few facts of a picamd config file that the installer
// and the image builder need, with the schema's defaults applied (so a config that leaves out
// gpio.privacy.pin still gets the default pin's pull-up):
//   port=80
//   gpio_line=gpio=27=ip,pu     (the config.txt line for the privacy input; empty without one)
// Exits 78 (EX_CONFIG) with the problems on stderr when the file is invalid.
// Usage: node deploy/config-facts.mjs /etc/picamd/config.json
import { loadConfig, EX_CONFIG } from '../dist/device/settings/load.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: config-facts.mjs CONFIG.json');
  process.exit(2);
}
let config;
try {
  config = loadConfig(file);
} catch (err) {
  console.error(err.message);
  process.exit(EX_CONFIG);
}
const privacy = config.gpio.enabled ? config.gpio.privacy : null;
// A button or switch to ground (activeLow) needs the pull-up; one to 3.3 V the pull-down. Set in
// config.txt, the firmware applies it at power-on, before picamd (or anything else) runs.
const gpioLine = privacy ? `gpio=${privacy.pin}=ip,${privacy.activeLow ? 'pu' : 'pd'}` : '';
process.stdout.write(`port=${config.server.port}\ngpio_line=${gpioLine}\n`);
