import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivacyStore, type StoreFs } from '../../src/privacy/store.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'picamd-privacy-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const onState = { enabled: true, source: 'button', since: '2026-03-01T10:00:00.000Z' } as const;

test('a missing file (and a missing directory) is the first boot', async (t) => {
  const dir = await tempDir(t);
  assert.deepEqual(await new PrivacyStore(join(dir, 'privacy.json')).load(), { kind: 'missing' });
  assert.deepEqual(await new PrivacyStore(join(dir, 'nope', 'privacy.json')).load(), { kind: 'missing' });
});

test('save then load round-trips the state and leaves no temporary file', async (t) => {
  const dir = await tempDir(t);
  const store = new PrivacyStore(join(dir, 'privacy.json'));
  await store.save(onState);
  assert.deepEqual(await store.load(), { kind: 'ok', state: onState });
  const off = { enabled: false, source: 'api', since: '2026-03-02T11:30:00.000Z' } as const;
  await store.save(off);
  assert.deepEqual(await store.load(), { kind: 'ok', state: off });
  assert.deepEqual(await readdir(dir), ['privacy.json']);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'privacy.json'), 'utf8')), off);
});

test('save creates the state directory on a fresh system', async (t) => {
  const dir = await tempDir(t);
  const store = new PrivacyStore(join(dir, 'var', 'lib', 'picamd', 'privacy.json'));
  await store.save(onState);
  assert.deepEqual(await store.load(), { kind: 'ok', state: onState });
});

test('garbage, an empty file, a wrong shape or an unreadable path are corrupt, with a reason', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'privacy.json');
  const store = new PrivacyStore(path);
  const cases: Array<[string, RegExp]> = [
    ['{"enabled": tru', /not valid JSON/],
    ['', /empty/],
    ['   \n', /empty/],
    ['{"enabled": "yes", "source": "api", "since": "2026-03-01T10:00:00.000Z"}', /enabled/],
    ['{"enabled": true, "source": "cloud", "since": "2026-03-01T10:00:00.000Z"}', /source/],
    ['{"enabled": true, "source": "api", "since": "yesterday"}', /since/],
    ['[true]', /unexpected content/],
    ['null', /unexpected content/],
  ];
  for (const [content, reason] of cases) {
    await writeFile(path, content);
    const result = await store.load();
    assert.equal(result.kind, 'corrupt', `content ${JSON.stringify(content)}`);
    assert.match((result as { reason: string }).reason, reason, `content ${JSON.stringify(content)}`);
  }
  // A directory where the file should be cannot be read (EISDIR): corrupt, not missing.
  const asDir = join(dir, 'is-a-dir.json');
  await mkdir(asDir);
  const unreadable = await new PrivacyStore(asDir).load();
  assert.equal(unreadable.kind, 'corrupt');
  assert.match((unreadable as { reason: string }).reason, /cannot read/);
});

test('extra keys from a newer version still load', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'privacy.json');
  await writeFile(path, JSON.stringify({ ...onState, note: 'from v2' }));
  assert.deepEqual(await new PrivacyStore(path).load(), { kind: 'ok', state: onState });
});

/** The real fs, recording each step, with one step made to fail on demand. */
function recordingFs(failAt?: string): { fs: StoreFs; steps: string[] } {
  const steps: string[] = [];
  const step = (name: string) => {
    steps.push(name);
    if (name === failAt) throw Object.assign(new Error(`${name} failed`), { code: 'EIO' });
  };
  const fs: StoreFs = {
    readFile: (p, e) => fsp.readFile(p, e),
    async open(p, flags, mode) {
      step(`open ${flags}${flags === 'r' ? ' dir' : ''}`);
      const h = await fsp.open(p, flags, mode);
      return {
        async writeFile(data) {
          step('write');
          await h.writeFile(data);
        },
        async sync() {
          step(flags === 'r' ? 'fsync dir' : 'fsync');
          await h.sync();
        },
        async close() {
          steps.push('close');
          await h.close();
        },
      };
    },
    async rename(a, b) {
      step('rename');
      await fsp.rename(a, b);
    },
    mkdir: (p, o) => fsp.mkdir(p, o),
    async unlink(p) {
      steps.push('unlink');
      await fsp.unlink(p);
    },
  };
  return { fs, steps };
}

test('save writes a temporary file, fsyncs it, renames it over the file, then fsyncs the directory', async (t) => {
  const dir = await tempDir(t);
  const { fs, steps } = recordingFs();
  await new PrivacyStore(join(dir, 'privacy.json'), fs).save(onState);
  assert.deepEqual(steps, ['open w', 'write', 'fsync', 'close', 'rename', 'open r dir', 'fsync dir', 'close']);
});

for (const failAt of ['write', 'fsync', 'rename']) {
  test(`a failed ${failAt} rejects, keeps the previous file intact and removes the temporary file`, async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'privacy.json');
    await new PrivacyStore(path).save(onState);
    const before = await readFile(path, 'utf8');
    const { fs } = recordingFs(failAt);
    await assert.rejects(
      new PrivacyStore(path, fs).save({ enabled: false, source: 'api', since: '2026-03-03T00:00:00.000Z' }),
      new RegExp(`${failAt} failed`),
    );
    assert.equal(await readFile(path, 'utf8'), before);
    assert.deepEqual(await readdir(dir), ['privacy.json']);
  });
}
