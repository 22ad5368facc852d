// Turns H.264 access units into fragmented MP4 for MSE and `/stream.mp4`: an init segment whenever the
// parameter sets change, then one fragment per picture (one frame of latency, one Buffer shared by every
// viewer). Decode and composition times: docs/formats.md#fragmented-mp4. Pure: no I/O, no clock.

import { NalType, type AccessUnit } from '../h264/access-unit.js';
import { BitstreamError } from '../h264/bits.js';
import {
  BOX_HEADER_BYTES,
  box,
  fixed16x16,
  fourCc,
  fullBox,
  u16,
  u32,
  u64,
  u8,
  unityMatrix,
  writeBoxHeader,
  zeros,
} from './boxes.js';
import { parsePpsHeader, PictureOrder } from '../h264/picture-order.js';
import { parseSps, SpsError, type SpsInfo } from '../h264/sps.js';

export interface Fmp4PackagerOptions {
  /** Ticks per second of the media timeline; 90 kHz is what RTP and MPEG-TS use. */
  timescale?: number;
  /** The camera's nominal frame rate: each sample lasts timescale / framerate ticks. */
  framerate: number;
}

export interface Fmp4Output {
  /** The new initialisation segment, when this unit brought parameter sets that differ from the current ones. */
  init?: Buffer;
  /** moof + mdat for this access unit. */
  fragment: Buffer;
  /** True when the fragment holds a sync sample (IDR): a viewer may start here, after the init segment. */
  keyframe: boolean;
  /** The picture's presentation time in the timescale (decode time + composition offset): RTP's timestamp. */
  time: number;
}

/** The one track's ID in every segment. */
const TRACK_ID = 1;

// trun flags: data-offset, sample-duration, sample-size, sample-flags and composition time offset present.
const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400 | 0x000800;
// tfhd flags: default-base-is-moof (offsets count from the moof, as MSE and CMAF require).
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;

// Sample flags (14496-12 8.8.3.1): is_leading 2 bits, sample_depends_on 2, sample_is_depended_on 2,
// sample_has_redundancy 2, sample_padding_value 3, sample_is_non_sync_sample 1, degradation priority 16.
/** Depends on no other sample (sample_depends_on = 2), a sync sample. */
export const SYNC_SAMPLE_FLAGS = 2 << 24;
/** Depends on others (sample_depends_on = 1) and is not a sync sample. */
export const NON_SYNC_SAMPLE_FLAGS = (1 << 24) | (1 << 16);

/** Bytes of the length prefix before each NAL unit in the mdat (avcC lengthSizeMinusOne = 3). */
const NAL_LENGTH_BYTES = 4;

interface ParameterSets {
  readonly sps: Buffer;
  readonly pps: Buffer;
  readonly info: SpsInfo;
  readonly init: Buffer;
  readonly order: PictureOrder;
}

export class Fmp4Packager {
  private readonly timescale: number;
  private readonly sampleDuration: number;
  /** The least step between decode times: a millisecond (see nextDecodeTime). */
  private readonly minStep: number;
  private current: ParameterSets | undefined;
  private sequenceNumber = 0;
  private originMs: number | undefined;
  private lastDecodeTime = -1;
  /** The last sample's duration: the next decode time may step up to twice that (nextDecodeTime). */
  private lastDuration: number;
  private invalid = 0;
  /** Init segments made so far: every one after the first also puts its parameter sets in the keyframe's sample. */
  private inits = 0;

  constructor(options: Fmp4PackagerOptions) {
    const timescale = options.timescale ?? 90000;
    if (!Number.isInteger(timescale) || timescale <= 0) throw new RangeError(`timescale must be a positive integer: ${timescale}`);
    if (!(options.framerate > 0)) throw new RangeError(`framerate must be positive: ${options.framerate}`);
    this.timescale = timescale;
    this.sampleDuration = Math.max(1, Math.round(timescale / options.framerate));
    this.minStep = Math.ceil(timescale / 1000);
    this.lastDuration = this.sampleDuration;
  }

  /** The RFC 6381 codec string of the current stream (for MediaSource.isTypeSupported), once known. */
  get codec(): string | undefined {
    return this.current?.info.codec;
  }

  /** The current initialisation segment, for a viewer that joins after it was emitted. */
  get init(): Buffer | undefined {
    return this.current?.init;
  }

  /** Access units skipped because their SPS or PPS could not be read. */
  get invalidParameterSets(): number {
    return this.invalid;
  }

