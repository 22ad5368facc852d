// The simulated camera's per-frame stamp: a COM segment right after SOI,
//   "picamd-sim seq=<n> t=<microseconds since the epoch>"
// so a benchmark can tell which frame a viewer received and how long it took to get there.

const PREFIX = 'picamd-sim ';
const STAMP = /^picamd-sim seq=(\d{1,15}) t=(\d{1,17})$/;

export interface SimStamp {
  seq: number;
  tUs: number;
}

/** Wall-clock microseconds since the epoch, from the monotonic clock (no jumps within a process). */
export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** The COM segment (marker, length, text) carrying the stamp. */
export function simStampSegment(seq: number, tUs: number): Buffer {
  const text = `${PREFIX}seq=${seq} t=${tUs}`;
  const segment = Buffer.allocUnsafe(4 + text.length);
  segment[0] = 0xff;
  segment[1] = 0xfe;
  segment.writeUInt16BE(text.length + 2, 2);
  segment.write(text, 4, 'latin1');
  return segment;
}

/**
 * The stamp of a JPEG written by the simulated camera, or undefined for any other JPEG. Looks at the
 * header segments only (up to SOS), so it costs a few reads per frame.
 */
export function readSimStamp(jpeg: Buffer): SimStamp | undefined {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return undefined;
  let pos = 2;
  while (pos + 4 <= jpeg.length) {
    if (jpeg[pos] !== 0xff) return undefined;
    const marker = jpeg[pos + 1]!;
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan data or end: no stamp
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2; // markers without a length
      continue;
    }
    const length = jpeg.readUInt16BE(pos + 2);
    if (length < 2 || pos + 2 + length > jpeg.length) return undefined;
    if (marker === 0xfe && length - 2 > PREFIX.length) {
      const match = STAMP.exec(jpeg.toString('latin1', pos + 4, pos + 2 + length));
      if (match) return { seq: Number(match[1]), tUs: Number(match[2]) };
    }
    pos += 2 + length;
  }
  return undefined;
}
