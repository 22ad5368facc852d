// The camera's stdout as a Unix stream socket that picamd makes itself and reads into one reused
// buffer.
//
// For 'pipe' stdio Node's spawn gives the child one end of a socketpair (libuv's uv_socketpair) and
// reads the other end into a new ArrayBuffer on every read: at 720p30 MJPEG about 2.7 MB/s of
// garbage that the collector has to find, most of picamd's work with the camera on and nobody
// watching. A socket that picamd constructs can read into a caller's buffer instead (net.Socket's
// `onread`), but Node offers JavaScript no socketpair, so this module makes one the long way: a
// listening socket in a private directory (mode 0700, so only picamd's own user can connect; removed
// as soon as the connection is accepted), one connection to it, and the accepted end handed to the
// child as its stdout. The camera writes to a Unix stream socket either way, and libuv sets the
// child's stdout back to blocking as it does for its own pairs. The accepted end keeps a reference
// to the socket file (the kernel copies the listener's path into it), so once removed the file is
// deleted but open for the camera's whole run, which makes a read-only remount of its filesystem
// busy: under the unit the directory is on a tmpfs (RuntimeDirectory). Numbers: docs/performance.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from './log/logger.js';

/** One connected pair: the camera writes to `childEnd`, picamd reads the other end. */
export interface StdoutSocket {
  /** For spawn's stdio; picamd closes its own copy with releaseChildEnd() once the child has it. */
  readonly childEnd: Socket;
  /** Hands every read to `onChunk`: a view of a reused buffer, valid only until onChunk returns. */
  read(onChunk: (chunk: Buffer) => void): void;
  releaseChildEnd(): void;
  /** Closes both ends; reads still waiting are dropped. Safe to call twice. */
  close(): void;
}

export interface StdoutSocketsOptions {
  logger: Logger;
  /** Where the short-lived listening socket's private directory goes (default: the temporary directory). */
  dir?: string;
  /** The most one read takes (Node's own reads take 64 KiB); the reused buffer has two areas of it. */
  bufferBytes?: number;
  /**
   * The reused read buffer itself, when the reader of the chunks wants them in memory of its own
   * (see EntropyScanner.readArea): its two halves are the two areas.
   */
  buffer?: Buffer;
}

/** A whole 720p or 1080p frame in one read when it is there: one push() per frame. */
export const DEFAULT_READ_BYTES = 256 * 1024;
// sockaddr_un's sun_path is 108 bytes on Linux, with its terminating zero.
const MAX_SOCKET_PATH = 107;

/**
 * Keeps one pair ready, so a camera start takes it at once (spawn stays synchronous) and the next
 * is made behind it. When none is ready (a second start within milliseconds, or pairs cannot be
 * made here) the caller uses a plain pipe for that run.
 */
export class StdoutSockets {
  /**
   * One buffer for every pair, in two areas: each read is handed on and finished before the next
   * is made, into the first area unless a frame handed on without a copy still lies there (keptBy).
   */
  private readonly areas: readonly [Buffer, Buffer];
  private keeps: (area: Buffer) => boolean = () => false;
  private spare: StdoutSocket | undefined;
  private making: Promise<void> | undefined;
  private failed = false;
  private closed = false;

  constructor(private readonly options: StdoutSocketsOptions) {
    const buffer = options.buffer ?? Buffer.allocUnsafeSlow(2 * (options.bufferBytes ?? DEFAULT_READ_BYTES));
    const half = Math.floor(buffer.length / 2);
    this.areas = [buffer.subarray(0, half), buffer.subarray(half, 2 * half)];
  }

  /**
   * `keeps(area)`: whether a frame handed on as a view of a read (FramePool.lendViewsWhile) still
   * lies in that area; the next read then goes into the other one. At most one such frame is kept
   * (the newest, nobody watching), so one area is always free.
   */
  keptBy(keeps: (area: Buffer) => boolean): void {
    this.keeps = keeps;
  }

  /** Where the next read goes. */
  private readonly nextArea = (): Buffer => (this.keeps(this.areas[0]) ? this.areas[1] : this.areas[0]);

  /** Makes the first pair; resolves when it is ready or could not be made (then logged once). */
  prepare(): Promise<void> {
    if (this.closed || this.spare) return Promise.resolve();
    this.making ??= this.make().finally(() => {
      this.making = undefined;
    });
    return this.making;
  }

  /** The ready pair, if there is one; the next one is started behind it. */
  take(): StdoutSocket | undefined {
    const taken = this.spare;
    this.spare = undefined;
    void this.prepare();
    return taken;
  }

  /** Closes the spare; pairs already taken belong to their takers. */
  close(): void {
    this.closed = true;
    this.spare?.close();
    this.spare = undefined;
  }

  private async make(): Promise<void> {
    try {
      const pair = await makePair(this.options.dir ?? tmpdir(), this.nextArea);
      if (this.closed) pair.close();
      else this.spare = pair;
      if (this.failed) this.options.logger.info('reading the camera through a socket of its own again');
      this.failed = false;
    } catch (err) {
      if (!this.failed) {
        this.options.logger.warn(`reading the camera through a plain pipe (${(err as Error).message})`);
      }
      this.failed = true;
    }
  }
}

/** Connects a pair through a listening socket in a new private directory, which is gone when this resolves. */
async function makePair(parent: string, nextArea: () => Buffer): Promise<StdoutSocket> {
  const dir = mkdtempSync(join(parent, 'picamd-camera-'));
  const path = join(dir, 's');
  const server = createServer();
  let reader: Socket | undefined;
  try {
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) throw new Error(`socket path too long: ${path}`);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    });
    let sink: ((chunk: Buffer) => void) | undefined;
    const accepted = new Promise<Socket>((resolve, reject) => {
      server.once('connection', resolve);
      server.once('error', reject);
    });
    reader = connect({
      path,
      onread: {
        // Asked before the first read and after each one.
        buffer: nextArea,
        // `buf` is the area nextArea gave, a Buffer: subarray is the cheapest view of it (Buffer.from
        // checks its arguments, a third of this callback's time in a profile).
        callback: (bytes: number, buf: Uint8Array) => {
          sink?.((buf as Buffer).subarray(0, bytes));
          return true;
        },
      },
    });
    const connected = new Promise<void>((resolve, reject) => {
      reader!.once('connect', resolve);
      reader!.once('error', reject);
    });
    const [childEnd] = await Promise.all([accepted, connected]);
    const readEnd = reader;
    // The camera dying mid-write can reset the connection; the camera's exit is what counts.
    readEnd.on('error', () => {});
    childEnd.on('error', () => {});
    return {
      childEnd,
      read(onChunk) {
        sink = onChunk;
      },
      releaseChildEnd() {
        childEnd.destroy();
      },
      close() {
        sink = undefined;
        childEnd.destroy();
        readEnd.destroy();
      },
    };
  } catch (err) {
    reader?.destroy();
    throw err;
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
