// Reads what the MP4 packager and the page's player need from an H.264 sequence parameter set
// (ITU-T H.264 7.3.2.1.1): profile, constraint flags and level (the MSE codec string "avc1.PPCCLL"),
// the picture size after frame cropping, the chroma format and bit depths (the avcC box's extension
// for the high profiles), what slice headers need to be read for their picture order count, and from
// the VUI, when the encoder wrote one, the frame rate and how many frames may wait for reordering.
//
// Everything up to the cropping window is read syntax element by syntax element, including the high
// profiles' scaling lists, whose sizes depend on the values inside them. Pure: no I/O.

import { BitReader, BitstreamError, unescapeRbsp } from './bits.js';
import { NalType } from './access-unit.js';

export interface SpsInfo {
  /** profile_idc: 66 baseline, 77 main, 100 high, ... */
  readonly profileIdc: number;
  /** The byte after profile_idc: constraint_set0..5 flags and two reserved bits. */
  readonly constraintFlags: number;
  /** level_idc: ten times the level (31 for 3.1); 11 with constraint_set3 is level 1b in baseline/main. */
  readonly levelIdc: number;
  readonly spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4 (1 when the profile does not say). */
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly separateColourPlane: boolean;
  /** False for interlaced coding (field pictures or MBAFF). */
  readonly frameMbsOnly: boolean;
  /** Bits of frame_num in a slice header. */
  readonly log2MaxFrameNum: number;
  /** 0: POC sent as an LSB in each slice header; 1: derived from frame_num and offsets; 2: output order is decode order. */
  readonly picOrderCntType: number;
  /** Bits of pic_order_cnt_lsb in a slice header (picOrderCntType 0; 0 otherwise). */
  readonly log2MaxPocLsb: number;
  /** delta_pic_order_always_zero_flag (picOrderCntType 1). */
  readonly deltaPicOrderAlwaysZero: boolean;
  readonly maxNumRefFrames: number;
  /** VUI max_num_reorder_frames: at most this many frames precede a frame in decode order and follow it in output order. */
  readonly maxNumReorderFrames?: number;
  /** The displayed size in pixels, after the cropping window. */
  readonly width: number;
  readonly height: number;
  /** Frames per second from the VUI timing information (time_scale / 2 / num_units_in_tick), when present. */
  readonly frameRate?: number;
  /** The RFC 6381 codec string for MSE and HLS: "avc1." and profile, constraint byte, level in hex. */
  readonly codec: string;
}

/** The SPS is not one picamd can use: wrong NAL type, or values outside what the standard allows. */
export class SpsError extends Error {
  constructor(message: string) {
    super(`sps: ${message}`);
    this.name = 'SpsError';
  }
}

// profile_idc values whose SPS carries chroma_format_idc, bit depths and scaling lists (7.3.2.1.1).
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

// Level 6.2's MaxFS (table A-1): no conforming picture has more macroblocks.
const MAX_FRAME_MACROBLOCKS = 139264;

/**
 * Parses a sequence parameter set NAL unit (with its header byte, without a start code). Throws a
 * SpsError for a NAL unit that is not an SPS or holds impossible values, and a BitstreamError (from
 * bits.ts) when it ends before vui_parameters_present_flag. A VUI that ends early or holds impossible HRD
 * values leaves `frameRate` and `maxNumReorderFrames` unset rather than failing the whole SPS.
 */
