// The multipart/x-mixed-replace wire format, built once per frame and shared by every viewer.

export const BOUNDARY = 'picamd-frame-boundary';

export const STREAM_CONTENT_TYPE = `multipart/x-mixed-replace;boundary=${BOUNDARY}`;

/** Written once when a viewer connects: the delimiter that opens the first part. */
export const STREAM_PREAMBLE = Buffer.from(`--${BOUNDARY}\r\n`);

const CLOSING_DELIMITER = Buffer.from(`\r\n--${BOUNDARY}\r\n`);

function partHeader(jpegBytes: number): string {
  return `Content-Type: image/jpeg\r\nContent-Length: ${jpegBytes}\r\n\r\n`;
}

/** Free bytes a JPEG needs before it for buildPartInPlace: its part headers, with any length up to 2^53. */
export const PART_HEADROOM = Buffer.byteLength(partHeader(Number.MAX_SAFE_INTEGER), 'latin1');

/** Free bytes a JPEG needs after it for buildPartInPlace: the closing delimiter. */
export const PART_TAILROOM = CLOSING_DELIMITER.length;

/** One frame as it goes on the wire, and the JPEG inside it. */
export interface Part {
  /** Part headers, JPEG and the delimiter that closes the part, in one buffer. */
  readonly wire: Buffer;
  /** The JPEG, a view into `wire`. */
  readonly jpeg: Buffer;
  /** Frame sequence number; placeholders count too. */
  readonly seq: number;
  /** When the frame was published (ms, monotonic). */
  readonly at: number;
  readonly live: boolean;
}

/**
 * Lays out one part: headers, JPEG, and the delimiter that closes it. The closing delimiter goes out
 * with its frame rather than ahead of the next one because browsers only show a part once they see
 * the boundary after it; sending the boundary late shows every frame one frame late (the Chromium
 * behaviour µStreamer's "advance headers" option exists for).
 *
 * The JPEG is copied once here, per frame, whatever the number of viewers: each viewer then needs a
 * single write per frame instead of three (headers, JPEG, delimiter), which saves two syscalls and
 * a small TCP segment per viewer per frame.
 */
export function buildPart(jpeg: Buffer, seq: number, at: number, live: boolean): Part {
  const header = partHeader(jpeg.length);
  const headerBytes = Buffer.byteLength(header, 'latin1');
  const wire = Buffer.allocUnsafe(headerBytes + jpeg.length + CLOSING_DELIMITER.length);
  wire.write(header, 0, 'latin1');
  jpeg.copy(wire, headerBytes);
  CLOSING_DELIMITER.copy(wire, headerBytes + jpeg.length);
  return { wire, jpeg: wire.subarray(headerBytes, headerBytes + jpeg.length), seq, at, live };
}

/**
 * The same part, laid out around the JPEG where it lies: the headers are written into the free
 * bytes just before it and the closing delimiter just after it, in the JPEG's own buffer, so the
 * JPEG is not copied. The caller owns those bytes (a FramePool frame: PART_HEADROOM before,
 * PART_TAILROOM after); a JPEG without them is refused.
 */
export function buildPartInPlace(jpeg: Buffer, seq: number, at: number, live: boolean): Part {
  const header = partHeader(jpeg.length);
  const headerBytes = Buffer.byteLength(header, 'latin1');
  const start = jpeg.byteOffset - headerBytes;
  const end = jpeg.byteOffset + jpeg.length + CLOSING_DELIMITER.length;
  if (start < 0 || end > jpeg.buffer.byteLength) throw new RangeError('buildPartInPlace: no room for the part headers around the JPEG');
  const wire = Buffer.from(jpeg.buffer, start, end - start);
  wire.write(header, 0, 'latin1');
  CLOSING_DELIMITER.copy(wire, headerBytes + jpeg.length);
  return { wire, jpeg, seq, at, live };
}
