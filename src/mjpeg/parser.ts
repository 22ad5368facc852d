// Cuts a byte stream of concatenated JPEGs (rpicam-vid --codec mjpeg on stdout) into whole frames.
//
// Marker-aware rather than a search for FFD8/FFD9: after SOI the marker segments are walked by their
// lengths, so an APP1/EXIF segment holding a thumbnail (with its own SOI..EOI) is skipped whole;
// entropy-coded data is scanned for 0xFF with Buffer.indexOf, honouring FF00 stuffing and RST0-7;
// later scans (progressive JPEG) and tables between them are walked the same way; EOI ends the frame.
//
// Pure: no timers, files or logging. Zero-copy: a frame inside one chunk is returned as a subarray of
// that chunk; a frame spanning chunks is joined once, at its EOI. The parser keeps references to the
// chunks of an unfinished frame, so callers must not reuse or modify buffers they have pushed, and
// must treat emitted frames as read-only (they may share memory with the pushed chunk).
//
// Limit: a frame cut inside a segment payload (e.g. the camera died mid-APP1) cannot be seen as cut,
// because payloads are skipped by length (they may legally hold FFD8); the skip may swallow the next
// SOI, and the parser resynchronises one frame later via `corrupt`. Call reset() when the producer
// restarts so this never happens at a restart.

/**
 * Why bytes were thrown away. Every count is of events, not bytes.
 * - `garbage`: a run of bytes between frames that is not part of any frame (one count per run,
 *   however many chunks it spans; a 0xFF at the very end of the data so far is counted only once the
 *   next byte shows it does not start an SOI).
 * - `truncated`: a new SOI appeared inside a frame (in entropy-coded data, or where a marker was
 *   expected); the unfinished frame is dropped and the new one starts at that SOI.
 * - `oversize`: the frame grew beyond `maxFrameBytes`; its remaining bytes are walked but not kept,
 *   and parsing carries on with the next frame.
 * - `corrupt`: bad segment structure (a non-marker byte where a marker was expected, a reserved or
 *   0x00 marker code, a segment length below 2, or EOI before any SOS); the parser resynchronises on
 *   the next SOI, and the bytes up to it count as part of this drop, not as garbage.
 * - `reset`: `reset()` was called while a frame was unfinished.
 */
export type DropReason = 'garbage' | 'truncated' | 'oversize' | 'corrupt' | 'reset';

export interface FrameParserOptions {
  /** Frames longer than this (SOI to EOI inclusive) are dropped and never buffered whole. */
  maxFrameBytes: number;
}

// Parser states. Numbers rather than strings: the switch runs once per marker byte.
const SEEK = 0; // outside a frame, looking for SOI
const SEEK_FF = 1; // outside a frame, the previous chunk ended with 0xFF
const MARKER = 2; // inside a frame, expecting 0xFF (start of the next marker)
const MARKER_FF = 3; // after 0xFF, expecting a marker code (0xFF here is a fill byte)
const LENGTH_HI = 4; // first byte of a segment length
const LENGTH_LO = 5; // second byte of a segment length
const SKIP = 6; // inside a segment payload
const ENTROPY = 7; // entropy-coded data after SOS
const ENTROPY_FF = 8; // entropy-coded data, after 0xFF

type State = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;
const RST0 = 0xd0;
const RST7 = 0xd7;

/** Placeholder for the per-push output list between pushes (never written to). */
const NO_FRAMES: Buffer[] = [];

/** The 0xFF of an SOI whose 0xD8 arrived in the next chunk. */
const FF_BYTE: Buffer = Buffer.from([0xff]);

export class FrameParser {
  private readonly maxFrameBytes: number;
  private state: State = SEEK;
  /** Marker code of the segment whose length/payload is being read. */
  private marker = 0;
  private lengthHi = 0;
  private skipRemaining = 0;
  /** Whether the current frame has had an SOS (a frame without image data is corrupt). */
  private sawScan = false;
  /** The current frame went over maxFrameBytes: walk it to its end, keep nothing. */
  private discarding = false;
  /** Pieces of the unfinished frame from earlier chunks, joined once at EOI. */
  private pieces: Buffer[] = [];
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