export function parseSps(nal: Buffer): SpsInfo {
  if (nal.length < 4) throw new SpsError(`${nal.length} bytes is too short`);
  const nalType = nal[0]! & 0x1f;
  if (nalType !== NalType.sps) throw new SpsError(`NAL unit type ${nalType} is not an SPS (7)`);

  const bits = new BitReader(unescapeRbsp(nal), 1);
  const profileIdc = bits.u(8);
  const constraintFlags = bits.u(8);
  const levelIdc = bits.u(8);
  const spsId = bits.ue();
  if (spsId > 31) throw new SpsError(`seq_parameter_set_id ${spsId} is over 31`);

  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = bits.ue();
    if (chromaFormatIdc > 3) throw new SpsError(`chroma_format_idc ${chromaFormatIdc} is over 3`);
    if (chromaFormatIdc === 3) separateColourPlane = bits.flag();
    bitDepthLuma = 8 + bits.ue();
    bitDepthChroma = 8 + bits.ue();
    if (bitDepthLuma > 14 || bitDepthChroma > 14) {
      throw new SpsError(`bit depth ${bitDepthLuma}/${bitDepthChroma} is over 14`);
    }
    bits.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (bits.flag()) skipScalingLists(bits, chromaFormatIdc === 3 ? 12 : 8);
  }

  const log2MaxFrameNumMinus4 = bits.ue();
  if (log2MaxFrameNumMinus4 > 12) throw new SpsError(`log2_max_frame_num_minus4 ${log2MaxFrameNumMinus4} is over 12`);
  const picOrderCntType = bits.ue();
  let log2MaxPocLsb = 0;
  let deltaPicOrderAlwaysZero = false;
  if (picOrderCntType === 0) {
    const log2MaxPocLsbMinus4 = bits.ue();
    if (log2MaxPocLsbMinus4 > 12) throw new SpsError(`log2_max_pic_order_cnt_lsb_minus4 ${log2MaxPocLsbMinus4} is over 12`);
    log2MaxPocLsb = log2MaxPocLsbMinus4 + 4;
  } else if (picOrderCntType === 1) {
    deltaPicOrderAlwaysZero = bits.flag();
    bits.se(); // offset_for_non_ref_pic
    bits.se(); // offset_for_top_to_bottom_field
    const cycle = bits.ue();
    if (cycle > 255) throw new SpsError(`num_ref_frames_in_pic_order_cnt_cycle ${cycle} is over 255`);
    for (let i = 0; i < cycle; i++) bits.se(); // offset_for_ref_frame[i]
  } else if (picOrderCntType !== 2) {
    throw new SpsError(`pic_order_cnt_type ${picOrderCntType} is over 2`);
  }
  const maxNumRefFrames = bits.ue();
  bits.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = bits.ue() + 1;
  const heightInMapUnits = bits.ue() + 1;
  const frameMbsOnly = bits.flag();
  if (!frameMbsOnly) bits.skip(1); // mb_adaptive_frame_field_flag
  bits.skip(1); // direct_8x8_inference_flag

  // A field-coded sequence counts its height in map units of two macroblock rows (7.4.2.1.1).
  const heightInMbs = (frameMbsOnly ? 1 : 2) * heightInMapUnits;
  if (widthInMbs * heightInMbs > MAX_FRAME_MACROBLOCKS) {
    throw new SpsError(`${widthInMbs}x${heightInMbs} macroblocks is more than any level allows`);
  }
  let width = widthInMbs * 16;
  let height = heightInMbs * 16;
  if (bits.flag()) {
    // The cropping offsets count in chroma sample units, doubled vertically for field coding (7-19..7-22).
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
    const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
    const left = bits.ue();
    const right = bits.ue();
    const top = bits.ue();
    const bottom = bits.ue();
    width -= cropUnitX * (left + right);
    height -= cropUnitY * (top + bottom);
    if (width <= 0 || height <= 0) {
      throw new SpsError(`the cropping window (${left}, ${right}, ${top}, ${bottom}) leaves no picture`);
    }
  }

  const vui = bits.flag() ? readVui(bits) : {};
  const codec = `avc1.${hex2(profileIdc)}${hex2(constraintFlags)}${hex2(levelIdc)}`;
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    separateColourPlane,
    frameMbsOnly,
    log2MaxFrameNum: log2MaxFrameNumMinus4 + 4,
    picOrderCntType,
    log2MaxPocLsb,
    deltaPicOrderAlwaysZero,
    maxNumRefFrames,
    width,
    height,
    ...vui,
    codec,
  };
}

