// Diagnosis only, not product code: `node --import ./test/bench/probes/modules.mjs dist/main.js ...`
// writes every module loaded (ES modules through a loader hook, CommonJS and addons through
// Module._load), as they load, to picamd-modules-<pid>.txt in $PICAMD_PROBE_DIR (default: the
// temporary directory): what is imported eagerly.
import { appendFileSync, writeFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = join(process.env.PICAMD_PROBE_DIR ?? tmpdir(), `picamd-modules-${process.pid}.txt`);
writeFileSync(out, '');
const hook = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(out)}, 'esm ' + url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
const load = Module._load;
Module._load = function (request, parent, ...rest) {
  appendFileSync(out, `cjs ${request} <- ${parent?.filename ?? ''}\n`);
  return load.call(this, request, parent, ...rest);
};
