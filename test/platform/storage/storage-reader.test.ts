import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { readFileSync, realpathSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StorageReader, storageReaderOptions, type StorageReaderOptions } from '../../../src/platform/storage/storage-reader.js';
import { tempDir } from '../../fakes/temp-dir.js';

// The reader over a real temporary directory and the real statfs; the mount table is given as text,
// naming that directory, so its flags are the test's to choose.

function mountLine(mountPoint: string, mountOptions: string, superOptions: string): string {
  const escaped = mountPoint.replace(/ /g, '\\040');
  return `301 300 179:2 ${escaped} ${escaped} ${mountOptions} master:1 - ext4 /dev/mmcblk0p2 ${superOptions}\n`;
}

async function setup(t: { after(fn: () => Promise<void>): void }, statfs?: StorageReaderOptions['statfs']) {
  const dir = realpathSync(await tempDir(t, 'storage'));
  const state = join(dir, 'state dir');
  await mkdir(state);
  let clock = 1_000;
  let mounts = `1 0 179:2 / / ro,noatime - ext4 /dev/mmcblk0p2 rw\n${mountLine(state, 'rw,noatime', 'rw')}`;
  let reads = 0;
  const logged: string[] = [];
  const options: StorageReaderOptions = {
    path: state,
    now: () => clock,
    maxAgeMs: 5_000,
    statfs: statfs ?? ((p) => statfsSync(p)),
    mountinfo: () => {
      reads++;
      return mounts;
    },
    realpath: (p) => realpathSync(p),
    log: (line) => logged.push(line),
  };
  return { dir, state, options, logged, reads: () => reads, setMounts: (text: string) => (mounts = text), advance: (ms: number) => (clock += ms) };
}

test('StorageReader: the real free and total bytes of the directory\'s file system, ok while its mount is writable', async (t) => {
  const s = await setup(t);
  const status = new StorageReader(s.options).current();
  const fs = statfsSync(s.state);
  assert.notEqual(status.state, 'unknown');
  assert.notEqual(status.state, 'read-only');
  assert.equal(status.totalBytes, fs.blocks * fs.bsize);
  assert.ok(status.freeBytes !== null && status.freeBytes <= status.totalBytes!, JSON.stringify(status));
});

test('StorageReader: read-only from the mount\'s options or the super block\'s; read again once maxAgeMs has passed, not before', async (t) => {
  const s = await setup(t);
  const reader = new StorageReader(s.options);
  assert.notEqual(reader.current().state, 'read-only');
  assert.equal(s.reads(), 1);
  s.setMounts(`1 0 179:2 / / rw - ext4 /dev/mmcblk0p2 rw\n${mountLine(s.state, 'rw,noatime', 'ro,errors=remount-ro')}`);
  s.advance(4_999);
  assert.notEqual(reader.current().state, 'read-only', 'the cached reading serves');
  assert.equal(s.reads(), 1);
  s.advance(1);
  assert.equal(reader.current().state, 'read-only');
  s.setMounts(`1 0 179:2 / / rw - ext4 /dev/mmcblk0p2 rw\n${mountLine(s.state, 'ro,noatime', 'rw')}`);
  s.advance(5_000);
  assert.equal(reader.current().state, 'read-only');
  s.setMounts(`1 0 179:2 / / rw - ext4 /dev/mmcblk0p2 rw\n${mountLine(s.state, 'rw', 'rw')}`);
  s.advance(5_000);
  assert.notEqual(reader.current().state, 'read-only', 'back once writable');
  assert.equal(s.reads(), 4);
  assert.deepEqual(s.logged, []);
});

test('StorageReader: full and low from statfs\'s f_bavail (what a user that is not root may write)', async (t) => {
  let bavail = 100;
  const s = await setup(t, () => ({ bsize: 4096, blocks: 2_000_000, bfree: 200_000, bavail, files: 500_000, ffree: 400_000 }));
  const reader = new StorageReader(s.options);
  assert.deepEqual(reader.current(), { state: 'full', freeBytes: 409_600, totalBytes: 8_192_000_000 });
  bavail = 10_000;
  s.advance(5_000);
  assert.equal(reader.current().state, 'low');
  bavail = 100_000;
  s.advance(5_000);
  assert.equal(reader.current().state, 'ok');
});

test('StorageReader: a state directory not made yet is read through its nearest parent', async (t) => {
  const s = await setup(t);
  const reader = new StorageReader({ ...s.options, path: join(s.state, 'not', 'yet') });
  s.setMounts(`1 0 179:2 / / rw - ext4 /dev/mmcblk0p2 rw\n${mountLine(s.state, 'ro', 'rw')}`);
  assert.equal(reader.current().state, 'read-only', 'the mount of the parent that exists');
});

test('StorageReader: unknown, never a throw, when statfs or the mount table fails; logged once per distinct failure', async (t) => {
  let fail = true;
  const s = await setup(t, (p) => {
    if (fail) throw Object.assign(new Error('EIO: i/o error, statfs'), { code: 'EIO' });
    return statfsSync(p);
  });
  const reader = new StorageReader(s.options);
  assert.deepEqual(reader.current(), { state: 'unknown', freeBytes: null, totalBytes: null });
  s.advance(5_000);
  reader.current();
  assert.deepEqual(s.logged, ["the card's state cannot be read (EIO: i/o error, statfs)"]);
  fail = false;
  s.setMounts('garbage\n');
  s.advance(5_000);
  assert.equal(reader.current().state, 'unknown');
  assert.match(s.logged[1]!, /no mount holds /);
  s.setMounts(`1 0 179:2 / / rw - ext4 /dev/mmcblk0p2 rw\n`);
  s.advance(5_000);
  assert.notEqual(reader.current().state, 'unknown', 'back once readable');
  const unreadable = new StorageReader({ ...s.options, mountinfo: () => readFileSync(join(s.dir, 'no-such-file'), 'utf8') });
  assert.equal(unreadable.current().state, 'unknown');
});

test('storageReaderOptions: the real /proc/self/mountinfo and statfs give a state for a real directory', async (t) => {
  const dir = await tempDir(t, 'storage-real');
  await writeFile(join(dir, 'settings.json'), '{}\n');
  const status = new StorageReader(storageReaderOptions(dir, {}, () => 0, (line) => assert.fail(line))).current();
  assert.ok(['ok', 'low', 'full'].includes(status.state), JSON.stringify(status));
  assert.ok(status.totalBytes! > 0);
});
