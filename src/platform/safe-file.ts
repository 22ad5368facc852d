import * as nodeFs from 'node:fs/promises';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { errorCode, errorText } from './errors.js';

// Every file picamd writes goes through writeFileAtomic, and every state file it reads goes through
// readRegularFile.
//
// Writing: an exclusive temporary file with an unpredictable name in the same directory
// (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 unless told otherwise), write, fsync, rename over the file,
// fsync the directory. A reader, or the next boot after a power cut, sees the old content or the
// new, never a torn write; a link planted where the temporary file will be cannot redirect the write.
//
// Reading: only a regular file, opened without following a final symlink and without blocking
// (O_NOFOLLOW|O_NONBLOCK), checked with fstat on the open descriptor (no check-then-open race), and
// read up to a size bound. A FIFO, a device, a directory, a socket or a symlink (dangling or not) is
// `not-regular`, so a caller can fail closed instead of hanging on a FIFO or reading /dev/zero.

export type ReadResult =
  | { ok: true; data: Buffer }
  | { ok: false; reason: 'missing' | 'not-regular' | 'too-large' | 'error'; message: string };

/** The open file operations used here; node's FileHandle has them all. */
export interface SafeFileHandle {
  stat(): Promise<{ isFile(): boolean; size: number }>;
  read(buffer: Buffer, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  writeFile(data: string | Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file system operations used here, so tests can make any one step fail (node:fs/promises fits). */
export interface SafeFs {
  open(path: string, flags: number, mode?: number): Promise<SafeFileHandle>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  unlink(path: string): Promise<void>;
}

export interface WriteOptions {
  /** Mode of a newly written file (before the umask); 0600 by default. */
  mode?: number;
  /** Injected file system, for fault tests. */
  fs?: SafeFs;
  /** Source of the temporary name's randomness, for tests that predict it. */
  random?: (bytes: number) => Buffer;
}

export interface ReadOptions {
  fs?: SafeFs;
}

const defaultFs: SafeFs = nodeFs;

export const TEMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
export const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
export const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;

/** Another process (or an attacker) holding a name we drew is astronomically unlikely; a few tries is plenty. */
const TEMP_ATTEMPTS = 5;
const READ_CHUNK = 64 * 1024;

/** `.settings.json.<32 hex digits>.tmp` beside the file: hidden, and no one can guess it. */
export function tempPathFor(path: string, random: (bytes: number) => Buffer = randomBytes): string {
  return join(dirname(path), `.${basename(path)}.${random(16).toString('hex')}.tmp`);
}

/** Replaces `path` atomically and durably; rejects (leaving the old file) when any step before the rename fails. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  const fs = options.fs ?? defaultFs;
  const mode = options.mode ?? 0o600;
  const dir = dirname(path);
  let tmp: string;
  try {
    tmp = await writeTemp(fs, path, data, mode, options.random);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
    // First write on a fresh system: create the directory (systemd's StateDirectory= usually has).
    await fs.mkdir(dir, { recursive: true });
    tmp = await writeTemp(fs, path, data, mode, options.random);
  }
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.unlink(tmp).catch(() => {});
    throw err;
  }
  // The rename is only durable once the directory entry is on disk.
  const handle = await fs.open(dir, DIR_FLAGS);
  try {
    await handle.sync();
  } catch (err) {
    if (!dirSyncUnsupported(err)) throw err;
  } finally {
    await handle.close();
  }
}

/**
 * Some file systems cannot fsync a directory and say so with EINVAL (or ENOTSUP); the rename has
 * happened and there is nothing more to do. PostgreSQL's fsync_fname_ext makes the same exception.
 */
function dirSyncUnsupported(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'EINVAL' || code === 'ENOTSUP' || code === 'EOPNOTSUPP';
}

async function writeTemp(
  fs: SafeFs,
  path: string,
  data: string | Uint8Array,
  mode: number,
  random: ((bytes: number) => Buffer) | undefined,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const tmp = tempPathFor(path, random);
    let handle: SafeFileHandle;
    try {
      handle = await fs.open(tmp, TEMP_FLAGS, mode);
    } catch (err) {
      // EEXIST: the name is taken (a planted link or file); draw another, never reuse it.
      if (errorCode(err) === 'EEXIST' && attempt < TEMP_ATTEMPTS) continue;
      throw err;
    }
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => {});
      await fs.unlink(tmp).catch(() => {});
      throw err;
    }
    try {
      await handle.close();
    } catch (err) {
      await fs.unlink(tmp).catch(() => {});
      throw err;
    }
    return tmp;
  }
}

