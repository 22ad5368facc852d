// Diagnosis only, not product code: `node --import ./test/bench/probes/timers.mjs dist/main.js ...`
// counts the callbacks of setTimeout/setInterval by where in dist/ they were set (runtime/ports.js,
// the timers port, skipped) and, on SIGUSR2, writes their rates to picamd-timers-<pid>.txt in
// $PICAMD_PROBE_DIR (default: the temporary directory). Which timers run while their feature is off.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = join(process.env.PICAMD_PROBE_DIR ?? tmpdir(), `picamd-timers-${process.pid}.txt`);
const counts = new Map();
const site = () => {
  const lines = new Error().stack.split('\n').slice(3);
  return (lines.find((l) => l.includes('/dist/') && !l.includes('runtime/ports.js')) ?? lines[0] ?? '?').trim();
};
for (const name of ['setTimeout', 'setInterval']) {
  const original = globalThis[name];
  globalThis[name] = function (fn, ms, ...args) {
    const key = `${name}(${Math.round(ms ?? 0)}) ${site()}`;
    const c = counts.get(key) ?? { created: 0, fired: 0 };
    c.created++;
    counts.set(key, c);
    return original.call(this, (...a) => (c.fired++, fn(...a)), ms, ...args);
  };
}
const started = performance.now();
process.on('SIGUSR2', () => {
  const s = (performance.now() - started) / 1000;
  const lines = [...counts].sort((a, b) => b[1].fired - a[1].fired).map(([k, c]) => `${(c.fired / s).toFixed(2)}/s fired, ${c.created} set: ${k}`);
  writeFileSync(out, `${lines.join('\n')}\n`);
});
