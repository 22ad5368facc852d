// The benchmark viewers' /stream.mp4 reader: the fragmented-MP4 counterpart of MultipartCounter,
// with as little work as possible because one load process has to keep up with a hundred viewers.
// It walks the ISO BMFF boxes by their sizes (ftyp and moov skipped, then one moof + mdat per
// picture), and inside each mdat the 4-byte length-prefixed NAL units, copying only small SEI NAL
// units (where the simulated camera's stamp is: src/formats/h264/sei.ts); slices are skipped by their length.
// A picture is counted when its mdat is complete. It checks enough to be sure it counts real
// pictures: status 200, video/mp4, no chunked encoding, an init segment (moov) before the first
// fragment, an mfhd first in every moof, every mdat right after a moof, NAL lengths that fit their
// mdat, and a slice in every picture. It also tells keyframes (an IDR slice) and gaps in the
// fragments' sequence numbers (mfhd: picamd numbers every picture it packages, so a gap is pictures
// this viewer was not sent): a viewer that falls behind must go on from a keyframe, never from a
// picture whose references it did not get. Gaps in the stamps where the fragments follow each other
// are the camera's (frames it dropped before encoding), counted apart.

import { readStampSei } from '../../src/formats/h264/sei.js';

/**
 * Called for every whole picture: its stamp (seq -1 and tUs -1 when it has none), the fragment's
 * size (moof + mdat) and whether it is a keyframe.
 */
export type Mp4FrameListener = (seq: number, tUs: number, fragmentBytes: number, keyframe: boolean) => void;

/** SEI NAL units up to this size are copied aside and searched for the stamp (it is 36-54 bytes). */
const MAX_STAMP_SEI_BYTES = 96;
/** The response head is small; anything longer is an error. */
const MAX_HEAD_BYTES = 4096;
/** Box header: 32-bit size and type, then a 64-bit size when the first is 1. */
const BOX_HEADER_BYTES = 8;
const LARGE_BOX_HEADER_BYTES = 16;
const NAL_LENGTH_BYTES = 4;

const NAL_SLICE = 1;
const NAL_IDR = 5;
const NAL_SEI = 6;

const HEAD = 0;
const BOX_HEADER = 1;
/** Inside a box that is skipped whole (ftyp, moov, free, ...) or the rest of a moof. */
const BOX_SKIP = 2;
/** The start of a moof: its mfhd, for the fragment's sequence number. */
const MOOF_HEAD = 6;
/** moof body: mfhd size and type, version and flags, sequence_number. */
const MOOF_HEAD_BYTES = 16;
/** Inside an mdat, reading a NAL unit's length prefix. */
const NAL_LENGTH = 3;
/** Inside an mdat, in a NAL unit. */
const NAL_BODY = 4;
const FAILED = 5;

const fourCc = (b: Buffer, at: number) => b.toString('latin1', at, at + 4);

export class Mp4Counter {
  private state = HEAD;
  private readonly head = Buffer.allocUnsafe(MAX_HEAD_BYTES);
  private headLength = 0;
  /** Box header or NAL length prefix as far as it has arrived. */
  private readonly small = Buffer.allocUnsafe(LARGE_BOX_HEADER_BYTES);
  private smallLength = 0;
  private readonly sei = Buffer.allocUnsafe(MAX_STAMP_SEI_BYTES);
  private readonly moofHead = Buffer.allocUnsafe(MOOF_HEAD_BYTES);
  private moofHeadLength = 0;
  private fragmentNumber = 0;
  private seiLength = 0;
  /** Bytes left in the box being skipped, or in the mdat. */
  private boxRemaining = 0;
  /** Bytes left of the current NAL unit, and how many of them to copy into `sei`. */
  private nalRemaining = 0;
  private nalCopy = 0;
  private lastBox = '';
  private moofBytes = 0;
  private mdatBytes = 0;
  // The picture in the current mdat.
  private seq = -1;
  private tUs = -1;
  private keyframe = false;
  private slices = 0;

  /** HTTP status of the response, 0 until its head has arrived. */
  status = 0;
  /** Bytes seen, head included. */
  bytes = 0;
  /** Init segments (moov boxes) seen: one, plus one per change of the camera's parameter sets. */
  inits = 0;
  frames = 0;
  keyframes = 0;
  /** Fragments whose sequence number did not follow the previous one's. */
  gaps = 0;
  /** Fragments missing in those gaps: pictures this viewer was not sent. */
  skipped = 0;
  /** Gaps that ended on a keyframe: the viewer fell behind and went on from there, as it should. */
  resyncs = 0;
  /** Gaps that ended on a picture other than a keyframe: a broken reference chain. */
  brokenChains = 0;
  /** The first picture (after an init segment) was not a keyframe. */
  startedWithoutKeyframe = false;
  /** Gaps in the stamps between fragments that follow each other: frames the camera dropped. */
  cameraGaps = 0;
  private lastSeq = -1;
  /** The previous fragment's sequence number; 0 after an init segment (a new packager may start again at 1). */
  private lastFragmentNumber = 0;
  private framesSinceInit = 0;
  error: string | undefined;

