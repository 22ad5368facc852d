// Cuts a byte stream of concatenated JPEGs (rpicam-vid --codec mjpeg on stdout) into whole frames.
//
// Marker-aware rather than a search for FFD8/FFD9: after SOI the marker segments are walked by their
// lengths, so an APP1/EXIF segment holding a thumbnail (with its own SOI..EOI) is skipped whole;
// entropy-coded data is scanned for 0xFF with Buffer.indexOf, honouring FF00 stuffing and RST0-7;
// later scans (progressive JPEG) and tables between them are walked the same way; EOI ends the frame.
//
// A frame cut in its scan may be followed by garbage that reads as a marker segment with a long
// length; skipped blindly, that "payload" would swallow the next frames' SOIs, and everything from
// where it ends to a later frame's EOI would come out as one corrupt frame. Two guards keep every SOI
// visible once a frame has had its first scan:
// - segment lengths are bounded by what the standard allows for each marker (SOS 8..14, DRI and DNL
//   4, DQT at most 518, DHT at most 2186, SOFn 11..773); a length outside is `corrupt`;
// - after the first SOS, segment payloads are searched (indexOf) for an SOI followed by a marker
//   (FF D8 FF), also where that straddles the length bytes, the payload's end or chunk boundaries; one
//   is `truncated` and starts the next frame. A camera writes no APPn, COM or DQT after a scan, and no
//   valid DHT holds FF D8 FF, so only garbage or a cut frame trips it. Before the first SOS, APPn and
//   COM payloads are still skipped whole: that is where EXIF thumbnails live.
//
// Pure: no timers, files or logging. Zero-copy: a frame inside one chunk is returned as a subarray of
// that chunk; a frame spanning chunks is joined once, at its EOI. The parser keeps references to the
// chunks of an unfinished frame, so callers must not reuse or modify buffers they have pushed, and
// must treat emitted frames as read-only (they may share memory with the pushed chunk).
//
// Limits: before a frame's first SOS, payloads are skipped by length unseen (they may legally hold
// FFD8), so a frame cut there, inside a payload (e.g. the camera died mid-APP1) or followed by garbage
// that reads as a long segment, cannot be seen as cut: the skip may swallow the next SOI, and the
// parser resynchronises one frame later via `corrupt` (unless the skip lands exactly on a later
// frame's marker). Call reset() when the producer restarts so this never happens at a restart. And an
// FF D9 right after a cut scan (in garbage, or made by the scan's last 0xFF and the next byte) is an
// EOI to any framer: the cut frame comes out.

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
}

// Parser states. Numbers rather than strings: the switch runs once per marker byte.
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
            this.beginFrame(-1); // pos is 0
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
            state = this.truncated(pos - 1);
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
          const lo = chunk[pos]!;
          const length = (this.lengthHi << 8) | lo;
          const outOfBounds = length < MIN_LENGTH[this.marker]! || length > MAX_LENGTH[this.marker]!;
          if (this.lengthHi === 0xff && lo === SOI && (this.sawScan || outOfBounds)) {
            // An SOI where a length was expected. (Before a scan, an APPn may be 0xFFD8 bytes long.)
            state = this.truncated(pos - 1);
            pos++;
          } else if (outOfBounds) {
            state = this.corrupt(); // resynchronise from this byte: it may be the 0xFF of an SOI
          } else {
            pos++;
            this.skipRemaining = length - 2;
            if (this.skipRemaining === 0) state = this.afterSegment();
            else if (!this.sawScan) state = SKIP;
            else state = lo === 0xff ? SCAN_SKIP_FF : SCAN_SKIP; // the length's low byte may start an SOI
          }
          break;
        }
        case SKIP: {
          // Segment payloads before the first scan (EXIF thumbnails included) are jumped over.
          const n = Math.min(this.skipRemaining, end - pos);
          pos += n;
          this.skipRemaining -= n;
          if (this.skipRemaining === 0) state = this.afterSegment();
          break;
        }
        case SCAN_SKIP: {
          // Jump from 0xFF to 0xFF within the payload; each one is checked for D8 FF after it.
          const limit = Math.min(end, pos + this.skipRemaining);
          const ff = chunk.indexOf(0xff, pos);
          if (ff === -1 || ff >= limit) {
            this.skipRemaining -= limit - pos;
            pos = limit;
            if (this.skipRemaining === 0) state = this.afterSegment();
          } else {
            this.skipRemaining -= ff + 1 - pos;
            pos = ff + 1;
            state = SCAN_SKIP_FF;
          }
          break;
        }
        case SCAN_SKIP_FF: {
          if (chunk[pos] === SOI) {
            if (this.skipRemaining === 0) {
              // The payload ended with 0xFF and D8 stands where a marker was expected: an SOI.
              state = this.truncated(pos - 1);
            } else {
              this.skipRemaining--;
              state = SCAN_SKIP_FFD8;
            }
            pos++;
          } else {
            state = this.skipRemaining === 0 ? this.afterSegment() : SCAN_SKIP; // this byte, again
          }
          break;
        }
        case SCAN_SKIP_FFD8: {
          if (chunk[pos] === 0xff) {
            state = this.truncated(pos - 2); // FF D8 FF: an SOI and the first marker of a frame
          } else {
            state = this.skipRemaining === 0 ? this.afterSegment() : SCAN_SKIP; // this byte, again
          }
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
      this.pieces.push(head);
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
