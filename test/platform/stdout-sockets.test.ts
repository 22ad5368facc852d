import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StdoutSockets } from '../../src/platform/stdout-sockets.js';
import { memoryLogger } from '../fakes/logger.js';
import { waitFor } from '../fakes/wait.js';

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-stdout-sockets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// 2 MB of bytes that tell their own offset (a byte that is wrong or out of place shows), written in
// uneven pieces, so reads of every size fill the one buffer.
const WRITER = `
const total = 2 * 1024 * 1024;
const all = Buffer.alloc(total);
for (let i = 0; i < total; i++) all[i] = (i * 7 + (i >> 11)) & 0xff;
let at = 0, n = 0;
const next = () => {
  while (at < total) {
    const size = Math.min(total - at, 1000 + ((n++ * 7919) % 150000));
    const more = process.stdout.write(all.subarray(at, at + size));
    at += size;
    if (!more) return process.stdout.once('drain', next);
  }
};
next();
`;

function expected(): Buffer {
  const total = 2 * 1024 * 1024;
  const all = Buffer.alloc(total);
  for (let i = 0; i < total; i++) all[i] = (i * 7 + (i >> 11)) & 0xff;
  return all;
}

test("a child's stdout arrives whole through a pair, every read in the one reused buffer", async (t) => {
  const dir = scratch(t);
  const sockets = new StdoutSockets({ logger: memoryLogger(), dir, bufferBytes: 64 * 1024 });
  t.after(() => sockets.close());
  assert.equal(sockets.take(), undefined, 'none is ready before prepare()');
  await sockets.prepare();
  const pair = sockets.take();
  assert.ok(pair, 'a pair once prepared');
  t.after(() => pair.close());
  const child = spawn(process.execPath, ['-e', WRITER], { stdio: ['ignore', pair.childEnd, 'inherit'] });
  pair.releaseChildEnd();
  const got: Buffer[] = [];
  const memories = new Set<ArrayBufferLike>();
  let reads = 0;
  pair.read((chunk) => {
    reads++;
    memories.add(chunk.buffer);
    assert.ok(chunk.length <= 64 * 1024);
    got.push(Buffer.from(chunk));
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  await waitFor('every byte', () => got.reduce((n, c) => n + c.length, 0) >= 2 * 1024 * 1024);
  assert.ok(Buffer.concat(got).equals(expected()), 'the same bytes in the same order');
  assert.ok(reads >= 32, `${reads} reads`);
  assert.equal(memories.size, 1, 'every read lands in the same memory');
  assert.deepEqual(readdirSync(dir), [], 'the listening socket and its directory are gone');
});

test('a read never lands in the area keptBy says holds a frame: the other area takes it', async (t) => {
  const dir = scratch(t);
  const whole = Buffer.allocUnsafeSlow(2 * 64 * 1024);
  const sockets = new StdoutSockets({ logger: memoryLogger(), dir, buffer: whole });
  // The newest read is "kept" (as a frame lent as a view would be) until the next one arrives.
  let kept: { chunk: Buffer; copy: Buffer } | undefined;
  sockets.keptBy((area) => kept !== undefined && kept.chunk.byteOffset >= area.byteOffset && kept.chunk.byteOffset < area.byteOffset + area.length);
  t.after(() => sockets.close());
  await sockets.prepare();
  const pair = sockets.take()!;
  t.after(() => pair.close());
  const child = spawn(process.execPath, ['-e', WRITER], { stdio: ['ignore', pair.childEnd, 'inherit'] });
  pair.releaseChildEnd();
  const got: Buffer[] = [];
  const offsets = new Set<number>();
  let overwritten = 0;
  pair.read((chunk) => {
    if (kept && !kept.chunk.equals(kept.copy)) overwritten++;
    assert.equal(chunk.buffer, whole.buffer);
    offsets.add(chunk.byteOffset - whole.byteOffset);
    got.push(Buffer.from(chunk));
    kept = { chunk, copy: Buffer.from(chunk) };
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  await waitFor('every byte', () => got.reduce((n, c) => n + c.length, 0) >= 2 * 1024 * 1024);
  assert.ok(Buffer.concat(got).equals(expected()), 'the same bytes in the same order');
  assert.equal(overwritten, 0, 'reads that landed on the kept one');
  assert.deepEqual([...offsets].sort((a, b) => a - b), [0, 64 * 1024], 'the two halves, in turn');
});

test("the camera's end is a Unix socket; once released, the child's exit ends the stream", async (t) => {
  const sockets = new StdoutSockets({ logger: memoryLogger(), dir: scratch(t) });
  t.after(() => sockets.close());
  await sockets.prepare();
  const pair = sockets.take()!;
  t.after(() => pair.close());
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 200)'], { stdio: ['ignore', pair.childEnd, 'inherit'] });
  pair.releaseChildEnd();
  assert.match(readlinkSync(`/proc/${child.pid}/fd/1`), /^socket:\[\d+\]$/);
  const reader = waitFor('a next pair', () => sockets.take());
  await once(child, 'exit');
  // The next pair was made behind the first one.
  const next = await reader;
  next.close();
});

test('where no pair can be made, take() gives none (the caller uses a pipe) and it is said once', async (t) => {
  const logger = memoryLogger();
  const missing = join(scratch(t), 'no', 'such', 'dir');
  const sockets = new StdoutSockets({ logger, dir: missing });
  t.after(() => sockets.close());
  await sockets.prepare();
  assert.equal(sockets.take(), undefined);
  await sockets.prepare();
  assert.equal(sockets.take(), undefined);
  const warnings = logger.lines.filter((l) => l.startsWith('warn'));
  assert.equal(warnings.length, 1, logger.lines.join('\n'));
  assert.match(warnings[0]!, /reading the camera through a plain pipe \(.*ENOENT/);
});

test('a path too long for a Unix socket is refused, and nothing is left behind', async (t) => {
  const logger = memoryLogger();
  const deep = join(scratch(t), 'x'.repeat(90));
  mkdirSync(deep);
  const sockets = new StdoutSockets({ logger, dir: deep });
  t.after(() => sockets.close());
  await sockets.prepare();
  assert.equal(sockets.take(), undefined);
  assert.match(logger.lines.join('\n'), /plain pipe \(socket path too long/);
  assert.deepEqual(readdirSync(deep), []);
});

test('close() closes the spare, and a pair is not made after it', async (t) => {
  const dir = scratch(t);
  const sockets = new StdoutSockets({ logger: memoryLogger(), dir });
  await sockets.prepare();
  sockets.close();
  assert.equal(sockets.take(), undefined);
  await sockets.prepare();
  assert.equal(sockets.take(), undefined);
  assert.deepEqual(readdirSync(dir), []);
});