  constructor(private readonly onFrame: Mp4FrameListener) {}

  get failed(): boolean {
    return this.state === FAILED;
  }

  /** Feeds bytes [start, end) of `buf`; they are not kept, so `buf` may be reused afterwards. */
  push(buf: Uint8Array, start: number, end: number): void {
    this.bytes += end - start;
    let pos = start;
    while (pos < end) {
      switch (this.state) {
        case NAL_BODY: {
          if (this.seiLength === 0) {
            // The header byte: copy the rest only of a small SEI, while the picture has no stamp yet.
            const header = buf[pos++]!;
            this.sei[0] = header;
            this.seiLength = 1;
            this.nalCopy = (header & 0x1f) === NAL_SEI && this.nalRemaining <= MAX_STAMP_SEI_BYTES && this.seq < 0 ? this.nalRemaining - 1 : 0;
            this.nalRemaining--;
            this.boxRemaining--;
            if (this.nalRemaining === 0) this.nalDone();
            break;
          }
          const n = Math.min(this.nalRemaining, end - pos);
          if (this.nalCopy > 0) {
            const c = Math.min(this.nalCopy, n);
            this.sei.set(buf.subarray(pos, pos + c), this.seiLength);
            this.seiLength += c;
            this.nalCopy -= c;
          }
          pos += n;
          this.nalRemaining -= n;
          this.boxRemaining -= n;
          if (this.nalRemaining === 0) this.nalDone();
          break;
        }
        case NAL_LENGTH: {
          if (this.boxRemaining < NAL_LENGTH_BYTES - this.smallLength) {
            return this.fail(`${this.boxRemaining} bytes at the end of an mdat, too few for a NAL unit`);
          }
          const n = Math.min(NAL_LENGTH_BYTES - this.smallLength, end - pos);
          this.small.set(buf.subarray(pos, pos + n), this.smallLength);
          this.smallLength += n;
          pos += n;
          this.boxRemaining -= n;
          if (this.smallLength === NAL_LENGTH_BYTES) this.nalStart();
          break;
        }
        case MOOF_HEAD: {
          const n = Math.min(MOOF_HEAD_BYTES - this.moofHeadLength, end - pos);
          this.moofHead.set(buf.subarray(pos, pos + n), this.moofHeadLength);
          this.moofHeadLength += n;
          pos += n;
          this.boxRemaining -= n;
          if (this.moofHeadLength === MOOF_HEAD_BYTES) {
            if (fourCc(this.moofHead, 4) !== 'mfhd') return this.fail('a moof that does not start with its mfhd');
            this.fragmentNumber = this.moofHead.readUInt32BE(12);
            this.state = this.boxRemaining === 0 ? BOX_HEADER : BOX_SKIP;
          }
          break;
        }
        case BOX_SKIP: {
          const n = Math.min(this.boxRemaining, end - pos);
          pos += n;
          this.boxRemaining -= n;
          if (this.boxRemaining === 0) this.state = BOX_HEADER;
          break;
        }
        case BOX_HEADER: {
          const want = this.smallLength >= 4 && this.small.readUInt32BE(0) === 1 ? LARGE_BOX_HEADER_BYTES : BOX_HEADER_BYTES;
          const n = Math.min(want - this.smallLength, end - pos);
          this.small.set(buf.subarray(pos, pos + n), this.smallLength);
          this.smallLength += n;
          pos += n;
          if (this.smallLength === want && !(want === BOX_HEADER_BYTES && this.small.readUInt32BE(0) === 1)) this.boxStart();
          break;
        }
        case HEAD: {
          let found = false;
          while (pos < end) {
            if (this.headLength === MAX_HEAD_BYTES) return this.fail('response head too long');
            const b = buf[pos++]!;
            const head = this.head;
            head[this.headLength++] = b;
            const n = this.headLength;
            if (b === 0x0a && n >= 4 && head[n - 2] === 0x0d && head[n - 3] === 0x0a && head[n - 4] === 0x0d) {
              found = true;
              break;
            }
          }
          if (found) this.onHead(this.head.toString('latin1', 0, this.headLength));
          break;
        }
        default:
          return;
      }
    }
  }

