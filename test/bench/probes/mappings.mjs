// Diagnosis only, not product code: `node --import ./test/bench/probes/mappings.mjs dist/main.js ...`
// (also through the benchmark: --picamd-node-flags="--expose-gc --max-semi-space-size=1 --import <this file>")
// rewrites, every 5 seconds, where picamd's anonymous memory is: /proc/self/smaps's `Anonymous:`
// summed by kind of mapping (glibc's main arena `[heap]`; unnamed mappings of 64 MB or more, which
// are glibc's other arenas; 1 MB or more; 256 KB-1 MB, V8's heap pages; smaller ones and stacks;
// the copy-on-write parts of files), beside V8's heap spaces (physical) and process.memoryUsage(),
// in MB, as JSON, to picamd-mappings-<pid>.txt in $PICAMD_PROBE_DIR (default: the temporary directory).
// Reading smaps takes a few ms: a look every 5 s.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const out = join(process.env.PICAMD_PROBE_DIR ?? tmpdir(), `picamd-mappings-${process.pid}.txt`);
const mb = (n) => Math.round((n / 1048576) * 100) / 100;

function kindOf(line) {
  const [range, , , , , name = ''] = line.split(/\s+/, 6);
  if (name.startsWith('[')) return name === '[heap]' ? 'malloc main arena [heap]' : name;
  if (name.startsWith('/')) return 'files (copy-on-write)';
  const [from, to] = range.split('-').map((x) => parseInt(x, 16));
  const kb = (to - from) / 1024;
  // glibc's other arenas are 64 MB-aligned heaps of HEAP_MAX (64 MB on 64-bit) that grow inside it.
  if (from % (64 * 1024 * 1024) === 0 && kb <= 64 * 1024) return 'unnamed, 64 MB-aligned (malloc arenas)';
  if (kb >= 1024) return 'unnamed, 1 MB and more';
  if (kb >= 256) return 'unnamed, 256 KB-1 MB (V8 pages)';
  return 'unnamed, under 256 KB';
}

function look() {
  const byKind = {};
  let kind = '';
  for (const line of readFileSync('/proc/self/smaps', 'latin1').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) kind = kindOf(line);
    else if (line.startsWith('Anonymous:')) byKind[kind] = (byKind[kind] ?? 0) + Number(line.split(/\s+/)[1]) * 1024;
  }
  const status = readFileSync('/proc/self/status', 'latin1');
  const rssAnon = Number(/^RssAnon:\s+(\d+)/m.exec(status)?.[1] ?? NaN) * 1024;
  const m = process.memoryUsage();
  const h = getHeapStatistics();
  const line = {
    rssAnon: mb(rssAnon),
    mappings: Object.fromEntries(Object.entries(byKind).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, mb(v)])),
    v8: {
      physical: mb(h.total_physical_size),
      spaces: Object.fromEntries(getHeapSpaceStatistics().filter((s) => s.physical_space_size > 0).map((s) => [s.space_name, mb(s.physical_space_size)])),
    },
    external: mb(h.external_memory),
    arrayBuffers: mb(m.arrayBuffers),
  };
  writeFileSync(out, `${JSON.stringify(line, null, 1)}\n`);
}
setInterval(look, 5000).unref();
