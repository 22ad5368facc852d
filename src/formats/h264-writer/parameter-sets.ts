// The sequence and picture parameter sets (ITU-T H.264 7.3.2.1, 7.3.2.2), the slice headers
// (7.3.3) and the NAL unit wrapping (7.3.1) of picamd's own H.264 pictures. One simple set of
// choices serves every picture picamd writes:
// - CAVLC, 4:2:0, 8 bits, frames only, one slice per picture, no deblocking (the picture is flat
//   colour and text: the filter would only soften the text);
// - picture order = decode order (pic_order_cnt_type 2) with one reference frame, so a decoder
//   shows each picture as soon as it has it (the VUI says no reordering);
// - the profile, constraint flags and level are the caller's (the camera stream's), so the codec
//   string does not change when a player switches between the camera and a placeholder. What is
//   written conforms to constrained baseline, main and high alike.

import { escapeRbsp } from '../h264/bits.js';
import { BitWriter } from './bit-writer.js';

export interface StreamParameters {
  /** The displayed size; coded in whole macroblocks and cropped. Even numbers (4:2:0). */
  readonly width: number;
  readonly height: number;
  /** profile_idc: 66 (baseline), 77 (main) or 100 (high). */
  readonly profileIdc: number;
  /** The constraint_set flags byte. */
  readonly constraintFlags: number;
  /** level_idc, e.g. 41 for 4.1. */
  readonly levelIdc: number;
  /** seq_parameter_set_id and pic_parameter_set_id: choose ones the camera's stream does not use. */
  readonly spsId: number;
  readonly ppsId: number;
  /** The quantiser of every macroblock (0..51): lower is sharper and bigger. */
  readonly qp: number;
}

/** Bits of frame_num (log2_max_frame_num_minus4 = 0): frame_num counts modulo 16. */
export const LOG2_MAX_FRAME_NUM = 4;

const SUPPORTED_PROFILES = new Set([66, 77, 100]);

/** nal_unit_type values written here. */
export const NalUnitType = { slice: 1, idr: 5, sps: 7, pps: 8 } as const;