  constructor(options: FrameParserOptions) {
    if (!(options.maxFrameBytes >= 4)) throw new RangeError('maxFrameBytes must be at least 4');
    this.maxFrameBytes = options.maxFrameBytes;
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
    const out: Buffer[] = [];
    this.out = out;
    this.start = 0;
    const end = chunk.length;
    let pos = 0;
    let state = this.state;

    while (pos < end) {
      switch (state) {
        case SEEK: {
          const ff = chunk.indexOf(0xff, pos);
          if (ff === -1) {
            this.garbage();
            pos = end;
          } else {
            if (ff > pos) this.garbage();
            if (ff + 1 === end) {
              state = SEEK_FF;
              pos = end;
            } else if (chunk[ff + 1] === SOI) {
              this.beginFrame(ff);
              pos = ff + 2;
              state = MARKER;
            } else {
              // A stray 0xFF; the byte after it may be the 0xFF of an SOI, so look again from there.
              this.garbage();
              pos = ff + 1;
            }
          }
          break;
        }
        case SEEK_FF: {
          if (chunk[pos] === SOI) {
            this.beginFrame(-1);
            pos++;
            state = MARKER;
          } else {
            this.garbage();
            state = SEEK;
          }
          break;
        }
        case MARKER: {
          if (chunk[pos] === 0xff) {
            pos++;
            state = MARKER_FF;
          } else {
            state = this.corrupt();
          }
          break;
        }
        case MARKER_FF: {
          const code = chunk[pos]!;
          if (code === 0xff) {
            pos++; // fill byte
          } else if (code === SOI) {
            state = this.truncated(pos);
            pos++;
          } else if (code === EOI) {
            pos++;
            state = this.endFrame(chunk, pos);
          } else if (code === TEM || (code >= RST0 && code <= RST7)) {
            pos++; // standalone marker, no length
            state = MARKER;
          } else if (code < 0xc0) {
            state = this.corrupt(); // 0x00 or a reserved code
          } else {
            this.marker = code;
            pos++;
            state = LENGTH_HI;
          }
          break;
        }
        case LENGTH_HI: {
          this.lengthHi = chunk[pos++]!;
          state = LENGTH_LO;
          break;
        }
        case LENGTH_LO: {
          const length = (this.lengthHi << 8) | chunk[pos++]!;
          if (length < 2) {
            state = this.corrupt();
          } else {
            this.skipRemaining = length - 2;
            state = this.skipRemaining === 0 ? this.afterSegment() : SKIP;
          }
          break;
        }
        case SKIP: {
          // Segment payloads (EXIF thumbnails included) are jumped over, never scanned.
          const n = Math.min(this.skipRemaining, end - pos);
          pos += n;
          this.skipRemaining -= n;
          if (this.skipRemaining === 0) state = this.afterSegment();
          break;
        }
        case ENTROPY: {
          // Hot loop: jump from 0xFF to 0xFF, stepping over FF00 and RSTn without leaving this case.
          let ff = chunk.indexOf(0xff, pos);
          while (ff !== -1 && ff + 1 < end) {
            const code = chunk[ff + 1]!;
            if (code !== 0x00 && (code < RST0 || code > RST7)) break;
            ff = chunk.indexOf(0xff, ff + 2);
          }
          if (ff === -1) {
            pos = end;
          } else {
            pos = ff + 1;
            state = ENTROPY_FF;
          }
          break;
        }
        case ENTROPY_FF: {
          const code = chunk[pos]!;
          if (code === 0x00 || (code >= RST0 && code <= RST7)) {
            pos++; // stuffed 0xFF, or a restart marker inside the scan
            state = ENTROPY;
          } else if (code === 0xff) {
            pos++; // fill byte
          } else {
            state = MARKER_FF; // the scan has ended: handle this code as a marker, without consuming it
          }
          break;
        }
      }
    }

    this.state = state;
    if (state !== SEEK && state !== SEEK_FF && !this.discarding && this.start < end) {
      const piece = chunk.subarray(this.start, end);
      this.pieces.push(piece);
      this.pendingBytes += piece.length;
      if (this.pendingBytes > this.maxFrameBytes) {
        this.dropCounts.oversize++;
        this.clearFrame();
        this.discarding = true;
      }
    }
    this.out = NO_FRAMES;
    return out;
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
    if (this.pieces.length > 0) this.pieces = [];
    this.pendingBytes = 0;
    this.discarding = false;
    this.sawScan = false;
  }

  /** Starts a frame whose SOI 0xFF is at `ffPos` in this chunk, or (-1) ended the previous chunk. */
  private beginFrame(ffPos: number): void {
    this.clearFrame();
    this.inGarbage = false;
    if (ffPos >= 0) {
      this.start = ffPos;
    } else {
      this.start = 0;
      this.pieces.push(FF_BYTE);
      this.pendingBytes = 1;
    }
  }

  /** An SOI at `pos` inside a frame: drop the frame, start a new one at that SOI. */
  private truncated(pos: number): State {
    if (!this.discarding) this.dropCounts.truncated++;
    this.beginFrame(pos - 1);
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
      } else if (this.pieces.length === 0) {
        this.out.push(chunk.subarray(this.start, endPos));
        this.frameCount++;
      } else {
        this.pieces.push(chunk.subarray(0, endPos));
        this.out.push(Buffer.concat(this.pieces, length));
        this.frameCount++;
      }
    }
    this.clearFrame();
    this.inGarbage = false;
    return SEEK;
  }
}
