// Cuts an H.264 Annex-B byte stream (rpicam-vid --codec h264 --inline) into access units, one picture
// each, from chunks of any size: with no lengths in Annex-B and no AUDs from rpicam-vid, a unit ends
// where the next one's first NAL header arrives. Pure. How: docs/formats.md#h264-access-units.

import { NalType, type AccessUnit } from './access-unit.js';
import { readStampSei } from './sei.js';

/**
 * Why data was thrown away. Counts are of events, not bytes.
 * - `garbage`: a run of bytes outside any NAL unit holding anything but zero bytes (before the first
 *   start code, after reset(), or after a run of three zeros, which no NAL unit can hold; one count
 *   per run), a NAL unit with forbidden_zero_bit set (a start code that turned up in garbage; it is
 *   skipped alone; see truncated), or an empty NAL unit.
 * - `truncated`: an access unit with a slice NAL unit of fewer than 2 bytes, or whose first slice does
 *   not begin the picture (first_mb_in_slice > 0: its start was lost), or with a NAL unit that had
 *   forbidden_zero_bit set (then counted as garbage too): between slices of one picture, or after
 *   the unit's parameter sets or SEI and before its first slice (the unit ends there).
 * - `noslice`: an access unit without any slice (parameter sets or SEI whose picture was lost).
 * - `oversize`: an access unit longer than `maxAccessUnitBytes`; its bytes are walked, not kept, and
 *   parsing resumes with the next unit.
 * - `reset`: reset() was called while a unit (or a NAL unit) was unfinished. Without AUDs the last
 *   unit before a camera restart is always unfinished: its end is only known when the next begins.
 */
export type H264DropReason = 'garbage' | 'truncated' | 'noslice' | 'oversize' | 'reset';

export interface AnnexBParserOptions {
  /** Access units with more NAL unit bytes than this are dropped and never buffered whole. */
  maxAccessUnitBytes: number;
}

/** The access unit being gathered. */
interface UnitState {
  nals: Buffer[];
  bytes: number;
  /** NAL units classified into this unit, kept or not. */
  count: number;
  hasSlice: boolean;
  /** Whether the first slice has first_mb_in_slice 0. */
  startsPicture: boolean;
  keyframe: boolean;
  /** A slice NAL unit too short to hold a slice header, or a skipped (forbidden_zero_bit) part. */
  damaged: boolean;
  /** A NAL unit with forbidden_zero_bit followed the slices: a further slice means it was one. */
  afterForbidden: boolean;
  /** Went over maxAccessUnitBytes: counted, nothing more kept. */
  discarding: boolean;
  sps: Buffer | undefined;
  pps: Buffer | undefined;
  stampUs: number | undefined;
  stampSeq: number | undefined;
}

function newUnit(): UnitState {
  return {
    nals: [],
    bytes: 0,
    count: 0,
    hasSlice: false,
    startsPicture: false,
    keyframe: false,
    damaged: false,
    afterForbidden: false,
    discarding: false,
    sps: undefined,
    pps: undefined,
    stampUs: undefined,
    stampSeq: undefined,
  };
}

/** Placeholder for the per-push output list between pushes (never written to). */
const NO_UNITS: AccessUnit[] = [];
const EMPTY: Buffer = Buffer.alloc(0);

/** Slice NAL unit types whose payload starts with a slice header (non-IDR, partition A, IDR). */
function hasSliceHeader(type: number): boolean {
  return type === NalType.slice || type === 2 || type === NalType.idr;
}

/**
 * Zero-copy: a NAL unit may be a subarray of a pushed chunk, and chunks of an unfinished one are kept,
 * so callers must not modify buffers they push and must treat NAL units as read-only.
 */
