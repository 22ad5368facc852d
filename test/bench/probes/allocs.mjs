// Diagnosis only, not product code: `node --import ./test/bench/probes/allocs.mjs dist/main.js ...`
// counts Buffer allocations made from JavaScript (alloc, allocUnsafe, concat, from) by the first
// dist/ frame of their stack, with bytes per second, and on SIGUSR2 writes them to
// picamd-allocs-<pid>.txt in $PICAMD_PROBE_DIR (default: the temporary directory). Reads of the
// camera pipe are allocated by node itself (64 KiB each) and do not show here. What allocates per frame.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = join(process.env.PICAMD_PROBE_DIR ?? tmpdir(), `picamd-allocs-${process.pid}.txt`);
const counts = new Map();
const site = () => (new Error().stack.split('\n').slice(3).find((l) => l.includes('/dist/')) ?? '(node)').trim();
for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow', 'concat', 'from']) {
  const original = Buffer[name];
  Buffer[name] = function (...args) {
    const buffer = original.apply(this, args);
    const key = `${name} ${site()}`;
    const c = counts.get(key) ?? { n: 0, bytes: 0 };
    c.n++;
    c.bytes += buffer.length;
    counts.set(key, c);
    return buffer;
  };
}
const started = performance.now();
process.on('SIGUSR2', () => {
  const s = (performance.now() - started) / 1000;
  const lines = [...counts].sort((a, b) => b[1].bytes - a[1].bytes).map(([k, c]) => `${(c.n / s).toFixed(1)}/s ${(c.bytes / s / 1e6).toFixed(2)} MB/s: ${k}`);
  writeFileSync(out, `${lines.join('\n')}\n`);
});
