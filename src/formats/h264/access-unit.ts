// What the H.264 path passes between its stages: the Annex-B parser cuts rpicam-vid's byte stream
// into access units (one picture each), the packager turns them into fragmented MP4, the fan-out
// sends the fragments to viewers. Nothing here copies bytes.

/** nal_unit_type values picamd looks at (ITU-T H.264 table 7-1). */
export const NalType = {
  slice: 1,
  idr: 5,
  sei: 6,
  sps: 7,
  pps: 8,
  aud: 9,
} as const;

/** One coded picture with the NAL units that belong to it, in stream order. */
export interface AccessUnit {
  /**
   * The NAL units without start codes, each starting with its one-byte header. Views into the
   * camera's chunk where the unit lay inside one; copied only when it spanned chunks.
   */
  readonly nals: readonly Buffer[];
  /** True when the picture is an IDR picture: a viewer may start or resynchronise here. */
  readonly keyframe: boolean;
  /** The sequence and picture parameter sets carried in this unit (rpicam-vid --inline puts them before every IDR). */
  readonly sps?: Buffer;
  readonly pps?: Buffer;
  /** The simulated camera's capture stamp (SEI user data), microseconds since the epoch; undefined from a real camera. */
  readonly stampUs?: number;
  /** The simulated camera's frame number, with stampUs. */
  readonly stampSeq?: number;
  /** Bytes of the NAL units (without start codes). */
  readonly bytes: number;
  /**
   * Something was lost before this unit or while it was gathered (a damaged, cut or oversize unit, or
   * garbage): a picture that is no keyframe may refer to what was lost, so the fan-out waits for a
   * keyframe.
   */
  readonly afterLoss?: boolean;
}