export class AnnexBParser {
  private readonly maxAccessUnitBytes: number;
  /** Zero bytes at the end of the data pushed so far (they may begin a start code). */
  private zeroRun = 0;
  /** Between a start code and the end of its NAL unit. Outside, bytes other than zeros are garbage. */
  private inNal = false;
  /** Inside a garbage run that has already been counted. */
  private inGarbage = false;
  /** The first two bytes of the current NAL unit, as far as they have arrived. */
  private head0 = 0;
  private head1 = 0;
  private headLen = 0;
  /** The current NAL unit's header has been looked at and its access unit decided. */
  private classified = false;
  /** Whether the current NAL unit's bytes are kept (not when skipped or its unit is discarded). */
  private keep = true;
  /** Pieces of the current NAL unit from earlier chunks, joined when it ends. */
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  /** Bytes of the current NAL unit in earlier chunks, kept or not (trailing zeros included). */
  private nalSeen = 0;
  private unit: UnitState = newUnit();
  private unitCount = 0;
  /** lostSoFar() when the last unit was emitted: a unit emitted after more is marked afterLoss. */
  private lostAtLastUnit = 0;
  private readonly dropCounts: Record<H264DropReason, number> = {
    garbage: 0,
    truncated: 0,
    noslice: 0,
    oversize: 0,
    reset: 0,
  };
  // Per-push scratch: where the current NAL unit's bytes start in the chunk being parsed, the output.
  private segStart = 0;
  private out: AccessUnit[] = NO_UNITS;

  constructor(options: AnnexBParserOptions) {
    if (!(options.maxAccessUnitBytes >= 2)) throw new RangeError('maxAccessUnitBytes must be at least 2');
    this.maxAccessUnitBytes = options.maxAccessUnitBytes;
  }

  /** Counts of dropped data by reason, since construction (reset() does not clear them). */
  get drops(): Readonly<Record<H264DropReason, number>> {
    return this.dropCounts;
  }

  /** Access units emitted since construction. */
  get units(): number {
    return this.unitCount;
  }

  /** Bytes held for the unfinished access unit and NAL unit (trailing zeros of the data included). */
  get pending(): number {
    return this.unit.bytes + this.pieceBytes;
  }

  /** Forgets the unfinished access unit, e.g. when the camera process restarts. */
  reset(): void {
    if (this.unit.count > 0 || this.inNal) {
      if (!this.unit.discarding) this.dropCounts.reset++;
    }
    this.unit = newUnit();
    this.clearNal();
    this.inNal = false;
    this.inGarbage = false;
    this.zeroRun = 0;
  }

  /**
   * Ends the stream (the camera process exited, the file ended): the last NAL unit ends with the data,
   * and the last access unit, whose end no following unit will show, comes out if it is whole. The
   * parser then waits for a start code as after reset().
   */
  flush(): AccessUnit[] {
    const out: AccessUnit[] = [];
    this.out = out;
    if (this.inNal) {
      this.segStart = 0;
      this.endNal(EMPTY, -Math.min(this.zeroRun, this.nalSeen));
    }
    this.finishUnit();
    this.out = NO_UNITS;
    this.clearNal();
    this.inGarbage = false;
    this.zeroRun = 0;
    return out;
  }

  /** Feeds the next chunk; returns the access units it completes, in stream order. */
  push(chunk: Buffer): AccessUnit[] {
    const end = chunk.length;
    if (end === 0) return [];
    const out: AccessUnit[] = [];
    this.out = out;
    this.segStart = 0;
    // A NAL unit whose header byte(s) did not arrive with the previous chunk.
    if (this.inNal && !this.classified) this.readHead(chunk, 0);

    let search = 0;
    for (;;) {
      const one = chunk.indexOf(0x01, search);
      if (one === -1) break;
      search = one + 1;
      let j = one - 1;
      while (j >= 0 && chunk[j] === 0) j--;
      let zeros = one - 1 - j;
      if (j < 0) zeros += this.zeroRun;
      if (zeros < 2) continue;
      // A start code: its 01 is at `one`, the zeros before it begin at one - zeros (before this chunk
      // when negative). The current NAL unit, if any, ends there.
      const dataEnd = one - zeros;
      if (this.inNal) this.endNal(chunk, dataEnd);
      else this.outside(chunk, 0, Math.max(dataEnd, 0));
      this.beginNal(chunk, one + 1);
    }

    // No start code in this chunk (once one is found, a NAL unit lasts to the chunk's end at least).
    if (!this.inNal) this.outside(chunk, 0, end);
    // Trailing zeros: a run of three or more ends the NAL unit (none may hold 00 00 00), so a stream of
    // zeros is never buffered.
    let j = end - 1;
    while (j >= 0 && chunk[j] === 0) j--;
    const trailing = end - 1 - j;
    this.zeroRun = j < 0 ? this.zeroRun + end : trailing;
    if (this.inNal && this.zeroRun >= 3) {
      this.endNal(chunk, end - this.zeroRun);
    } else if (this.inNal) {
      this.nalSeen += end - this.segStart;
    }
    if (this.inNal && this.keep && this.segStart < end) {
      const piece = chunk.subarray(this.segStart, end);
      this.pieces.push(piece);
      this.pieceBytes += piece.length;
      // The NAL unit is at least this long, whatever the trailing zeros turn out to be.
      const atLeast = this.pieceBytes - Math.min(this.zeroRun, this.pieceBytes);
      if (this.classified && this.unit.bytes + atLeast > this.maxAccessUnitBytes) this.oversize();
    }
    this.out = NO_UNITS;
    return out;
  }

