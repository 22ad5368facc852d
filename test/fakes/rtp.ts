import { parseRtp, type RtpPayload } from '../../src/formats/rtp/packet.js';

// A small RTP receiver for the tests: H.264 (RFC 6184 single NAL units and FU-A) and JPEG (RFC 2435)
// depacketizers, and a reader of RTSP's interleaved frames. Written from the RFCs, apart from
// picamd's packetizers, so a test compares two readings of the standard.

/** The payload of an RtpPayload as one buffer. */
export function joined(payload: RtpPayload): Buffer {
  return Buffer.concat(payload.parts as Buffer[]);
}

/** NAL units back from H.264 payloads; throws on a broken fragment sequence. */
export function depacketizeH264(payloads: readonly Buffer[]): Buffer[] {
  const nals: Buffer[] = [];
  let fu: Buffer[] | undefined;
  for (const p of payloads) {
    const type = p[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      if (fu) throw new Error('a single NAL unit inside a fragmented one');
      nals.push(p);
    } else if (type === 28) {
      const start = (p[1]! & 0x80) !== 0;
      const end = (p[1]! & 0x40) !== 0;
      if (start) {
        if (fu) throw new Error('a new FU-A start before the end');
        fu = [Buffer.from([(p[0]! & 0xe0) | (p[1]! & 0x1f)])];
      }
      if (!fu) throw new Error('an FU-A fragment without its start');
      fu.push(p.subarray(2));
      if (end) {
        nals.push(Buffer.concat(fu));
        fu = undefined;
      }
    } else {
      throw new Error(`unexpected NAL type ${type}`);
    }
  }
  if (fu) throw new Error('an unfinished FU-A');
  return nals;
}

export interface JpegFrameFields {
  type: number;
  q: number;
  width8: number;
  height8: number;
  restartInterval?: number;
  qtables?: Buffer;
  scan: Buffer;
}

/** One RTP/JPEG frame back from its payloads, checking the fragment offsets. */
export function depacketizeJpeg(payloads: readonly Buffer[]): JpegFrameFields {
  let frame: JpegFrameFields | undefined;
  const pieces: Buffer[] = [];
  let expected = 0;
  for (const p of payloads) {
    const offset = p.readUIntBE(1, 3);
    if (offset !== expected) throw new Error(`fragment offset ${offset}, expected ${expected}`);
    const type = p[4]!;
    let at = 8;
    let restartInterval: number | undefined;
    if (type >= 64) {
      restartInterval = p.readUInt16BE(at);
      if (p.readUInt16BE(at + 2) !== 0xffff) throw new Error('restart header not F=L=1, count 0x3FFF');
      at += 4;
    }
    let qtables: Buffer | undefined;
    if (offset === 0 && p[5]! >= 128) {
      const length = p.readUInt16BE(at + 2);
      qtables = p.subarray(at + 4, at + 4 + length);
      at += 4 + length;
    }
    frame ??= { type, q: p[5]!, width8: p[6]!, height8: p[7]!, restartInterval, qtables, scan: Buffer.alloc(0) };
    pieces.push(p.subarray(at));
    expected += p.length - at;
  }
  if (!frame) throw new Error('no payloads');
  return { ...frame, scan: Buffer.concat(pieces) };
}

/** Reads RTSP responses and interleaved frames from a byte stream (a test's TCP client). */
export class InterleavedReader {
  private buffer = Buffer.alloc(0);
  readonly frames: Array<{ channel: number; data: Buffer }> = [];
  readonly responses: string[] = [];

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length === 0) return;
      if (this.buffer[0] === 0x24) {
        if (this.buffer.length < 4) return;
        const length = this.buffer.readUInt16BE(2);
        if (this.buffer.length < 4 + length) return;
        this.frames.push({ channel: this.buffer[1]!, data: this.buffer.subarray(4, 4 + length) });
        this.buffer = this.buffer.subarray(4 + length);
        continue;
      }
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.buffer.length < end + 4 + length) return;
      this.responses.push(this.buffer.subarray(0, end + 4 + length).toString('utf8'));
      this.buffer = this.buffer.subarray(end + 4 + length);
    }
  }

  /** The RTP packets received on `channel`, parsed. */
  rtp(channel: number) {
    return this.frames.filter((f) => f.channel === channel).map((f) => parseRtp(f.data)!);
  }
}