/** Checks the parameters; throws a RangeError naming the bad one. */
export function checkParameters(p: StreamParameters): void {
  const intIn = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer ${min}..${max}: ${value}`);
  };
  intIn('width', p.width, 16, 8192);
  intIn('height', p.height, 16, 8192);
  if (p.width % 2 !== 0 || p.height % 2 !== 0) throw new RangeError(`width and height must be even (4:2:0): ${p.width}x${p.height}`);
  if (!SUPPORTED_PROFILES.has(p.profileIdc)) throw new RangeError(`profile_idc ${p.profileIdc} is not one of 66, 77, 100`);
  intIn('constraintFlags', p.constraintFlags, 0, 255);
  intIn('levelIdc', p.levelIdc, 9, 62);
  intIn('spsId', p.spsId, 0, 31);
  intIn('ppsId', p.ppsId, 0, 255);
  intIn('qp', p.qp, 0, 51);
}

/** Macroblocks across and down. */
export function macroblocks(p: Pick<StreamParameters, 'width' | 'height'>): { cols: number; rows: number } {
  return { cols: Math.ceil(p.width / 16), rows: Math.ceil(p.height / 16) };
}

/** A NAL unit (header byte, then the escaped RBSP), without a start code or length. */
export function nalUnit(nalRefIdc: number, type: number, rbsp: Buffer): Buffer {
  return Buffer.concat([Buffer.of((nalRefIdc << 5) | type), escapeRbsp(rbsp)]);
}

export function writeSps(p: StreamParameters): Buffer {
  checkParameters(p);
  const { cols, rows } = macroblocks(p);
  const w = new BitWriter(64);
  w.u(8, p.profileIdc);
  w.u(8, p.constraintFlags);
  w.u(8, p.levelIdc);
  w.ue(p.spsId);
  if (p.profileIdc === 100) {
    w.ue(1); // chroma_format_idc: 4:2:0
    w.ue(0); // bit_depth_luma_minus8
    w.ue(0); // bit_depth_chroma_minus8
    w.flag(false); // qpprime_y_zero_transform_bypass_flag
    w.flag(false); // seq_scaling_matrix_present_flag
  }
  w.ue(LOG2_MAX_FRAME_NUM - 4);
  w.ue(2); // pic_order_cnt_type
  w.ue(1); // max_num_ref_frames
  w.flag(false); // gaps_in_frame_num_value_allowed_flag
  w.ue(cols - 1);
  w.ue(rows - 1);
  w.flag(true); // frame_mbs_only_flag
  w.flag(true); // direct_8x8_inference_flag
  const cropRight = cols * 16 - p.width;
  const cropBottom = rows * 16 - p.height;
  w.flag(cropRight > 0 || cropBottom > 0);
  if (cropRight > 0 || cropBottom > 0) {
    // In chroma sample units for 4:2:0: two luma samples each way.
    w.ue(0);
    w.ue(cropRight / 2);
    w.ue(0);
    w.ue(cropBottom / 2);
  }
  w.flag(true); // vui_parameters_present_flag
  writeVui(w);
  w.trailingBits();
  return nalUnit(3, NalUnitType.sps, w.toBuffer());
}

/** vui_parameters() (E.1.1): square pixels, BT.709 limited range, and no reordering. */
function writeVui(w: BitWriter): void {
  w.flag(true); // aspect_ratio_info_present_flag
  w.u(8, 1); // aspect_ratio_idc: 1:1
  w.flag(false); // overscan_info_present_flag
  w.flag(true); // video_signal_type_present_flag
  w.u(3, 5); // video_format: unspecified
  w.flag(false); // video_full_range_flag: 16..235 (yuv.ts converts so)
  w.flag(true); // colour_description_present_flag
  w.u(8, 1); // colour_primaries: BT.709
  w.u(8, 1); // transfer_characteristics: BT.709
  w.u(8, 1); // matrix_coefficients: BT.709
  w.flag(false); // chroma_loc_info_present_flag
  w.flag(false); // timing_info_present_flag: the container carries the timing
  w.flag(false); // nal_hrd_parameters_present_flag
  w.flag(false); // vcl_hrd_parameters_present_flag
  w.flag(false); // pic_struct_present_flag
  w.flag(true); // bitstream_restriction_flag
  w.flag(true); // motion_vectors_over_pic_boundaries_flag
  w.ue(0); // max_bytes_per_pic_denom: no limit
  w.ue(0); // max_bits_per_mb_denom: no limit
  w.ue(16); // log2_max_mv_length_horizontal
  w.ue(16); // log2_max_mv_length_vertical
  w.ue(0); // max_num_reorder_frames: show each picture at once
  w.ue(1); // max_dec_frame_buffering
}

export function writePps(p: StreamParameters): Buffer {
  checkParameters(p);
  const w = new BitWriter(16);
  w.ue(p.ppsId);
  w.ue(p.spsId);
  w.flag(false); // entropy_coding_mode_flag: CAVLC
  w.flag(false); // bottom_field_pic_order_in_frame_present_flag
  w.ue(0); // num_slice_groups_minus1
  w.ue(0); // num_ref_idx_l0_default_active_minus1
  w.ue(0); // num_ref_idx_l1_default_active_minus1
  w.flag(false); // weighted_pred_flag
  w.u(2, 0); // weighted_bipred_idc
  w.se(p.qp - 26); // pic_init_qp_minus26
  w.se(0); // pic_init_qs_minus26
  w.se(0); // chroma_qp_index_offset
  w.flag(true); // deblocking_filter_control_present_flag
  w.flag(false); // constrained_intra_pred_flag
  w.flag(false); // redundant_pic_cnt_present_flag
  w.trailingBits();
  return nalUnit(3, NalUnitType.pps, w.toBuffer());
}

/** slice_header() of an IDR picture's one I slice. */
export function writeIdrSliceHeader(w: BitWriter, p: StreamParameters, idrPicId: number): void {
  w.ue(0); // first_mb_in_slice
  w.ue(7); // slice_type: I, and every slice of the picture is
  w.ue(p.ppsId);
  w.u(LOG2_MAX_FRAME_NUM, 0); // frame_num: 0 in an IDR picture
  w.ue(idrPicId);
  // dec_ref_pic_marking() of an IDR picture:
  w.flag(false); // no_output_of_prior_pics_flag
  w.flag(false); // long_term_reference_flag
  w.se(0); // slice_qp_delta
  w.ue(1); // disable_deblocking_filter_idc: off
}

/** slice_header() of a P picture's one slice, a reference picture (the next one refers to it). */
export function writePSliceHeader(w: BitWriter, p: StreamParameters, frameNum: number): void {
  w.ue(0); // first_mb_in_slice
  w.ue(5); // slice_type: P, and every slice of the picture is
  w.ue(p.ppsId);
  w.u(LOG2_MAX_FRAME_NUM, frameNum % (1 << LOG2_MAX_FRAME_NUM));
  w.flag(false); // num_ref_idx_active_override_flag
  w.flag(false); // ref_pic_list_modification_flag_l0
  w.flag(false); // adaptive_ref_pic_marking_mode_flag: sliding window
  w.se(0); // slice_qp_delta
  w.ue(1); // disable_deblocking_filter_idc: off
}

/**
 * A P picture in which every macroblock is P_Skip: the previous picture again, a few bytes whatever
 * the size. `frameNum` counts the pictures since the IDR (1 for the first after it).
 */
export function writeSkipPicture(p: StreamParameters, frameNum: number): Buffer {
  checkParameters(p);
  const { cols, rows } = macroblocks(p);
  const w = new BitWriter(16);
  writePSliceHeader(w, p, frameNum);
  w.ue(cols * rows); // mb_skip_run: the whole picture
  w.trailingBits();
  return nalUnit(2, NalUnitType.slice, w.toBuffer());
}
