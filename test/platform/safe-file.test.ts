import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  readRegularFile,
  readRegularFileSync,
  tempPathFor,
  writeFileAtomic,
  writeFileAtomicSync,
  type ReadResult,
} from '../../src/platform/safe-file.js';
import { recordingFs, writeSteps } from '../fakes/fs.js';
import { tempDir } from '../fakes/temp-dir.js';

/** A random source that returns these bytes in turn, so a test knows the temporary names in advance. */
function predictable(...fills: number[]): (bytes: number) => Buffer {
  let i = 0;
  return (bytes) => Buffer.alloc(bytes, fills[Math.min(i++, fills.length - 1)]);
}

function reasonOf(result: ReadResult): string {
  return result.ok ? 'ok' : result.reason;
}

test('writeFileAtomic writes the data with mode 0600, leaves no temporary file and replaces on the next write', async (t) => {
  const dir = await tempDir(t, 'safe-file');
  const path = join(dir, 'settings.json');
  await writeFileAtomic(path, 'first\n');
  assert.equal(await readFile(path, 'utf8'), 'first\n');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  await writeFileAtomic(path, new Uint8Array([0x41, 0x42]));
  assert.equal(await readFile(path, 'utf8'), 'AB');
  assert.deepEqual(await readdir(dir), ['settings.json']);
});

test('an explicit mode is used (within the umask) and a missing directory is created', async (t) => {
  const dir = await tempDir(t, 'safe-file');
  const path = join(dir, 'var', 'lib', 'picamd', 'public.json');
  await writeFileAtomic(path, '{}', { mode: 0o640 });
  assert.equal((await stat(path)).mode & 0o777, 0o640 & ~process.umask());
  assert.equal(await readFile(path, 'utf8'), '{}');
});

test('temporary names are unpredictable: 128 random bits, hidden, in the same directory', () => {
  const a = tempPathFor('/var/lib/picamd/settings.json');
  const b = tempPathFor('/var/lib/picamd/settings.json');
  assert.match(a, /^\/var\/lib\/picamd\/\.settings\.json\.[0-9a-f]{32}\.tmp$/);
  assert.notEqual(a, b);
});

test('a link planted at the temporary name is never followed: the write takes another name', async (t) => {
  const dir = await tempDir(t, 'safe-file');
  const path = join(dir, 'privacy.json');
  const victim = join(dir, 'victim');
  await writeFile(victim, 'untouched');
  const planted = tempPathFor(path, predictable(1));
  await symlink(victim, planted);
  await writeFileAtomic(path, 'state', { random: predictable(1, 2) });
  assert.equal(await readFile(victim, 'utf8'), 'untouched');
  assert.equal(await readFile(path, 'utf8'), 'state');
  assert.ok((await lstat(planted)).isSymbolicLink(), 'the planted link is left alone');
  // A dangling link (to a file an attacker hopes we create) is refused the same way.
  const target = join(dir, 'created-by-us');
  const dangling = tempPathFor(path, predictable(3));
  await symlink(target, dangling);
  await writeFileAtomic(path, 'again', { random: predictable(3, 4) });
  await assert.rejects(stat(target), { code: 'ENOENT' });
  assert.equal(await readFile(path, 'utf8'), 'again');
});

test('when every name drawn is taken the write fails and the file and the links are untouched', async (t) => {
  const dir = await tempDir(t, 'safe-file');
  const path = join(dir, 'privacy.json');
  await writeFile(path, 'old');
  const victim = join(dir, 'victim');
  await writeFile(victim, 'untouched');
  await symlink(victim, tempPathFor(path, predictable(7)));
  await assert.rejects(writeFileAtomic(path, 'new', { random: predictable(7) }), { code: 'EEXIST' });
  assert.equal(await readFile(path, 'utf8'), 'old');
  assert.equal(await readFile(victim, 'utf8'), 'untouched');
});

test('writing over a symlink replaces the link, not its target', async (t) => {
  const dir = await tempDir(t, 'safe-file');
  const victim = join(dir, 'victim');
  await writeFile(victim, 'untouched');
  const path = join(dir, 'settings.json');
  await symlink(victim, path);
  await writeFileAtomic(path, 'mine');
  assert.equal(await readFile(victim, 'utf8'), 'untouched');
  assert.ok((await lstat(path)).isFile());
  assert.equal(await readFile(path, 'utf8'), 'mine');
});

test('the write steps are: exclusive temp file, write, fsync, close, rename, fsync the directory', async (t) => {
  const dir = await tempDir(t, 'safe-file');
  const { fs, steps } = recordingFs();
  await writeFileAtomic(join(dir, 'a.json'), 'x', { fs });
  assert.deepEqual(steps, [...writeSteps]);
});

