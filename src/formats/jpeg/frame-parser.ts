// Cuts the camera's stream of concatenated JPEGs into whole frames by walking marker segments by their
// lengths (not a search for FFD8/FFD9), so neither an EXIF thumbnail nor garbage after a cut frame ends
// or swallows one. Pure. How it reads, its guards and limits: docs/formats.md#jpeg-frames.
import { MAX_SCAN_CHUNK, sharedEntropyScanner, type EntropyScanner } from './entropy-scan.js';

/**
 * Why bytes were thrown away. Every count is of events, not bytes.
 * - `garbage`: a run of bytes between frames that is not part of any frame (one count per run,
 *   however many chunks it spans; a 0xFF at the very end of the data so far is counted only once the
 *   next byte shows it does not start an SOI).
 * - `truncated`: a new SOI appeared inside a frame (in entropy-coded data, where a marker or a
 *   segment length was expected, or as FF D8 FF in a segment after the frame's first scan); the
 *   unfinished frame is dropped and the new one starts at that SOI.
 * - `oversize`: the frame grew beyond `maxFrameBytes`; its remaining bytes are walked but not kept,
 *   and parsing carries on with the next frame.
 * - `corrupt`: bad segment structure (a non-marker byte where a marker was expected, a reserved or
 *   0x00 marker code, a segment length below 2 or outside what the standard allows for its marker,
 *   or EOI before any SOS); the parser resynchronises on the next SOI, and the bytes up to it count
 *   as part of this drop, not as garbage.
 * - `reset`: `reset()` was called while a frame was unfinished.
 */
export type DropReason = 'garbage' | 'truncated' | 'oversize' | 'corrupt' | 'reset';

export interface FrameParserOptions {
  /** Frames longer than this (SOI to EOI inclusive) are dropped and never buffered whole. */
  maxFrameBytes: number;
  /**
   * Where the bytes of a frame that spans chunks are kept until its EOI. By default (JoinedFrames)
   * the chunks themselves, joined at the end; a FramePool copies them into reused frame buffers, so
   * a caller may reuse or drop each chunk as soon as push() returns.
   */
  assembler?: FrameAssembler;
  /**
   * Walks entropy-coded data (the hot loop) in WebAssembly SIMD; by default the process's shared
   * scanner, null for Buffer.indexOf alone (what is used anyway where WebAssembly SIMD is missing).
   */
  scanner?: EntropyScanner | null;
}

/**
 * Keeps the pieces of one frame until it ends. The parser calls append() with the part of each
 * chunk that belongs to an unfinished frame (never more than maxFrameBytes in all), finish() with
 * the frame's last piece, and discard() when the frame is dropped.
 */
export interface FrameAssembler {
  append(piece: Buffer): void;
  /** The whole frame: what was appended since the last finish() or discard(), then `tail` (`length` bytes in all). */
  finish(tail: Buffer, length: number): Buffer;
  discard(): void;
  /** push() starts: the frames returned by the last push() have been handed on (or dropped) by the caller. */
  nextPush?(): void;
  /** True when append() and finish() copy the bytes they are given and keep no reference to them. */
  readonly copies?: boolean;
}

/** The default assembler: keeps references to the chunks and joins them once; a frame within one chunk is a view into it. */
export class JoinedFrames implements FrameAssembler {
  private pieces: Buffer[] = [];

  append(piece: Buffer): void {
    this.pieces.push(piece);
  }

  finish(tail: Buffer, length: number): Buffer {
    if (this.pieces.length === 0) return tail;
    this.pieces.push(tail);
    const frame = Buffer.concat(this.pieces, length);
    this.pieces = [];
    return frame;
  }

  discard(): void {
    if (this.pieces.length > 0) this.pieces = [];
  }
}

