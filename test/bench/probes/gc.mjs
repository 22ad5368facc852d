// Diagnosis only, not product code: `node --import ./test/bench/probes/gc.mjs dist/main.js ...`
// (also through the benchmark: --picamd-node-flags="--expose-gc --import <this file>") appends,
// every second, V8's collections so far by kind (count, ms), the heap's use and size, its new and
// old spaces and its external memory (ArrayBuffers, dead ones included until V8 frees them), in MB,
// one JSON line each, to picamd-gc-<pid>.txt in $PICAMD_PROBE_DIR (default: the temporary directory).
import { appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const out = join(process.env.PICAMD_PROBE_DIR ?? tmpdir(), `picamd-gc-${process.pid}.txt`);
writeFileSync(out, '');
const kinds = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};
const tally = { minor: [0, 0], major: [0, 0], incremental: [0, 0], weak: [0, 0] };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const t = tally[kinds[e.detail?.kind] ?? 'weak'];
    t[0]++;
    t[1] = Math.round((t[1] + e.duration) * 100) / 100;
  }
}).observe({ entryTypes: ['gc'] });
const mb = (n) => Math.round((n / 1048576) * 100) / 100;
const started = performance.now();
setInterval(() => {
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.space_size)]));
  const h = getHeapStatistics();
  const line = {
    t: Math.round(performance.now() - started) / 1000,
    gc: tally,
    used: mb(h.used_heap_size),
    total: mb(h.total_heap_size),
    newSpace: spaces.new_space,
    oldSpace: spaces.old_space,
    external: mb(h.external_memory),
  };
  appendFileSync(out, `${JSON.stringify(line)}\n`);
}, 1000).unref();
