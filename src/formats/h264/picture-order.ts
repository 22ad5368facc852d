// When each picture is shown relative to when it is decoded (an MP4 sample's composition offset), from
// its picture order count: with B-frames (libx264, as on the Pi 5) a player would otherwise show
// pictures out of sequence. How the offset is found: docs/formats.md#picture-order. Pure: no I/O.

import { BitReader, BitstreamError, unescapeRbsp } from './bits.js';
import { NalType, type AccessUnit } from './access-unit.js';
import type { SpsInfo } from './sps.js';

/** The one PPS field the picture order count needs (7.3.2.2), and the IDs. */
export interface PpsInfo {
  readonly ppsId: number;
  readonly spsId: number;
  /** bottom_field_pic_order_in_frame_present_flag: frame slices carry delta_pic_order_cnt_bottom. */
  readonly bottomFieldPicOrderInFramePresent: boolean;
}

/** Reads the start of a picture parameter set NAL unit (with its header byte). Throws a BitstreamError when it is too short. */
export function parsePpsHeader(nal: Buffer): PpsInfo {
  const bits = new BitReader(unescapeRbsp(nal.subarray(0, Math.min(nal.length, 16))), 1);
  const ppsId = bits.ue();
  const spsId = bits.ue();
  bits.skip(1); // entropy_coding_mode_flag
  const bottomFieldPicOrderInFramePresent = bits.flag();
  return { ppsId, spsId, bottomFieldPicOrderInFramePresent };
}

/** The largest offset handed out, in frames: beyond any reorder depth the standard allows (16). */
const MAX_OFFSET_FRAMES = 32;

export class PictureOrder {
  private readonly reorders: boolean;
  private depth: number;
  private step = 2;
  // 8.2.1.1: the POC MSB and LSB of the previous reference picture.
  private prevMsb = 0;
  private prevLsb = 0;
  private idrPoc = 0;
  /** Pictures since the last IDR, in decode order (the IDR is 0); -1 before the first IDR. */
  private decodeIndex = -1;

  constructor(
    private readonly sps: SpsInfo,
    private readonly pps: PpsInfo,
  ) {
    this.reorders = sps.picOrderCntType === 0 && sps.profileIdc !== 66;
    // Without the VUI's word, guess the deepest reordering the reference frames allow.
    this.depth = this.reorders ? (sps.maxNumReorderFrames ?? Math.min(sps.maxNumRefFrames, 16)) : 0;
  }

  /** The reorder depth in frames: every offset includes it. */
  get reorderDepth(): number {
    return this.depth;
  }

  /**
   * The composition time offset of `au`, in frames (0 .. 32). Call once per access unit, in decode
   * order. A unit whose slice header cannot be read is placed as if shown in decode order.
   */
  offsetFrames(au: AccessUnit): number {
    this.decodeIndex = au.keyframe ? 0 : this.decodeIndex + 1;
    if (!this.reorders) return this.depth;
    const slice = au.nals.find((nal) => {
      const type = nal.length > 0 ? nal[0]! & 0x1f : 0;
      return type === NalType.slice || type === NalType.idr;
    });
    let poc: number;
    try {
      if (slice === undefined) return this.depth;
      poc = this.pictureOrderCount(slice);
    } catch (error) {
      if (error instanceof BitstreamError) return this.depth;
      throw error;
    }
    if (au.keyframe) this.idrPoc = poc;
    const relative = poc - this.idrPoc;
    if (relative % 2 !== 0) this.step = 1; // an encoder that counts frames by 1, not 2
    const outputIndex = Math.floor(relative / this.step);
    let offset = outputIndex - Math.max(0, this.decodeIndex) + this.depth;
    if (offset < 0) {
      // Shown earlier than the depth allows: the guess was too small. Later pictures are shown later.
      this.depth = Math.min(16, this.depth - offset);
      offset = 0;
    }
    return Math.min(offset, MAX_OFFSET_FRAMES);
  }

  /** PicOrderCnt() of a frame, from its slice header (7.3.3 up to delta_pic_order_cnt_bottom, and 8.2.1.1). */
  private pictureOrderCount(slice: Buffer): number {
    const sps = this.sps;
    const nalRefIdc = (slice[0]! >> 5) & 3;
    const idr = (slice[0]! & 0x1f) === NalType.idr;
    // The fields before the POC LSB take at most a few dozen bytes.
    const bits = new BitReader(unescapeRbsp(slice.subarray(0, Math.min(slice.length, 64))), 1);
    bits.ue(); // first_mb_in_slice
    bits.ue(); // slice_type
    bits.ue(); // pic_parameter_set_id
    if (sps.separateColourPlane) bits.skip(2); // colour_plane_id
    bits.skip(sps.log2MaxFrameNum); // frame_num
    let fieldPic = false;
    if (!sps.frameMbsOnly) {
      fieldPic = bits.flag();
      if (fieldPic) bits.skip(1); // bottom_field_flag
    }
    if (idr) bits.ue(); // idr_pic_id
    const lsb = bits.u(sps.log2MaxPocLsb);
    const deltaBottom = this.pps.bottomFieldPicOrderInFramePresent && !fieldPic ? bits.se() : 0;

    const maxLsb = 2 ** sps.log2MaxPocLsb;
    if (idr) {
      this.prevMsb = 0;
      this.prevLsb = 0;
    }
    let msb = this.prevMsb;
    if (lsb < this.prevLsb && this.prevLsb - lsb >= maxLsb / 2) msb = this.prevMsb + maxLsb;
    else if (lsb > this.prevLsb && lsb - this.prevLsb > maxLsb / 2) msb = this.prevMsb - maxLsb;
    if (nalRefIdc !== 0) {
      this.prevMsb = msb;
      this.prevLsb = lsb;
    }
    const top = msb + lsb;
    return Math.min(top, top + deltaBottom);
  }
}