  /** What the current SPS says (size, profile, level), once known. */
  get video(): SpsInfo | undefined {
    return this.current?.info;
  }

  /**
   * Forgets the parameter sets, so nothing is emitted until the next keyframe with SPS and PPS, which
   * comes with a new init segment (call when the camera restarts). Decode times and sequence numbers
   * carry on, so a viewer that stays connected never sees them go back.
   */
  reset(): void {
    this.current = undefined;
  }

  /**
   * Packages one access unit that arrived at `atMs` (monotonic milliseconds). Undefined until a
   * keyframe with SPS and PPS has been seen, and for a unit with nothing to put in a sample.
   * `durationMs`: how long the picture lasts when it is not one frame period (picamd's placeholder
   * pictures, one a second), so the next one may come that much later without a discontinuity.
   */
  package(au: AccessUnit, atMs: number, durationMs?: number): Fmp4Output | undefined {
    let init: Buffer | undefined;
    const sps = au.sps ?? this.current?.sps;
    const pps = au.pps ?? this.current?.pps;
    if (sps === undefined || pps === undefined) return undefined;
    if (this.current === undefined || !sps.equals(this.current.sps) || !pps.equals(this.current.pps)) {
      // A decoder can only start on a keyframe with the parameter sets.
      if (this.current === undefined && !au.keyframe) return undefined;
      let info: SpsInfo;
      let order: PictureOrder;
      try {
        info = parseSps(sps);
        order = new PictureOrder(info, parsePpsHeader(pps));
      } catch (error) {
        if (!(error instanceof SpsError || error instanceof BitstreamError)) throw error;
        // Whatever the camera now sends cannot be described: wait for a keyframe with usable ones.
        this.invalid++;
        this.current = undefined;
        return undefined;
      }
      init = initSegment(info, sps, pps, this.timescale);
      // Copies: the unit's NAL units may be views into a large chunk of camera output.
      this.current = { sps: Buffer.from(sps), pps: Buffer.from(pps), info, init, order };
      this.inits++;
    }

    // A stream whose parameter sets change (the camera and picamd's placeholder take turns) sends a
    // new init segment, which MSE applies; ffmpeg, mpv and GStreamer read the first moov only and skip
    // any later one ("Found duplicated MOOV Atom"), so the keyframe that switches carries its SPS and
    // PPS in its sample too, where every decoder reads them.
    const inBand = init !== undefined && this.inits > 1 ? [this.current.sps, this.current.pps] : [];
    const out = this.fragment(au, atMs, this.current.order, inBand, durationMs);
    if (out === undefined) return undefined;
    const { fragment, time } = out;
    return init === undefined ? { fragment, keyframe: au.keyframe, time } : { init, fragment, keyframe: au.keyframe, time };
  }

  /** `inBand`: NAL units written ahead of the unit's own (parameter sets the sample must carry). */
  private fragment(au: AccessUnit, atMs: number, order: PictureOrder, inBand: readonly Buffer[], durationMs?: number): { fragment: Buffer; time: number } | undefined {
    let payloadBytes = 0;
    for (const nal of au.nals) if (inSample(nal)) payloadBytes += NAL_LENGTH_BYTES + nal.length;
    if (payloadBytes === 0) return undefined;
    for (const nal of inBand) payloadBytes += NAL_LENGTH_BYTES + nal.length;

    this.originMs ??= atMs;
    const arrival = Math.round(((atMs - this.originMs) * this.timescale) / 1000);
    const offsetFrames = order.offsetFrames(au);
    const decodeTime =
      this.lastDecodeTime < 0
        ? arrival
        : nextDecodeTime(this.lastDecodeTime, arrival, this.lastDuration, au.keyframe, order.reorderDepth > 0, this.minStep);
    this.lastDecodeTime = decodeTime;
    const duration = durationMs === undefined ? this.sampleDuration : Math.max(1, Math.round((durationMs * this.timescale) / 1000));
    this.lastDuration = duration;
    this.sequenceNumber++;
    const compositionOffset = offsetFrames * this.sampleDuration;

    const moof = moofBox({
      sequenceNumber: this.sequenceNumber,
      decodeTime,
      duration,
      compositionOffset,
      sampleBytes: payloadBytes,
      sync: au.keyframe,
    });
    const mdatBytes = BOX_HEADER_BYTES + payloadBytes;
    const out = Buffer.allocUnsafe(moof.length + mdatBytes);
    moof.copy(out, 0);
    writeBoxHeader(out, moof.length, mdatBytes, 'mdat');
    let offset = moof.length + BOX_HEADER_BYTES;
    for (const nal of inBand) {
      out.writeUInt32BE(nal.length, offset);
      offset += NAL_LENGTH_BYTES;
      offset += nal.copy(out, offset);
    }
    for (const nal of au.nals) {
      if (!inSample(nal)) continue;
      out.writeUInt32BE(nal.length, offset);
      offset += NAL_LENGTH_BYTES;
      offset += nal.copy(out, offset);
    }
    return { fragment: out, time: decodeTime + compositionOffset };
  }
}