  /**
   * Bytes chunk[from, to) lie outside any NAL unit: garbage unless they are all zeros (zeros before a
   * start code are leading_zero_8bits or trailing_zero_8bits).
   */
  private outside(chunk: Buffer, from: number, to: number): void {
    if (this.inGarbage) return;
    for (let i = from; i < to; i++) {
      if (chunk[i] !== 0) {
        this.inGarbage = true;
        this.dropCounts.garbage++;
        return;
      }
    }
  }

  /** A NAL unit starts at `start` in `chunk` (possibly at its end: the header comes with the next). */
  private beginNal(chunk: Buffer, start: number): void {
    this.inNal = true;
    this.inGarbage = false;
    this.clearNal();
    this.segStart = start;
    this.readHead(chunk, start);
  }

  private clearNal(): void {
    if (this.pieces.length > 0) this.pieces = [];
    this.pieceBytes = 0;
    this.nalSeen = 0;
    this.headLen = 0;
    this.classified = false;
    this.keep = true;
  }

  /** Reads header bytes of the current NAL unit from chunk[from...] and classifies it when it can. */
  private readHead(chunk: Buffer, from: number): void {
    let i = from;
    while (this.headLen < 2 && i < chunk.length) {
      if (this.headLen === 0) this.head0 = chunk[i++]!;
      else this.head1 = chunk[i++]!;
      this.headLen++;
      if (this.headLen === 1 && !this.needsSecondByte()) break;
    }
    if (this.headLen === 2 || (this.headLen === 1 && !this.needsSecondByte())) this.classify();
  }

  private needsSecondByte(): boolean {
    return (this.head0 & 0x80) === 0 && hasSliceHeader(this.head0 & 0x1f);
  }

  /**
   * Decides which access unit the current NAL unit belongs to, from its header (and, for a slice, the
   * first bit of its slice header), ending the current unit when this one starts the next.
   * `headLen` may be short only when the NAL unit has already ended.
   */
  private classify(): void {
    this.classified = true;
    const unit = this.unit;
    if (this.headLen === 0) {
      this.keep = false; // empty: counted when it ends
      return;
    }
    if ((this.head0 & 0x80) !== 0) {
      // forbidden_zero_bit: garbage after a start code, or a damaged NAL unit, skipped alone. After a
      // slice, the unit is whole unless a slice of the same picture follows; before any slice, the
      // unit's parameter sets or SEI lost their picture.
      this.dropCounts.garbage++;
      this.keep = false;
      this.dropPieces();
      if (unit.hasSlice) {
        unit.afterForbidden = true;
      } else if (unit.count > 0) {
        unit.damaged = true;
        this.finishUnit();
      }
      return;
    }
    const type = this.head0 & 0x1f;
    let current = unit;
    if (hasSliceHeader(type) || type === 3 || type === 4) {
      const startsPicture = hasSliceHeader(type) && this.headLen === 2 && (this.head1 & 0x80) !== 0;
      if (startsPicture && unit.hasSlice) current = this.finishUnit();
      else if (unit.afterForbidden) unit.damaged = true; // the skipped NAL unit was part of this picture
      if (!current.hasSlice) {
        current.hasSlice = true;
        current.startsPicture = startsPicture;
      }
      if (type === NalType.idr) current.keyframe = true;
    } else if (type === NalType.aud) {
      if (unit.count > 0) current = this.finishUnit();
    } else if (
      type === NalType.sei ||
      type === NalType.sps ||
      type === NalType.pps ||
      (type >= 14 && type <= 18)
    ) {
      if (unit.hasSlice) current = this.finishUnit();
    }
    current.count++;
    if (current.discarding) {
      this.keep = false;
      this.dropPieces();
    }
  }