  private onHead(text: string): void {
    const status = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
    if (!status) return this.fail(`bad status line: ${JSON.stringify(text.slice(0, 40))}`);
    this.status = Number(status[1]);
    if (this.status !== 200) return this.fail(`status ${this.status}`);
    if (/\r\ntransfer-encoding:/i.test(text)) return this.fail('the stream must not be chunked');
    if (!/\r\ncontent-type:\s*video\/mp4\s*\r\n/i.test(text)) return this.fail('not a video/mp4 response');
    this.state = BOX_HEADER;
  }

  private boxStart(): void {
    const headerBytes = this.smallLength;
    const size = headerBytes === LARGE_BOX_HEADER_BYTES ? Number(this.small.readBigUInt64BE(8)) : this.small.readUInt32BE(0);
    const type = fourCc(this.small, 4);
    this.smallLength = 0;
    if (size < headerBytes) return this.fail(`${type} box of ${size} bytes: an endless or broken box`);
    const previous = this.lastBox;
    this.lastBox = type;
    this.boxRemaining = size - headerBytes;
    if (type === 'mdat') {
      if (previous !== 'moof') return this.fail(`an mdat after ${previous || 'nothing'}, not after a moof`);
      this.mdatBytes = size;
      this.seq = -1;
      this.tUs = -1;
      this.keyframe = false;
      this.slices = 0;
      this.state = NAL_LENGTH;
      if (this.boxRemaining === 0) this.mdatDone();
      return;
    }
    if (previous === 'moof') return this.fail(`a ${type} box after a moof, not an mdat`);
    if (type === 'moov') {
      this.inits++;
      this.lastFragmentNumber = 0;
      this.framesSinceInit = 0;
    }
    if (type === 'moof') {
      if (this.inits === 0) return this.fail('a fragment before the init segment');
      if (this.boxRemaining < MOOF_HEAD_BYTES) return this.fail(`a moof of ${size} bytes, too small for its mfhd`);
      this.moofBytes = size;
      this.moofHeadLength = 0;
      this.state = MOOF_HEAD;
      return;
    }
    this.state = this.boxRemaining === 0 ? BOX_HEADER : BOX_SKIP;
  }

  private nalStart(): void {
    this.smallLength = 0;
    this.nalRemaining = this.small.readUInt32BE(0);
    if (this.nalRemaining === 0 || this.nalRemaining > this.boxRemaining) {
      return this.fail(`a NAL unit of ${this.nalRemaining} bytes in an mdat with ${this.boxRemaining} left`);
    }
    this.seiLength = 0;
    this.nalCopy = 0;
    this.state = NAL_BODY;
  }

  private nalDone(): void {
    const type = this.sei[0]! & 0x1f;
    if (type === NAL_SLICE || type === NAL_IDR) {
      this.slices++;
      if (type === NAL_IDR) this.keyframe = true;
    } else if (type === NAL_SEI && this.seiLength > 1) {
      const stamp = readStampSei(this.sei.subarray(0, this.seiLength));
      if (stamp) {
        this.seq = stamp.seq;
        this.tUs = stamp.tUs;
      }
    }
    this.state = NAL_LENGTH;
    if (this.boxRemaining === 0) this.mdatDone();
  }

  private mdatDone(): void {
    this.state = BOX_HEADER;
    this.lastBox = '';
    if (this.slices === 0) return this.fail(`picture ${this.frames + 1} has no slice`);
    this.frames++;
    this.framesSinceInit++;
    if (this.keyframe) this.keyframes++;
    if (this.framesSinceInit === 1 && !this.keyframe) this.startedWithoutKeyframe = true;
    const followed = this.lastFragmentNumber > 0 && this.fragmentNumber === this.lastFragmentNumber + 1;
    if (this.lastFragmentNumber > 0 && !followed) {
      this.gaps++;
      if (this.fragmentNumber > this.lastFragmentNumber) this.skipped += this.fragmentNumber - this.lastFragmentNumber - 1;
      if (this.keyframe) this.resyncs++;
      else this.brokenChains++;
    }
    this.lastFragmentNumber = this.fragmentNumber;
    if (this.seq >= 0) {
      if (followed && this.lastSeq >= 0 && this.seq !== this.lastSeq + 1) this.cameraGaps++;
      this.lastSeq = this.seq;
    }
    this.onFrame(this.seq, this.tUs, this.moofBytes + this.mdatBytes, this.keyframe);
  }

  private fail(message: string): void {
    this.error ??= message;
    this.state = FAILED;
  }
}