/** Reads `path` if it is a regular file of at most `maxBytes` bytes; never blocks, never follows a final symlink. */
export async function readRegularFile(path: string, maxBytes: number, options: ReadOptions = {}): Promise<ReadResult> {
  const fs = options.fs ?? defaultFs;
  let handle: SafeFileHandle;
  try {
    handle = await fs.open(path, READ_FLAGS);
  } catch (err) {
    return openFailure(path, err);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return notRegular(path);
    if (stat.size > maxBytes) return tooLarge(path, maxBytes);
    // Read to the end rather than trusting the size: the file may grow after fstat.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(READ_CHUNK, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return tooLarge(path, maxBytes);
    }
    return { ok: true, data: Buffer.concat(chunks, total) };
  } catch (err) {
    return { ok: false, reason: 'error', message: `${path}: cannot read it (${errorText(err)})` };
  } finally {
    await handle.close().catch(() => {});
  }
}

/** writeFileAtomic for one-shot tools and start-up code that cannot await. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, options: Omit<WriteOptions, 'fs'> = {}): void {
  const mode = options.mode ?? 0o600;
  const dir = dirname(path);
  let tmp: string;
  try {
    tmp = writeTempSync(path, data, mode, options.random);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
    mkdirSync(dir, { recursive: true });
    tmp = writeTempSync(path, data, mode, options.random);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone.
    }
    throw err;
  }
  const fd = openSync(dir, DIR_FLAGS);
  try {
    fsyncSync(fd);
  } catch (err) {
    if (!dirSyncUnsupported(err)) throw err;
  } finally {
    closeSync(fd);
  }
}

function writeTempSync(path: string, data: string | Uint8Array, mode: number, random: ((bytes: number) => Buffer) | undefined): string {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let attempt = 1; ; attempt++) {
    const tmp = tempPathFor(path, random);
    let fd: number;
    try {
      fd = openSync(tmp, TEMP_FLAGS, mode);
    } catch (err) {
      if (errorCode(err) === 'EEXIST' && attempt < TEMP_ATTEMPTS) continue;
      throw err;
    }
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
      closeSync(fd);
    } catch (err) {
      try {
        closeSync(fd);
      } catch {
        // Already closed, or the close itself failed.
      }
      try {
        unlinkSync(tmp);
      } catch {
        // Already gone.
      }
      throw err;
    }
    return tmp;
  }
}

/** readRegularFile for one-shot tools and start-up code that cannot await. */
export function readRegularFileSync(path: string, maxBytes: number): ReadResult {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (err) {
    return openFailure(path, err);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return notRegular(path);
    if (stat.size > maxBytes) return tooLarge(path, maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(READ_CHUNK, maxBytes + 1 - total));
      const bytesRead = readSync(fd, chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return tooLarge(path, maxBytes);
    }
    return { ok: true, data: Buffer.concat(chunks, total) };
  } catch (err) {
    return { ok: false, reason: 'error', message: `${path}: cannot read it (${errorText(err)})` };
  } finally {
    try {
      closeSync(fd);
    } catch {
      // Nothing left to do with it.
    }
  }
}

function openFailure(path: string, err: unknown): ReadResult {
  switch (errorCode(err)) {
    case 'ENOENT':
      return { ok: false, reason: 'missing', message: `${path}: no such file` };
    // O_NOFOLLOW on a symlink (dangling or not).
    case 'ELOOP':
      return { ok: false, reason: 'not-regular', message: `${path}: is a symbolic link, not a regular file` };
    // A socket (or a FIFO opened for writing): nothing to read from.
    case 'ENXIO':
      return notRegular(path);
    default:
      return { ok: false, reason: 'error', message: `${path}: cannot open it (${errorText(err)})` };
  }
}

function notRegular(path: string): ReadResult {
  return { ok: false, reason: 'not-regular', message: `${path}: not a regular file (a directory, FIFO, device or socket)` };
}

function tooLarge(path: string, maxBytes: number): ReadResult {
  return { ok: false, reason: 'too-large', message: `${path}: larger than ${maxBytes} bytes` };
}