  private dropPieces(): void {
    if (this.pieces.length > 0) this.pieces = [];
    this.pieceBytes = 0;
  }

  /**
   * The current NAL unit ends at `dataEnd` in `chunk` (exclusive; negative when its trailing zeros
   * began in an earlier chunk). Adds it to the access unit.
   */
  private endNal(chunk: Buffer, dataEnd: number): void {
    this.inNal = false;
    const length = this.nalSeen + (dataEnd - this.segStart);
    if (!this.classified) {
      // Too short to have been classified: only the bytes that are really in it count.
      if (this.headLen > length) this.headLen = Math.max(length, 0);
      this.classify();
    }
    if (length <= 0 || this.headLen === 0) {
      this.dropCounts.garbage++; // an empty NAL unit: a start code right before another
    } else if (this.keep) {
      const unit = this.unit;
      if (hasSliceHeader(this.head0 & 0x1f) && length < 2) {
        unit.damaged = true;
      } else {
        let nal: Buffer;
        if (this.pieces.length === 0) nal = chunk.subarray(this.segStart, dataEnd);
        else if (length <= this.pieces[0]!.length) nal = this.pieces[0]!.subarray(0, length);
        else {
          if (dataEnd > 0) this.pieces.push(chunk.subarray(0, dataEnd));
          nal = Buffer.concat(this.pieces, length);
        }
        this.addNal(nal);
      }
    }
    this.clearNal();
    this.segStart = Math.max(dataEnd, 0);
  }

  private addNal(nal: Buffer): void {
    const unit = this.unit;
    unit.bytes += nal.length;
    if (unit.bytes > this.maxAccessUnitBytes) {
      this.oversize();
      return;
    }
    unit.nals.push(nal);
    const type = nal[0]! & 0x1f;
    if (type === NalType.sps) unit.sps ??= nal;
    else if (type === NalType.pps) unit.pps ??= nal;
    else if (type === NalType.sei && unit.stampUs === undefined) {
      const stamp = readStampSei(nal);
      if (stamp) {
        unit.stampUs = stamp.tUs;
        unit.stampSeq = stamp.seq;
      }
    }
  }

  /** The access unit went over the limit: count it once, let go of its bytes, keep walking it. */
  private oversize(): void {
    const unit = this.unit;
    this.dropCounts.oversize++;
    unit.discarding = true;
    unit.nals = [];
    unit.bytes = 0;
    unit.sps = unit.pps = undefined;
    this.keep = false;
    this.dropPieces();
  }

  /** Drops that lose stream data (a reset is the camera's restart, which begins with a keyframe). */
  private lostSoFar(): number {
    const d = this.dropCounts;
    return d.garbage + d.truncated + d.noslice + d.oversize;
  }

  /** Ends the current access unit (emitted or counted) and returns the new, empty one. */
  private finishUnit(): UnitState {
    const unit = this.unit;
    if (unit.discarding) {
      // Counted as oversize already.
    } else if (unit.damaged) {
      this.dropCounts.truncated++;
    } else if (!unit.hasSlice) {
      if (unit.count > 0) this.dropCounts.noslice++;
    } else if (!unit.startsPicture) {
      this.dropCounts.truncated++;
    } else {
      const au: { -readonly [K in keyof AccessUnit]: AccessUnit[K] } = {
        nals: unit.nals,
        keyframe: unit.keyframe,
        bytes: unit.bytes,
      };
      if (unit.sps) au.sps = unit.sps;
      if (unit.pps) au.pps = unit.pps;
      const lost = this.lostSoFar();
      if (lost !== this.lostAtLastUnit) {
        au.afterLoss = true;
        this.lostAtLastUnit = lost;
      }
      if (unit.stampUs !== undefined) {
        au.stampUs = unit.stampUs;
        au.stampSeq = unit.stampSeq;
      }
      this.out.push(au);
      this.unitCount++;
    }
    this.unit = newUnit();
    return this.unit;
  }
}