// Parser states, one method each (see step()). Numbers rather than strings: the switch runs once per marker byte.
const SEEK = 0; // outside a frame, looking for SOI
const SEEK_FF = 1; // outside a frame, the previous chunk ended with 0xFF
const MARKER = 2; // inside a frame, expecting 0xFF (start of the next marker)
const MARKER_FF = 3; // after 0xFF, expecting a marker code (0xFF here is a fill byte)
const LENGTH_HI = 4; // first byte of a segment length
const LENGTH_LO = 5; // second byte of a segment length
const SKIP = 6; // inside a segment payload before the first SOS: jumped over, never looked into
const ENTROPY = 7; // entropy-coded data after SOS
const ENTROPY_FF = 8; // entropy-coded data, after 0xFF
// Segment payloads after the first SOS, searched for FF D8 FF. skipRemaining counts the payload bytes
// still ahead; in the two partial-match states it may be 0 (the match runs past the payload's end).
const SCAN_SKIP = 9; // inside the payload
const SCAN_SKIP_FF = 10; // the byte before was 0xFF
const SCAN_SKIP_FFD8 = 11; // the two bytes before were FF D8

type State = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11;

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;
const RST0 = 0xd0;
const RST7 = 0xd7;

// Segment length bounds (the length field counts itself) from ITU T.81 B.2-B.5, by marker code;
// 2..65535 where the standard sets no tighter bound (APPn, COM, DAC, ...).
const MIN_LENGTH = new Uint16Array(256).fill(2);
const MAX_LENGTH = new Uint16Array(256).fill(0xffff);
function bound(codes: number[], min: number, max: number): void {
  for (const code of codes) {
    MIN_LENGTH[code] = min;
    MAX_LENGTH[code] = max;
  }
}
bound([SOS], 6 + 2 * 1, 6 + 2 * 4); // Ns components, 1..4
bound([0xdd, 0xdc], 4, 4); // DRI, DNL
bound([0xdb], 2, 2 + 4 * (1 + 128)); // DQT: up to 4 tables of 16-bit values
bound([0xc4], 2, 2 + 8 * (17 + 256)); // DHT: up to 8 tables of 16 counts and 256 symbols
// SOF0-3, 5-7, 9-11, 13-15: Nf components, 1..255.
bound([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf], 8 + 3 * 1, 8 + 3 * 255);

/** Placeholder for the per-push output list between pushes (never written to). */
const NO_FRAMES: Buffer[] = [];

/** The 0xFF of an SOI whose 0xD8 arrived in the next chunk. */
const FF_BYTE: Buffer = Buffer.from([0xff]);
/** An SOI that arrived in earlier chunks, seen as one once the marker after it arrived. */
const SOI_BYTES: Buffer = Buffer.from([0xff, SOI]);

/**
 * With the default assembler, zero-copy: a frame may be a subarray of a pushed chunk, and the chunks
 * of an unfinished frame are kept, so callers must not modify buffers they push and must treat
 * frames as read-only. With a FramePool, nothing of a chunk is kept after push() returns.
 */
export class FrameParser {
  private readonly maxFrameBytes: number;
  private state: State = SEEK;
  /** Marker code of the segment whose length/payload is being read. */
  private marker = 0;
  private lengthHi = 0;
  private skipRemaining = 0;
  /**
   * Whether the current frame has had an SOS (a frame without image data is corrupt). From then on
   * segment payloads are searched for an SOI.
   */
  private sawScan = false;
  /** The current frame went over maxFrameBytes: walk it to its end, keep nothing. */
  private discarding = false;
  /** Keeps the pieces of the unfinished frame from earlier chunks. */
  private readonly assembler: FrameAssembler;
  private pendingBytes = 0;
  /** Inside a garbage run that has already been counted (or belongs to a counted drop). */
  private inGarbage = false;
  private frameCount = 0;
  private readonly dropCounts: Record<DropReason, number> = {
    garbage: 0,
    truncated: 0,
    oversize: 0,
    corrupt: 0,
    reset: 0,
  };
  // Per-push scratch: where the current frame starts in the chunk being parsed, and the output.
  private start = 0;
  private out: Buffer[] = NO_FRAMES;
  private readonly scanner: EntropyScanner | undefined;

  constructor(options: FrameParserOptions) {
    if (!(options.maxFrameBytes >= 4)) throw new RangeError('maxFrameBytes must be at least 4');
    this.maxFrameBytes = options.maxFrameBytes;
    this.assembler = options.assembler ?? new JoinedFrames();
    this.scanner = options.scanner === undefined ? sharedEntropyScanner() : (options.scanner ?? undefined);
  }