/**
 * The decode time of the next sample, in ticks, from its arrival time and the previous sample's.
 *
 * A browser's MSE takes a decode time more than two frame durations after the previous one as a
 * discontinuity and drops every picture up to the next keyframe (Media Source Extensions, coded frame
 * processing step 6; Chromium's FrameProcessor does so): one frame arriving late, after the event
 * loop or the camera stalled, would freeze the picture for up to a keyframe interval. So:
 * - without reordering, the arrival time, but at least a millisecond (`minStep` ticks) after the previous
 *   sample, so that pictures that arrive together keep distinct times in a millisecond time base too
 *   (Matroska, FLV, what ffmpeg remuxes into: equal times there make it warn about non-monotonic DTS), and, except
 *   for a keyframe, less than two frame periods after it; the frames that follow a late one arrive close
 *   behind it and make up the time, a keyframe (where a jump costs a viewer nothing) at the latest;
 * - with reordering (B-frames), the previous time plus one frame period, and at a keyframe the arrival
 *   time if it is later: presentation times are decode times plus whole frame periods, and only equal
 *   steps keep the pictures of a group in their order without two sharing a time.
 */
export function nextDecodeTime(
  previous: number,
  arrival: number,
  frameTicks: number,
  keyframe: boolean,
  reordered: boolean,
  minStep = 1,
): number {
  if (reordered) return keyframe ? Math.max(previous + frameTicks, arrival) : previous + frameTicks;
  // One tick under two periods: Chromium compares in microseconds, each rounded on its own.
  const latest = keyframe ? Number.MAX_SAFE_INTEGER : previous + 2 * frameTicks - 1;
  return Math.min(latest, Math.max(previous + Math.min(minStep, frameTicks), arrival));
}

/** Parameter sets travel in avcC and access unit delimiters carry nothing a sample needs. */
function inSample(nal: Buffer): boolean {
  if (nal.length === 0) return false;
  const type = nal[0]! & 0x1f;
  return type !== NalType.sps && type !== NalType.pps && type !== NalType.aud;
}

interface Sample {
  sequenceNumber: number;
  /** In the timescale, like duration and compositionOffset. */
  decodeTime: number;
  duration: number;
  compositionOffset: number;
  sampleBytes: number;
  sync: boolean;
}

