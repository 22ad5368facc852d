// JPEG over RTP, RFC 2435. A receiver rebuilds the JPEG's headers from an 8-byte header in each packet
// (type, size in 8-pixel units, fragment offset), so only JPEGs it can rebuild can go: baseline
// (SOF0), 8-bit, three components with Y sampled 2x1 (type 0, 4:2:2) or 2x2 (type 1, 4:2:0) and the
// chroma 1x1 sharing one quantization table, the standard Huffman tables of JPEG Annex K, at most
// 2040 pixels each way. What rpicam-vid's libjpeg encoder writes (jpeg_set_defaults, no restart
// interval) and picamd's own encoder fit. The quantization tables travel in-band (Q = 255, in the
// first packet of each frame); a restart interval (DRI) makes the type 64 + type and adds the restart
// header, with F = L = 1 and count 0x3FFF: the receiver decodes the frame once it has all of it.
// Anything else is refused with the reason, never guessed at. Pure: the payloads slice the JPEG.

import { ANNEX_K_HUFFMAN } from '../jpeg/encoder.js';
import { payloadOf, type RtpPayload } from './packet.js';

/** The static payload type of JPEG (RFC 3551). */
export const JPEG_PAYLOAD_TYPE = 26;
const MAIN_HEADER_BYTES = 8;
const RESTART_HEADER_BYTES = 4;
const QTABLE_HEADER_BYTES = 4;
/** Q values 128-255 carry the tables in-band; 255: they may change with every frame. */
const Q_INBAND = 255;

export interface RtpJpeg {
  /** 0 (4:2:2) or 1 (4:2:0), plus 64 with restart markers. */
  readonly type: number;
  /** In 8-pixel units, rounded up (a receiver decodes the padding of the last MCU row or column too). */
  readonly width8: number;
  readonly height8: number;
  /** MCUs between restart markers; 0 for none. */
  readonly restartInterval: number;
  /** The luma then the chroma quantization table, 64 bytes each in zigzag order, as in the DQT. */
  readonly qtables: Buffer;
  /** The entropy-coded data, without the EOI marker: a view into the JPEG. */
  readonly scan: Buffer;
}

export type RtpJpegResult = { ok: true; jpeg: RtpJpeg } | { ok: false; reason: string };

interface Component {
  id: number;
  sampling: number;
  table: number;
}

/** Reads what RFC 2435 carries out of a JPEG, or why this JPEG cannot go as RTP/JPEG. */
export function parseJpegForRtp(jpeg: Buffer): RtpJpegResult {
  const fail = (reason: string): RtpJpegResult => ({ ok: false, reason });
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return fail('not a JPEG (no SOI)');
  const tables = new Map<number, Buffer>();
  let components: Component[] | undefined;
  let width = 0;
  let height = 0;
  let restartInterval = 0;
  let at = 2;
  for (;;) {
    if (at + 4 > jpeg.length) return fail('ends before its scan');
    if (jpeg[at] !== 0xff) return fail(`no marker at byte ${at}`);
    const marker = jpeg[at + 1]!;
    if (marker === 0xff) {
      at++;
      continue;
    }
    const length = jpeg.readUInt16BE(at + 2);
    const start = at + 4;
    const end = at + 2 + length;
    if (length < 2 || end > jpeg.length) return fail(`segment 0x${marker.toString(16)} runs past the end`);
    const body = jpeg.subarray(start, end);
    if (marker === 0xdb) {
      for (let i = 0; i < body.length; ) {
        const precision = body[i]! >> 4;
        const id = body[i]! & 0x0f;
        if (precision !== 0) return fail('16-bit quantization tables (RTP/JPEG carries 8-bit ones)');
        if (i + 65 > body.length) return fail('short DQT');
        tables.set(id, body.subarray(i + 1, i + 65));
        i += 65;
      }
    } else if (marker === 0xc0) {
      if (body.length < 6 || body[0] !== 8) return fail('not 8-bit');
      height = body.readUInt16BE(1);
      width = body.readUInt16BE(3);
      const count = body[5]!;
      if (count !== 3 || body.length < 6 + 3 * count) return fail(`${count} components (RTP/JPEG carries 3)`);
      components = [0, 1, 2].map((c) => ({ id: body[6 + c * 3]!, sampling: body[7 + c * 3]!, table: body[8 + c * 3]! }));
    } else if (marker >= 0xc1 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return fail(`SOF${marker - 0xc0}: not baseline`);
    } else if (marker === 0xc4) {
      const problem = standardHuffman(body);
      if (problem) return fail(problem);
    } else if (marker === 0xdd) {
      if (body.length < 2) return fail('short DRI');
      restartInterval = body.readUInt16BE(0);
    } else if (marker === 0xda) {
      if (!components) return fail('a scan before SOF0');
      const count = body[0];
      if (count !== 3 || body.length < 1 + count * 2 + 3) return fail('not one interleaved scan of 3 components');
      for (let c = 0; c < 3; c++) {
        const selector = body[2 + c * 2]!;
        if (selector !== (c === 0 ? 0x00 : 0x11)) return fail('the scan does not use the standard luma and chroma Huffman tables');
      }
      return withScan(jpeg, end, components, width, height, restartInterval, tables);
    }
    at = end;
  }
}