  /** Whether push() keeps no reference to its chunk (the assembler copies), so the chunk's memory may be reused. */
  get copiesChunks(): boolean {
    return this.assembler.copies === true;
  }

  /** Counts of dropped data by reason, since construction (reset() does not clear them). */

  get drops(): Readonly<Record<DropReason, number>> {
    return this.dropCounts;
  }

  /** Frames emitted since construction. */
  get frames(): number {
    return this.frameCount;
  }

  /** Bytes held for the unfinished frame (0 between frames and while discarding an oversize one). */
  get pending(): number {
    return this.pendingBytes;
  }

  /** Forgets any unfinished frame, e.g. when the camera process restarts mid-frame. */
  reset(): void {
    if (this.inFrame() && !this.discarding) this.dropCounts.reset++;
    this.clearFrame();
    this.state = SEEK;
    this.inGarbage = false;
  }

  /** Feeds the next chunk; returns the frames it completes, in stream order. */
  push(chunk: Buffer): Buffer[] {
    this.assembler.nextPush?.();
    const out: Buffer[] = [];
    this.out = out;
    this.start = 0;
    let pos = 0;
    try {
      while (pos < chunk.length) pos = this.step(chunk, pos);
    } finally {
      // The caller may reuse the chunk once push() returns: the scanner's copy of it is stale then.
      this.scanner?.forget();
    }
    this.holdUnfinished(chunk);
    this.out = NO_FRAMES;
    return out;
  }

  /** Runs the current state on `chunk` from `pos`; returns where the next step starts. */
  private step(chunk: Buffer, pos: number): number {
    switch (this.state) {
      case SEEK:
        return this.seekSoi(chunk, pos);
      case SEEK_FF:
        return this.seekSoiAfterFF(chunk, pos);
      case MARKER:
        return this.expectMarker(chunk, pos);
      case MARKER_FF:
        return this.markerCode(chunk, pos);
      case LENGTH_HI:
        return this.lengthHigh(chunk, pos);
      case LENGTH_LO:
        return this.lengthLow(chunk, pos);
      case SKIP:
        return this.skipPayload(chunk, pos);
      case SCAN_SKIP:
        return this.searchPayload(chunk, pos);
      case SCAN_SKIP_FF:
        return this.searchPayloadAfterFF(chunk, pos);
      case SCAN_SKIP_FFD8:
        return this.searchPayloadAfterFFD8(chunk, pos);
      case ENTROPY:
        return this.entropy(chunk, pos);
      case ENTROPY_FF:
        return this.entropyAfterFF(chunk, pos);
    }
  }

  // Between frames.

  /** Looks for the next SOI; the bytes before it are garbage. */
  private seekSoi(chunk: Buffer, pos: number): number {
    const end = chunk.length;
    // Most frames follow the last one at once: no search (Buffer.indexOf costs a native call).
    const ff = chunk[pos] === 0xff ? pos : chunk.indexOf(0xff, pos);
    if (ff === -1) {
      this.garbage();
      return end;
    }
    if (ff > pos) this.garbage();
    if (ff + 1 === end) {
      this.state = SEEK_FF;
      return end;
    }
    if (chunk[ff + 1] === SOI) {
      this.beginFrame(ff);
      this.state = MARKER;
      return ff + 2;
    }
    // A stray 0xFF; the byte after it may be the 0xFF of an SOI, so look again from there.
    this.garbage();
    return ff + 1;
  }

  /** The previous chunk ended with 0xFF: an SOI if this one starts with D8 (pos is 0). */
  private seekSoiAfterFF(chunk: Buffer, pos: number): number {
    if (chunk[pos] === SOI) {
      this.beginFrame(-1);
      this.state = MARKER;
      return pos + 1;
    }
    this.garbage();
    this.state = SEEK;
    return pos;
  }

  // Markers.

  /** Between segments the next byte must be the 0xFF of a marker. */
  private expectMarker(chunk: Buffer, pos: number): number {
    if (chunk[pos] === 0xff) {
      this.state = MARKER_FF;
      return pos + 1;
    }
    this.state = this.corrupt();
    return pos;
  }