for (const failAt of writeSteps) {
  for (const powerCut of [false, true]) {
    test(`${powerCut ? 'a power cut' : 'an I/O error'} at "${failAt}" leaves the old file or the new one`, async (t) => {
      const dir = await tempDir(t, 'safe-file');
      const path = join(dir, 'settings.json');
      await writeFileAtomic(path, 'old');
      const faulty = recordingFs({ failAt, powerCut });
      await assert.rejects(writeFileAtomic(path, 'new', { fs: faulty.fs }), /failed|power cut/);
      assert.ok(faulty.failed);
      const renamed = writeSteps.indexOf(failAt) > writeSteps.indexOf('rename');
      assert.equal(await readFile(path, 'utf8'), renamed ? 'new' : 'old');
      // The reader never sees a temporary file as the state, whatever is left beside it.
      const read = await readRegularFile(path, 1024);
      assert.ok(read.ok && ['old', 'new'].includes(read.data.toString()));
      const others = (await readdir(dir)).filter((n) => n !== 'settings.json');
      if (!powerCut || failAt === 'open temp' || renamed) assert.deepEqual(others, [], 'no temporary file is left');
      else assert.match(others.join(), /^\.settings\.json\.[0-9a-f]{32}\.tmp$/, 'a power cut leaves at most the temporary file');
    });
  }
}

test('readRegularFile reads a regular file and a file of exactly maxBytes', async (t) => {
  const dir = await tempDir(t, 'safe-file');
  const path = join(dir, 'a.json');
  await writeFile(path, 'x'.repeat(100));
  const read = await readRegularFile(path, 100);
  assert.ok(read.ok);
  assert.equal(read.data.length, 100);
  const sync = readRegularFileSync(path, 100);
  assert.ok(sync.ok);
  assert.equal(sync.data.toString(), 'x'.repeat(100));
  // Larger than one read chunk.
  const big = join(dir, 'big');
  await writeFile(big, Buffer.alloc(200_000, 7));
  const bigRead = await readRegularFile(big, 200_000);
  assert.ok(bigRead.ok && bigRead.data.length === 200_000 && bigRead.data.every((b) => b === 7));
});

test('missing, symlinks, FIFOs, directories, devices and oversized files are told apart', async (t) => {
  const dir = await tempDir(t, 'safe-file');
  const regular = join(dir, 'regular.json');
  await writeFile(regular, '{}');
  const dangling = join(dir, 'dangling');
  await symlink(join(dir, 'nowhere'), dangling);
  const toRegular = join(dir, 'to-regular');
  await symlink(regular, toRegular);
  const toZero = join(dir, 'to-zero');
  await symlink('/dev/zero', toZero);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const directory = join(dir, 'directory');
  await mkdir(directory);
  const oversize = join(dir, 'oversize');
  await writeFile(oversize, 'x'.repeat(101));
  const cases: Array<[string, string]> = [
    [join(dir, 'missing'), 'missing'],
    [join(dir, 'no-dir', 'missing'), 'missing'],
    [dangling, 'not-regular'],
    [toRegular, 'not-regular'],
    [toZero, 'not-regular'],
    ['/dev/zero', 'not-regular'],
    ['/dev/null', 'not-regular'],
    [fifo, 'not-regular'],
    [directory, 'not-regular'],
    [oversize, 'too-large'],
    [join(regular, 'below-a-file'), 'error'],
  ];
  for (const [path, reason] of cases) {
    const read = await readRegularFile(path, 100);
    assert.equal(reasonOf(read), reason, path);
    assert.ok(!read.ok && read.message.includes(path), `the message names the file: ${path}`);
    assert.equal(reasonOf(readRegularFileSync(path, 100)), reason, `sync: ${path}`);
  }
});

test('writeFileAtomicSync writes exclusively with mode 0600 and leaves a planted link alone', async (t) => {
  const dir = await tempDir(t, 'safe-file');
  const path = join(dir, 'sub', 'settings.json');
  writeFileAtomicSync(path, 'first');
  writeFileAtomicSync(path, 'second');
  assert.equal(await readFile(path, 'utf8'), 'second');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const victim = join(dir, 'victim');
  await writeFile(victim, 'untouched');
  await symlink(victim, tempPathFor(path, predictable(5)));
  writeFileAtomicSync(path, 'third', { random: predictable(5, 6) });
  assert.equal(await readFile(victim, 'utf8'), 'untouched');
  assert.equal(await readFile(path, 'utf8'), 'third');
  assert.throws(() => writeFileAtomicSync(path, 'fourth', { random: predictable(5) }), { code: 'EEXIST' });
  assert.equal(await readFile(path, 'utf8'), 'third');
});

test('a file system that cannot fsync a directory (EINVAL) still completes the write', async (t) => {
  const dir = await tempDir(t, 'safe-file');
  const path = join(dir, 'settings.json');
  const { fs } = recordingFs({ failAt: 'fsync dir', code: 'EINVAL' });
  await writeFileAtomic(path, 'new', { fs });
  assert.equal(await readFile(path, 'utf8'), 'new');
});
