// A still picture as an endless H.264 stream, written by picamd itself (no encoder on the device):
// an IDR picture carrying the picture, then P pictures that are entirely P_Skip (the previous
// picture again, a dozen bytes each whatever the size), with the IDR repeated now and then. What
// the H.264 viewers get instead of the camera's stream while there is none (privacy, a restart, no
// camera), as MJPEG viewers get the placeholder JPEG.
//
// The units are AccessUnits like the camera's, with their own SPS and PPS, so the same packager
// (src/h264/fmp4.ts) puts them on the same timeline as the camera's pictures. Pure: no clock.

import type { AccessUnit } from '../h264/access-unit.js';
import { encodeIntraPicture } from './intra-picture.js';
import { checkParameters, LOG2_MAX_FRAME_NUM, writePps, writeSkipPicture, writeSps, type StreamParameters } from './parameter-sets.js';
import type { Yuv420 } from './yuv.js';

export interface StillStreamOptions {
  /** An IDR picture every this many pictures (at least 2); the pictures between are P_Skip. */
  keyframeInterval: number;
}

export class StillStream {
  readonly sps: Buffer;
  readonly pps: Buffer;
  /** The IDR slice for idr_pic_id 0 and 1 (consecutive IDR pictures must differ), encoded when first needed. */
  private readonly idrSlices: (Buffer | undefined)[] = [undefined, undefined];
  /** The skip pictures differ only in frame_num: one per value, made when first needed. */
  private readonly skipSlices = new Map<number, Buffer>();
  private index = 0;
  private idrCount = 0;
  /** The picture, until both IDR slices are made (then only they are kept: 3 MB less at 1080p). */
  private picture: Yuv420 | undefined;

  constructor(
    private readonly params: StreamParameters,
    picture: Yuv420,
    private readonly options: StillStreamOptions,
  ) {
    this.picture = picture;
    checkParameters(params);
    if (!Number.isInteger(options.keyframeInterval) || options.keyframeInterval < 2) {
      throw new RangeError(`keyframeInterval must be an integer of at least 2: ${options.keyframeInterval}`);
    }
    this.sps = writeSps(params);
    this.pps = writePps(params);
  }

  /** Starts over: the next picture is an IDR (e.g. after the camera's own pictures were shown). */
  restart(): void {
    this.index = 0;
  }

  /** The next picture: the IDR first and every keyframeInterval pictures, P_Skip pictures between. */
  next(): AccessUnit {
    const position = this.index % this.options.keyframeInterval;
    this.index++;
    if (position === 0) {
      const idrPicId = this.idrCount++ % 2;
      const slice = (this.idrSlices[idrPicId] ??= encodeIntraPicture(this.params, this.picture!, idrPicId).nal);
      if (this.idrSlices[0] && this.idrSlices[1]) this.picture = undefined;
      // The parameter sets travel with every IDR picture, as rpicam-vid --inline sends them.
      const nals = [this.sps, this.pps, slice];
      return { nals, keyframe: true, sps: this.sps, pps: this.pps, bytes: byteCount(nals) };
    }
    const frameNum = position % (1 << LOG2_MAX_FRAME_NUM);
    let slice = this.skipSlices.get(frameNum);
    if (slice === undefined) {
      slice = writeSkipPicture(this.params, frameNum);
      this.skipSlices.set(frameNum, slice);
    }
    return { nals: [slice], keyframe: false, bytes: slice.length };
  }
}

function byteCount(nals: readonly Buffer[]): number {
  let total = 0;
  for (const nal of nals) total += nal.length;
  return total;
}