  /** After 0xFF: the marker code says what follows. */
  private markerCode(chunk: Buffer, pos: number): number {
    const code = chunk[pos]!;
    if (code === 0xff) return pos + 1; // fill byte
    if (code === SOI) {
      this.state = this.truncated(pos - 1);
      return pos + 1;
    }
    if (code === EOI) {
      this.state = this.endFrame(chunk, pos + 1);
      return pos + 1;
    }
    if (code === TEM || (code >= RST0 && code <= RST7)) {
      this.state = MARKER; // standalone marker, no length
      return pos + 1;
    }
    if (code < 0xc0) {
      this.state = this.corrupt(); // 0x00 or a reserved code
      return pos;
    }
    this.marker = code;
    this.state = LENGTH_HI;
    return pos + 1;
  }

  // Segment lengths.

  private lengthHigh(chunk: Buffer, pos: number): number {
    this.lengthHi = chunk[pos]!;
    this.state = LENGTH_LO;
    return pos + 1;
  }

  /** The length is checked against its marker's bounds; then the payload is skipped or searched. */
  private lengthLow(chunk: Buffer, pos: number): number {
    const lo = chunk[pos]!;
    const length = (this.lengthHi << 8) | lo;
    const outOfBounds = length < MIN_LENGTH[this.marker]! || length > MAX_LENGTH[this.marker]!;
    if (this.lengthHi === 0xff && lo === SOI && (this.sawScan || outOfBounds)) {
      // An SOI where a length was expected. (Before a scan, an APPn may be 0xFFD8 bytes long.)
      this.state = this.truncated(pos - 1);
      return pos + 1;
    }
    if (outOfBounds) {
      this.state = this.corrupt(); // resynchronise from this byte: it may be the 0xFF of an SOI
      return pos;
    }
    this.skipRemaining = length - 2;
    if (this.skipRemaining === 0) this.state = this.afterSegment();
    else if (!this.sawScan) this.state = SKIP;
    else this.state = lo === 0xff ? SCAN_SKIP_FF : SCAN_SKIP; // the length's low byte may start an SOI
    return pos + 1;
  }

  // Segment payloads.

  /** Before the first scan (EXIF thumbnails included) a payload is jumped over. */
  private skipPayload(chunk: Buffer, pos: number): number {
    const n = Math.min(this.skipRemaining, chunk.length - pos);
    this.skipRemaining -= n;
    if (this.skipRemaining === 0) this.state = this.afterSegment();
    return pos + n;
  }

  /** After the first scan: jump from 0xFF to 0xFF within the payload; each one is checked for D8 FF after it. */
  private searchPayload(chunk: Buffer, pos: number): number {
    const limit = Math.min(chunk.length, pos + this.skipRemaining);
    const ff = chunk.indexOf(0xff, pos);
    if (ff === -1 || ff >= limit) {
      this.skipRemaining -= limit - pos;
      if (this.skipRemaining === 0) this.state = this.afterSegment();
      return limit;
    }
    this.skipRemaining -= ff + 1 - pos;
    this.state = SCAN_SKIP_FF;
    return ff + 1;
  }

  private searchPayloadAfterFF(chunk: Buffer, pos: number): number {
    if (chunk[pos] !== SOI) {
      this.state = this.skipRemaining === 0 ? this.afterSegment() : SCAN_SKIP; // this byte, again
      return pos;
    }
    if (this.skipRemaining === 0) {
      // The payload ended with 0xFF and D8 stands where a marker was expected: an SOI.
      this.state = this.truncated(pos - 1);
    } else {
      this.skipRemaining--;
      this.state = SCAN_SKIP_FFD8;
    }
    return pos + 1;
  }

  private searchPayloadAfterFFD8(chunk: Buffer, pos: number): number {
    if (chunk[pos] === 0xff) {
      this.state = this.truncated(pos - 2); // FF D8 FF: an SOI and the first marker of a frame
    } else {
      this.state = this.skipRemaining === 0 ? this.afterSegment() : SCAN_SKIP; // this byte, again
    }
    return pos;
  }

  // Entropy-coded data.

