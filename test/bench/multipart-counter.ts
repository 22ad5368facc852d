// The benchmark viewers' stream reader: counts whole frames of a multipart/x-mixed-replace response
// with as little work as possible, because one load process has to keep up with hundreds of viewers
// (300 x 30 fps x 90 KB is about 800 MB/s). It copies only the small header blocks and the first
// bytes of each JPEG (where the simulated camera's COM stamp is); the rest of a frame is skipped by
// its Content-Length. The strict checker for tests is test/fakes/mjpeg-client.ts; this one checks
// enough to be sure it counts real frames: status 200, no chunked encoding, the boundary before
// every part, a Content-Length, and SOI at the start of every JPEG.

import { readSimStamp } from '../../src/sim/stamp.js';

/** Called for every whole frame: its stamp (seq -1 and tUs -1 when it has none) and JPEG size. */
export type FrameListener = (seq: number, tUs: number, jpegBytes: number) => void;

/** Bytes of each JPEG copied aside for the stamp: SOI plus the COM segment right after it. */
const STAMP_BYTES = 80;
/** The response head and part header blocks are small; anything longer is an error. */
const MAX_HEADER_BYTES = 4096;

const HEAD = 0;
const PART_HEADERS = 1;
const BODY = 2;
const FAILED = 3;

export class MultipartCounter {
  private state = HEAD;
  private readonly header = Buffer.allocUnsafe(MAX_HEADER_BYTES);
  private headerLength = 0;
  private readonly stampBytes = Buffer.allocUnsafe(STAMP_BYTES);
  private stampLength = 0;
  private stampWanted = 0;
  private jpegBytes = 0;
  private remaining = 0;
  private delimiter = '';
  /** HTTP status of the response, 0 until its head has arrived. */
  status = 0;
  /** Bytes seen, head included. */
  bytes = 0;
  frames = 0;
  error: string | undefined;

  constructor(private readonly onFrame: FrameListener) {}

  get failed(): boolean {
    return this.state === FAILED;
  }

  /** Feeds bytes [start, end) of `buf`; they are not kept, so `buf` may be reused afterwards. */
  push(buf: Uint8Array, start: number, end: number): void {
    this.bytes += end - start;
    let pos = start;
    while (pos < end) {
      if (this.state === BODY) {
        if (this.stampLength < this.stampWanted) {
          const n = Math.min(this.stampWanted - this.stampLength, end - pos);
          this.stampBytes.set(buf.subarray(pos, pos + n), this.stampLength);
          this.stampLength += n;
          if (this.stampLength >= 2 && (this.stampBytes[0] !== 0xff || this.stampBytes[1] !== 0xd8)) {
            return this.fail(`part ${this.frames + 1} does not start with a JPEG SOI`);
          }
        }
        const take = Math.min(this.remaining, end - pos);
        pos += take;
        this.remaining -= take;
        if (this.remaining === 0) this.frameDone();
      } else if (this.state === FAILED) {
        return;
      } else {
        // Copy up to the blank line that ends the block.
        const header = this.header;
        let found = false;
        while (pos < end) {
          const b = buf[pos++]!;
          if (this.headerLength === MAX_HEADER_BYTES) return this.fail('header block too long');
          header[this.headerLength++] = b;
          const n = this.headerLength;
          if (b === 0x0a && n >= 4 && header[n - 2] === 0x0d && header[n - 3] === 0x0a && header[n - 4] === 0x0d) {
            found = true;
            break;
          }
        }
        if (!found) return;
        const text = header.toString('latin1', 0, this.headerLength);
        this.headerLength = 0;
        if (this.state === HEAD) this.onHead(text);
        else this.onPartHeaders(text);
      }
    }
  }

  private onHead(text: string): void {
    const status = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
    if (!status) return this.fail(`bad status line: ${JSON.stringify(text.slice(0, 40))}`);
    this.status = Number(status[1]);
    if (this.status !== 200) return this.fail(`status ${this.status}`);
    if (/\r\ntransfer-encoding:/i.test(text)) return this.fail('the stream must not be chunked');
    const type = /\r\ncontent-type:\s*multipart\/x-mixed-replace;\s*boundary=([^\s;]+)/i.exec(text);
    if (!type) return this.fail('not a multipart/x-mixed-replace response');
    this.delimiter = `--${type[1]}\r\n`;
    this.state = PART_HEADERS;
  }

  /** The block after a JPEG: its closing delimiter (the preamble, before the first), then headers. */
  private onPartHeaders(text: string): void {
    if (!text.startsWith(this.frames === 0 ? this.delimiter : `\r\n${this.delimiter}`)) {
      return this.fail(`no boundary before part ${this.frames + 1}`);
    }
    const length = /\r\ncontent-length:\s*(\d+)\r\n/i.exec(text);
    if (!length) return this.fail(`part ${this.frames + 1} has no Content-Length`);
    this.jpegBytes = Number(length[1]);
    this.remaining = this.jpegBytes;
    this.stampWanted = Math.min(STAMP_BYTES, this.jpegBytes);
    this.stampLength = 0;
    this.state = BODY;
    if (this.remaining === 0) this.frameDone();
  }

  private frameDone(): void {
    this.frames++;
    this.state = PART_HEADERS;
    const stamp = readSimStamp(this.stampBytes.subarray(0, this.stampLength));
    this.onFrame(stamp ? stamp.seq : -1, stamp ? stamp.tUs : -1, this.jpegBytes);
  }

  private fail(message: string): void {
    this.error ??= message;
    this.state = FAILED;
  }
}
