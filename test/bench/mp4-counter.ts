// The benchmark viewers' /stream.mp4 reader: the fragmented-MP4 counterpart of MultipartCounter,
// with as little work as possible because one load process has to keep up with a hundred viewers.
// It walks the ISO BMFF boxes by their sizes (ftyp and moov skipped, then one moof + mdat per
// picture), and inside each mdat the 4-byte length-prefixed NAL units, copying only small SEI NAL
// units (where the simulated camera's stamp is: src/formats/h264/sei.ts); slices are skipped by their length.
// A picture is counted when its mdat is complete. It checks enough to be sure it counts real
// pictures: status 200, video/mp4, no chunked encoding, an init segment (moov) before the first
// fragment, an mfhd first in every moof, a decode time and a sample duration in every moof, every
// mdat right after a moof, NAL lengths that fit their mdat, and a slice in every picture.
//
// It also tells keyframes (an IDR slice) and gaps: pictures this viewer was not sent. A viewer that
// falls behind must go on from a keyframe, never from a picture whose references it did not get.
// Each viewer's fragments are numbered 1, 2, 3... whatever it skipped (src/formats/mp4/viewer-timeline.ts),
// so gaps are found in the decode times (tfdt), which keep the stream's spacing: picamd's packager
// puts a picture other than a keyframe less than two of the previous picture's durations (trun)
// after it (nextDecodeTime in src/formats/mp4/fmp4.ts), so a step of two durations or more means a
// picture in between was not sent: a broken chain is never a false alarm. A keyframe's step has no
// such bound (a camera that stalled), so where both pictures carry the simulated camera's stamp and
// the stamps follow each other, nothing is missing. What the decode times cannot tell apart: a gap
// of pictures that had arrived together (a millisecond apart) ending on a picture other than a
// keyframe stays unseen, and a camera that dropped frames right before a keyframe looks like a
// viewer that went on from that keyframe (a resync; the camera drops column says when the simulated
// camera dropped any). Gaps in the stamps where the decode times show none are the camera's (frames
// it dropped before encoding), counted apart.

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
/** A moof's body, kept whole (about a hundred bytes) for its decode time and sample duration. */
const MOOF_BODY = 6;
/** The packager's moofs have 96 bytes of body; anything far larger is not one picture's. */
const MAX_MOOF_BODY_BYTES = 1024;
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
  private readonly moofBody = Buffer.allocUnsafe(MAX_MOOF_BODY_BYTES);
  private moofBodyLength = 0;
  private moofBodyBytes = 0;
  /** The current fragment's tfdt and its sample's duration, in the track's timescale. */
  private decodeTime = 0;
  private duration = 0;
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
  /** Pictures after which this viewer was not sent the next (see the file's comment). */
  gaps = 0;
  /** Pictures missing in those gaps: counted by the stamps where both sides have one, else estimated from the step in decode time. */
  skipped = 0;
  /** Gaps that ended on a keyframe: the viewer fell behind and went on from there, as it should. */
  resyncs = 0;
  /** Gaps that ended on a picture other than a keyframe: a broken reference chain. */
  brokenChains = 0;
  /** The first picture (after an init segment) was not a keyframe. */
  startedWithoutKeyframe = false;
  /** Gaps in the stamps between pictures whose decode times show no gap: frames the camera dropped. */
  cameraGaps = 0;
  private lastSeq = -1;
  /** The previous picture's decode time and duration; -1 after an init segment (the stream may have started over). */
  private lastDecodeTime = -1;
  private lastDuration = 0;
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
        case MOOF_BODY: {
          const n = Math.min(this.moofBodyBytes - this.moofBodyLength, end - pos);
          this.moofBody.set(buf.subarray(pos, pos + n), this.moofBodyLength);
          this.moofBodyLength += n;
          pos += n;
          this.boxRemaining -= n;
          if (this.moofBodyLength === this.moofBodyBytes) {
            this.readMoof(this.moofBody.subarray(0, this.moofBodyBytes));
            if (!this.failed) this.state = BOX_HEADER;
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
      this.lastDecodeTime = -1;
      this.framesSinceInit = 0;
    }
    if (type === 'moof') {
      if (this.inits === 0) return this.fail('a fragment before the init segment');
      if (this.boxRemaining > MAX_MOOF_BODY_BYTES) return this.fail(`a moof of ${size} bytes, more than one picture's`);
      this.moofBytes = size;
      this.moofBodyBytes = this.boxRemaining;
      this.moofBodyLength = 0;
      this.state = this.boxRemaining === 0 ? BOX_HEADER : MOOF_BODY;
      if (this.boxRemaining === 0) this.readMoof(Buffer.alloc(0));
      return;
    }
    this.state = this.boxRemaining === 0 ? BOX_HEADER : BOX_SKIP;
  }

  /**
   * The moof's body: mfhd first, then in its traf the tfdt's decode time and the first sample's
   * duration (from the trun, else the tfhd's default), as ISO/IEC 14496-12 lays them out.
   */
  private readMoof(body: Buffer): void {
    const children = (from: number, to: number): Map<string, Buffer> | undefined => {
      const boxes = new Map<string, Buffer>();
      for (let at = from; at < to; ) {
        const size = at + 8 <= to ? body.readUInt32BE(at) : 0;
        if (size < 8 || at + size > to) return undefined;
        if (boxes.size === 0 && from === 0 && fourCc(body, at + 4) !== 'mfhd') return undefined;
        boxes.set(fourCc(body, at + 4), body.subarray(at + 8, at + size));
        at += size;
      }
      return boxes;
    };
    const moof = children(0, body.length);
    if (!moof?.has('mfhd')) return this.fail('a moof that does not start with its mfhd');
    const traf = moof.get('traf');
    const trafBoxes = traf && children(traf.byteOffset - body.byteOffset, traf.byteOffset - body.byteOffset + traf.length);
    const tfdt = trafBoxes?.get('tfdt');
    if (!tfdt || tfdt.length < (tfdt[0] === 1 ? 12 : 8)) return this.fail('a moof without a decode time (tfdt)');
    this.decodeTime = tfdt[0] === 1 ? Number(tfdt.readBigUInt64BE(4)) : tfdt.readUInt32BE(4);
    // trun: version and flags, sample_count, [data_offset], [first_sample_flags], then the first
    // sample's [duration]; tfhd: version and flags, track_ID, [base_data_offset],
    // [sample_description_index], [default_sample_duration].
    const trun = trafBoxes?.get('trun');
    const tfhd = trafBoxes?.get('tfhd');
    let duration = 0;
    if (trun && trun.length >= 8 && trun.readUInt32BE(4) > 0 && trun.readUInt32BE(0) & 0x100) {
      const at = 8 + (trun.readUInt32BE(0) & 0x01 ? 4 : 0) + (trun.readUInt32BE(0) & 0x04 ? 4 : 0);
      if (trun.length >= at + 4) duration = trun.readUInt32BE(at);
    } else if (tfhd && tfhd.length >= 8 && tfhd.readUInt32BE(0) & 0x08) {
      const at = 8 + (tfhd.readUInt32BE(0) & 0x01 ? 8 : 0) + (tfhd.readUInt32BE(0) & 0x02 ? 4 : 0);
      if (tfhd.length >= at + 4) duration = tfhd.readUInt32BE(at);
    }
    if (duration === 0) return this.fail('a moof without a sample duration (trun or tfhd)');
    this.duration = duration;
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
    const step = this.decodeTime - this.lastDecodeTime;
    const stamped = this.seq >= 0 && this.lastSeq >= 0;
    const gap = this.lastDecodeTime >= 0 && step >= 2 * this.lastDuration && !(stamped && this.seq === this.lastSeq + 1);
    if (gap) {
      this.gaps++;
      this.skipped += stamped && this.seq > this.lastSeq ? this.seq - this.lastSeq - 1 : Math.max(1, Math.round(step / this.lastDuration) - 1);
      if (this.keyframe) this.resyncs++;
      else this.brokenChains++;
    } else if (this.lastDecodeTime >= 0 && stamped && this.seq !== this.lastSeq + 1) {
      this.cameraGaps++;
    }
    this.lastDecodeTime = this.decodeTime;
    this.lastDuration = this.duration;
    this.lastSeq = this.seq;
    this.onFrame(this.seq, this.tUs, this.moofBytes + this.mdatBytes, this.keyframe);
  }

  private fail(message: string): void {
    this.error ??= message;
    this.state = FAILED;
  }
}