  /** The hot loop: jump from 0xFF to 0xFF, stepping over FF00 and RSTn without leaving it. */
  private entropy(chunk: Buffer, pos: number): number {
    const end = chunk.length;
    if (this.scanner && end <= MAX_SCAN_CHUNK) {
      const stop = this.scanner.scan(chunk, pos);
      if (stop === -1) return end;
      this.state = ENTROPY_FF;
      return stop + 1;
    }
    let ff = chunk.indexOf(0xff, pos);
    while (ff !== -1 && ff + 1 < end) {
      const code = chunk[ff + 1]!;
      if (code !== 0x00 && (code < RST0 || code > RST7)) break;
      ff = chunk.indexOf(0xff, ff + 2);
    }
    if (ff === -1) return end;
    this.state = ENTROPY_FF;
    return ff + 1;
  }

  private entropyAfterFF(chunk: Buffer, pos: number): number {
    const code = chunk[pos]!;
    if (code === 0x00 || (code >= RST0 && code <= RST7)) {
      this.state = ENTROPY; // stuffed 0xFF, or a restart marker inside the scan
      return pos + 1;
    }
    if (code === 0xff) return pos + 1; // fill byte
    this.state = MARKER_FF; // the scan has ended: handle this code as a marker, without consuming it
    return pos;
  }

  // Frames.

  /** Keeps the rest of a chunk that ends inside a frame, until the frame grows past maxFrameBytes. */
  private holdUnfinished(chunk: Buffer): void {
    if (!this.inFrame() || this.discarding || this.start >= chunk.length) return;
    const piece = chunk.subarray(this.start);
    if (this.pendingBytes + piece.length > this.maxFrameBytes) {
      this.dropCounts.oversize++;
      this.clearFrame();
      this.discarding = true;
      return;
    }
    this.assembler.append(piece);
    this.pendingBytes += piece.length;
  }

  private inFrame(): boolean {
    return this.state !== SEEK && this.state !== SEEK_FF;
  }

  private garbage(): void {
    if (!this.inGarbage) {
      this.inGarbage = true;
      this.dropCounts.garbage++;
    }
  }

  private clearFrame(): void {
    this.assembler.discard();
    this.pendingBytes = 0;
    this.discarding = false;
    this.sawScan = false;
  }

  /**
   * Starts a frame whose SOI 0xFF is at `ffPos` in this chunk; -1: the 0xFF ended the previous chunk
   * and D8 is at 0; -2: both SOI bytes came in earlier chunks.
   */
  private beginFrame(ffPos: number): void {
    this.clearFrame();
    this.inGarbage = false;
    if (ffPos >= 0) {
      this.start = ffPos;
    } else {
      const head = ffPos === -1 ? FF_BYTE : SOI_BYTES;
      this.start = 0;
      this.assembler.append(head);
      this.pendingBytes = head.length;
    }
  }

  /** An SOI whose 0xFF is at `ffPos` (as for beginFrame) inside a frame: drop it, start anew there. */
  private truncated(ffPos: number): State {
    if (!this.discarding) this.dropCounts.truncated++;
    this.beginFrame(ffPos);
    return MARKER;
  }

  /** Drops the frame and resynchronises on the next SOI; the bytes until then belong to this drop. */
  private corrupt(): State {
    if (!this.discarding) this.dropCounts.corrupt++;
    this.clearFrame();
    this.inGarbage = true;
    return SEEK;
  }

  private afterSegment(): State {
    if (this.marker === SOS) {
      this.sawScan = true;
      return ENTROPY;
    }
    return MARKER;
  }

  /** EOI ends the frame at `endPos` (exclusive) in `chunk`. */
  private endFrame(chunk: Buffer, endPos: number): State {
    if (this.discarding) {
      // Already counted as oversize.
    } else if (!this.sawScan) {
      this.dropCounts.corrupt++;
    } else {
      const length = this.pendingBytes + (endPos - this.start);
      if (length > this.maxFrameBytes) {
        this.dropCounts.oversize++;
      } else {
        this.out.push(this.assembler.finish(chunk.subarray(this.start, endPos), length));
        this.frameCount++;
      }
    }
    this.clearFrame();
    this.inGarbage = false;
    return SEEK;
  }
}
