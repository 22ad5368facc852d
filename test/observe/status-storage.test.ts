import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { appConfig, freePort, startApp, status } from '../fakes/app.js';
import { mountinfoFor } from '../fakes/mountinfo.js';
import { tempDir } from '../fakes/temp-dir.js';
import { waitFor } from '../fakes/wait.js';

// /api/status's `storage` through the real picamd: statfs of its real state directory, the mount
// table a stand-in (PICAMD_MOUNTINFO) that the test turns read-only and back, as the kernel does
// when a card fails (errors=remount-ro sets the super block's `ro`). Nothing is saved meanwhile:
// the status says it before a save is tried.

test('/api/status says the card is read-only before any save, and ok again once it takes writes', async (t) => {
  const dir = realpathSync(await tempDir(t, 'status-storage'));
  await mkdir(join(dir, 'state'));
  const mountinfo = join(dir, 'mountinfo');
  await writeFile(mountinfo, mountinfoFor(join(dir, 'state'), 'rw'));
  const port = await freePort();
  const app = await startApp(appConfig(port, dir), { dir, port, env: { PICAMD_MOUNTINFO: mountinfo } });
  t.after(async () => void (await app.stop()));

  const first = (await status(port)).storage;
  assert.ok(['ok', 'low', 'full'].includes(first.state), JSON.stringify(first));
  assert.ok(first.totalMB > 0 && first.freeMB >= 0 && first.freeMB <= first.totalMB, JSON.stringify(first));

  await writeFile(mountinfo, mountinfoFor(join(dir, 'state'), 'ro'));
  // A reading serves 5 s.
  const readOnly = await waitFor('storage read-only in /api/status', async () => ((await status(port)).storage.state === 'read-only' ? true : false), 20_000, 200);
  assert.equal(readOnly, true);
  await writeFile(mountinfo, mountinfoFor(join(dir, 'state'), 'rw'));
  await waitFor('storage writable again in /api/status', async () => ((await status(port)).storage.state !== 'read-only' ? true : false), 20_000, 200);
  assert.doesNotMatch(app.output(), /storage: /, 'nothing to log while the card can be read');
});

test('an unreadable mount table: storage unknown, the rest of the status as always, one line in the log', async (t) => {
  const dir = await tempDir(t, 'status-storage-unknown');
  const port = await freePort();
  const app = await startApp(appConfig(port, dir), { dir, port, env: { PICAMD_MOUNTINFO: join(dir, 'no-such-file') } });
  t.after(async () => void (await app.stop()));
  const doc = await status(port);
  assert.deepEqual(doc.storage, { state: 'unknown', freeMB: null, totalMB: null });
  assert.equal(doc.camera.width, 320);
  await status(port);
  assert.equal(app.output().match(/storage: the card's state cannot be read/g)?.length, 1, app.output());
});