/** Reads past `count` seq_scaling_list_present_flag entries and the scaling_list() each one announces (7.3.2.1.1.1). */
function skipScalingLists(bits: BitReader, count: number): void {
  for (let i = 0; i < count; i++) {
    if (!bits.flag()) continue;
    const size = i < 6 ? 16 : 64;
    let lastScale = 8;
    let nextScale = 8;
    for (let j = 0; j < size; j++) {
      if (nextScale !== 0) {
        const delta = bits.se();
        if (delta < -128 || delta > 127) throw new SpsError(`delta_scale ${delta} is outside -128..127`);
        nextScale = (lastScale + delta + 256) % 256;
      }
      // nextScale 0 at j = 0 selects the default list; later, it repeats the last value to the end.
      if (nextScale !== 0) lastScale = nextScale;
    }
  }
}

interface VuiInfo {
  frameRate?: number;
  maxNumReorderFrames?: number;
}

/**
 * The frame rate and max_num_reorder_frames from vui_parameters() (E.1.1), each when present. A VUI
 * that ends early keeps what was read before the end.
 */
function readVui(bits: BitReader): VuiInfo {
  const vui: VuiInfo = {};
  try {
    if (bits.flag()) {
      // aspect_ratio_info_present_flag
      const aspectRatioIdc = bits.u(8);
      if (aspectRatioIdc === 255) bits.skip(32); // Extended_SAR: sar_width, sar_height
    }
    if (bits.flag()) bits.skip(1); // overscan_info_present_flag, overscan_appropriate_flag
    if (bits.flag()) {
      // video_signal_type_present_flag: video_format, video_full_range_flag
      bits.skip(4);
      if (bits.flag()) bits.skip(24); // colour_primaries, transfer_characteristics, matrix_coefficients
    }
    if (bits.flag()) {
      // chroma_loc_info_present_flag
      bits.ue();
      bits.ue();
    }
    if (bits.flag()) {
      // timing_info_present_flag
      const numUnitsInTick = bits.u(32);
      const timeScale = bits.u(32);
      bits.skip(1); // fixed_frame_rate_flag
      // One frame is two ticks (E.2.1: a tick is a field period).
      if (numUnitsInTick > 0 && timeScale > 0) vui.frameRate = timeScale / (2 * numUnitsInTick);
    }
    const nalHrd = bits.flag();
    if (nalHrd) skipHrdParameters(bits);
    const vclHrd = bits.flag();
    if (vclHrd) skipHrdParameters(bits);
    if (nalHrd || vclHrd) bits.skip(1); // low_delay_hrd_flag
    bits.skip(1); // pic_struct_present_flag
    if (bits.flag()) {
      // bitstream_restriction_flag
      bits.skip(1); // motion_vectors_over_pic_boundaries_flag
      bits.ue(); // max_bytes_per_pic_denom
      bits.ue(); // max_bits_per_mb_denom
      bits.ue(); // log2_max_mv_length_horizontal
      bits.ue(); // log2_max_mv_length_vertical
      const maxNumReorderFrames = bits.ue();
      bits.ue(); // max_dec_frame_buffering
      if (maxNumReorderFrames <= 16) vui.maxNumReorderFrames = maxNumReorderFrames;
    }
  } catch (error) {
    if (!(error instanceof BitstreamError) && !(error instanceof SpsError)) throw error;
  }
  return vui;
}

/** hrd_parameters() (E.1.2). */
function skipHrdParameters(bits: BitReader): void {
  const cpbCount = bits.ue() + 1;
  if (cpbCount > 32) throw new SpsError(`cpb_cnt_minus1 ${cpbCount - 1} is over 31`);
  bits.skip(8); // bit_rate_scale, cpb_size_scale
  for (let i = 0; i < cpbCount; i++) {
    bits.ue(); // bit_rate_value_minus1
    bits.ue(); // cpb_size_value_minus1
    bits.skip(1); // cbr_flag
  }
  bits.skip(20); // four delay and offset lengths of 5 bits
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0');
}
