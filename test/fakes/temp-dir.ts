import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory `picamd-<name>-XXXXXX` under the system's temp dir, removed when the test ends. */
export async function tempDir(t: { after(fn: () => Promise<void>): void }, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `picamd-${name}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