function withScan(
  jpeg: Buffer,
  scanStart: number,
  components: Component[],
  width: number,
  height: number,
  restartInterval: number,
  tables: Map<number, Buffer>,
): RtpJpegResult {
  const fail = (reason: string): RtpJpegResult => ({ ok: false, reason });
  const [y, cb, cr] = components as [Component, Component, Component];
  let type: number;
  if (y.sampling === 0x21) type = 0;
  else if (y.sampling === 0x22) type = 1;
  else return fail(`luma sampled 0x${y.sampling.toString(16)} (RTP/JPEG carries 4:2:2 and 4:2:0)`);
  if (cb.sampling !== 0x11 || cr.sampling !== 0x11) return fail('chroma not sampled 1x1');
  if (cb.table !== cr.table) return fail('the two chroma components use different quantization tables');
  const luma = tables.get(y.table);
  const chroma = tables.get(cb.table);
  if (!luma || !chroma) return fail('a quantization table the frame uses is missing');
  const width8 = Math.ceil(width / 8);
  const height8 = Math.ceil(height / 8);
  if (width8 < 1 || height8 < 1 || width8 > 255 || height8 > 255) return fail(`${width}x${height} (RTP/JPEG carries up to 2040x2040)`);
  // The scan ends at EOI; anything after it (padding some encoders add) is not sent.
  let end = jpeg.length;
  for (let i = jpeg.length - 2; i >= scanStart; i--) {
    if (jpeg[i] === 0xff && jpeg[i + 1] === 0xd9) {
      end = i;
      break;
    }
  }
  if (end <= scanStart) return fail('an empty scan');
  return {
    ok: true,
    jpeg: {
      type: restartInterval > 0 ? type + 64 : type,
      width8,
      height8,
      restartInterval,
      qtables: Buffer.concat([luma, chroma]),
      scan: jpeg.subarray(scanStart, end),
    },
  };
}

/** Why a DHT segment's tables are not Annex K's, or undefined. */
function standardHuffman(body: Buffer): string | undefined {
  for (let i = 0; i < body.length; ) {
    if (i + 17 > body.length) return 'short DHT';
    const tableClass = body[i]! >> 4;
    const id = body[i]! & 0x0f;
    const bits = [...body.subarray(i + 1, i + 17)];
    const count = bits.reduce((a, b) => a + b, 0);
    if (i + 17 + count > body.length) return 'short DHT';
    const values = [...body.subarray(i + 17, i + 17 + count)];
    const standard = ANNEX_K_HUFFMAN.find((t) => t.tableClass === tableClass && t.id === id);
    if (!standard || !sameNumbers(standard.bits, bits) || !sameNumbers(standard.values, values)) {
      return 'Huffman tables other than the standard ones (RTP/JPEG receivers assume JPEG Annex K)';
    }
    i += 17 + count;
  }
  return undefined;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The payloads of one frame: each with its main header (and restart header), the first also with
 * the quantization tables, then a slice of the scan. `maxPayload`: bytes of one RTP payload at most.
 */
export function jpegPayloads(frame: RtpJpeg, maxPayload: number): RtpPayload[] {
  const restart = frame.type >= 64;
  const fixed = MAIN_HEADER_BYTES + (restart ? RESTART_HEADER_BYTES : 0);
  const first = fixed + QTABLE_HEADER_BYTES + frame.qtables.length;
  if (maxPayload <= first) throw new RangeError(`maxPayload ${maxPayload} leaves no room for the scan`);
  if (frame.scan.length > 0xffffff) throw new RangeError('a scan over 16 MB does not fit the 24-bit fragment offset');
  const out: RtpPayload[] = [];
  for (let offset = 0; offset < frame.scan.length; ) {
    const headerBytes = offset === 0 ? first : fixed;
    const take = Math.min(maxPayload - headerBytes, frame.scan.length - offset);
    const header = Buffer.allocUnsafe(headerBytes);
    header[0] = 0;
    header.writeUIntBE(offset, 1, 3);
    header[4] = frame.type;
    header[5] = Q_INBAND;
    header[6] = frame.width8;
    header[7] = frame.height8;
    let at = MAIN_HEADER_BYTES;
    if (restart) {
      header.writeUInt16BE(frame.restartInterval, at);
      // F = 1, L = 1, restart count 0x3FFF: packets need not start on a restart interval.
      header.writeUInt16BE(0xffff, at + 2);
      at += RESTART_HEADER_BYTES;
    }
    if (offset === 0) {
      header[at] = 0;
      header[at + 1] = 0; // every table 8-bit
      header.writeUInt16BE(frame.qtables.length, at + 2);
      frame.qtables.copy(header, at + QTABLE_HEADER_BYTES);
    }
    const end = offset + take;
    out.push(payloadOf([header, frame.scan.subarray(offset, end)], end === frame.scan.length));
    offset = end;
  }
  return out;
}