/** moof with one traf holding one sample, whose data starts right after the mdat header. */
function moofBox(sample: Sample): Buffer {
  const mfhd = fullBox('mfhd', 0, 0, u32(sample.sequenceNumber));
  const tfhd = fullBox('tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF, u32(TRACK_ID));
  const tfdt = fullBox('tfdt', 1, 0, u64(sample.decodeTime));
  // The trun's data_offset counts from the start of the moof; its size is known before it is written:
  // moof header + mfhd + traf header + tfhd + tfdt + trun (header, count, offset, one sample of 4 fields).
  const trunBytes = 12 + 4 + 4 + 4 * 4;
  const moofBytes = BOX_HEADER_BYTES + mfhd.length + BOX_HEADER_BYTES + tfhd.length + tfdt.length + trunBytes;
  const trun = fullBox(
    'trun',
    0,
    TRUN_FLAGS,
    u32(1), // sample_count
    u32(moofBytes + BOX_HEADER_BYTES), // data_offset: the first byte of the mdat payload
    u32(sample.duration),
    u32(sample.sampleBytes),
    u32(sample.sync ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS),
    u32(sample.compositionOffset), // version 0: unsigned, never negative here
  );
  return box('moof', mfhd, box('traf', tfhd, tfdt, trun));
}

/** ftyp + moov for one H.264 video track, with no samples of its own (they all come in fragments). */
export function initSegment(info: SpsInfo, sps: Buffer, pps: Buffer, timescale: number): Buffer {
  const ftyp = box('ftyp', fourCc('isom'), u32(0x200), fourCc('isom'), fourCc('iso5'), fourCc('iso6'), fourCc('avc1'), fourCc('mp41'));
  const mvhd = fullBox(
    'mvhd',
    0,
    0,
    u32(0), // creation_time
    u32(0), // modification_time
    u32(timescale),
    u32(0), // duration: unknown (fragmented)
    fixed16x16(1), // rate
    u16(0x0100), // volume
    zeros(2 + 8), // reserved
    unityMatrix(),
    zeros(24), // pre_defined
    u32(TRACK_ID + 1), // next_track_ID
  );
  const tkhd = fullBox(
    'tkhd',
    0,
    0x000003, // track_enabled | track_in_movie
    u32(0), // creation_time
    u32(0), // modification_time
    u32(TRACK_ID),
    zeros(4), // reserved
    u32(0), // duration
    zeros(8), // reserved
    u16(0), // layer
    u16(0), // alternate_group
    u16(0), // volume: 0 for video
    zeros(2), // reserved
    unityMatrix(),
    fixed16x16(info.width),
    fixed16x16(info.height),
  );
  const mdhd = fullBox(
    'mdhd',
    0,
    0,
    u32(0), // creation_time
    u32(0), // modification_time
    u32(timescale),
    u32(0), // duration
    u16(packLanguage('und')),
    u16(0), // pre_defined
  );
  const hdlr = fullBox('hdlr', 0, 0, u32(0), fourCc('vide'), zeros(12), Buffer.from('VideoHandler\0', 'latin1'));
  const vmhd = fullBox('vmhd', 0, 1, u16(0), zeros(6)); // graphicsmode copy, opcolor
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1))); // flag 1: media in this file
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), avc1SampleEntry(info, sps, pps)),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  const mdia = box('mdia', mdhd, hdlr, box('minf', vmhd, dinf, stbl));
  const trex = fullBox(
    'trex',
    0,
    0,
    u32(TRACK_ID),
    u32(1), // default_sample_description_index
    u32(0), // default_sample_duration
    u32(0), // default_sample_size
    u32(0), // default_sample_flags
  );
  const moov = box('moov', mvhd, box('trak', tkhd, mdia), box('mvex', trex));
  return Buffer.concat([ftyp, moov]);
}

/** The avc1 visual sample entry (14496-12 12.1.3, 14496-15 5.4.2) with its avcC. */
function avc1SampleEntry(info: SpsInfo, sps: Buffer, pps: Buffer): Buffer {
  const compressorName = zeros(32); // a Pascal string: length 0
  return box(
    'avc1',
    zeros(6), // reserved
    u16(1), // data_reference_index
    zeros(16), // pre_defined, reserved, pre_defined[3]
    u16(info.width),
    u16(info.height),
    fixed16x16(72), // horizresolution: 72 dpi
    fixed16x16(72), // vertresolution
    u32(0), // reserved
    u16(1), // frame_count: one frame per sample
    compressorName,
    u16(0x0018), // depth: colour, no alpha
    u16(0xffff), // pre_defined = -1
    avcCBox(info, sps, pps),
  );
}

/** AVCDecoderConfigurationRecord (14496-15 5.3.3.1) with one SPS and one PPS and 4-byte NAL lengths. */
export function avcCBox(info: SpsInfo, sps: Buffer, pps: Buffer): Buffer {
  const parts = [
    u8(1), // configurationVersion
    u8(info.profileIdc), // AVCProfileIndication
    u8(info.constraintFlags), // profile_compatibility
    u8(info.levelIdc), // AVCLevelIndication
    u8(0xfc | (NAL_LENGTH_BYTES - 1)), // reserved 6 bits, lengthSizeMinusOne
    u8(0xe0 | 1), // reserved 3 bits, numOfSequenceParameterSets
    u16(sps.length),
    sps,
    u8(1), // numOfPictureParameterSets
    u16(pps.length),
    pps,
  ];
  // The high profiles append their chroma format and bit depths (no SPS extensions here).
  if (info.profileIdc !== 66 && info.profileIdc !== 77 && info.profileIdc !== 88) {
    parts.push(
      u8(0xfc | info.chromaFormatIdc),
      u8(0xf8 | (info.bitDepthLuma - 8)),
      u8(0xf8 | (info.bitDepthChroma - 8)),
      u8(0), // numOfSequenceParameterSetExt
    );
  }
  return box('avcC', ...parts);
}

/** ISO 639-2/T language code packed as three 5-bit letters (mdhd). */
function packLanguage(code: string): number {
  let packed = 0;
  for (const ch of code) packed = (packed << 5) | (ch.charCodeAt(0) - 0x60);
  return packed;
}
