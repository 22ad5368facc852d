import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NalType, type AccessUnit } from '../../../src/formats/h264/access-unit.js';
import { parsePpsHeader, PictureOrder, type PpsInfo } from '../../../src/formats/h264/picture-order.js';
import { parseSps, type SpsInfo } from '../../../src/formats/h264/sps.js';

// x264 high 1280x720 with B-frames: POC type 0 (6 LSB bits), 4 reference frames, 2 reordered.
const HIGH = parseSps(Buffer.from('6764001facd9405005bb0110000003001000000303c0f1831960', 'hex'));
const BASELINE = parseSps(Buffer.from('6742c01ed900a03db0110000030001000003003c0f162e48', 'hex'));
const PPS: PpsInfo = { ppsId: 0, spsId: 0, bottomFieldPicOrderInFramePresent: false };

/** Writes H.264 syntax elements most significant bit first. */
class BitWriter {
  private bits = '';
  u(n: number, value: number): this {
    this.bits += n === 0 ? '' : value.toString(2).padStart(n, '0');
    return this;
  }
  ue(value: number): this {
    const code = (value + 1).toString(2);
    this.bits += '0'.repeat(code.length - 1) + code;
    return this;
  }
  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }
  /** The bytes with an rbsp_stop_one_bit and zero padding (no 00 00 0x runs arise in these headers). */
  bytes(): Buffer {
    const bits = this.bits + '1';
    const padded = bits + '0'.repeat((8 - (bits.length % 8)) % 8);
    return Buffer.from(padded.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  }
}

interface Picture {
  /** Output position in the GOP (the IDR is 0). */
  display: number;
  idr: boolean;
  reference: boolean;
  deltaBottom?: number;
}

/** An access unit holding one slice whose header carries the POC LSB of `picture` (frames count 2 apart). */
function pictureUnit(sps: SpsInfo, picture: Picture, frameNum: number, pps = PPS): AccessUnit {
  const type = picture.idr ? NalType.idr : NalType.slice;
  const w = new BitWriter()
    .ue(0) // first_mb_in_slice
    .ue(picture.idr ? 7 : picture.reference ? 5 : 6) // slice_type: I, P, B
    .ue(0) // pic_parameter_set_id
    .u(sps.log2MaxFrameNum, frameNum % 2 ** sps.log2MaxFrameNum);
  if (picture.idr) w.ue(0); // idr_pic_id
  w.u(sps.log2MaxPocLsb, (2 * picture.display) % 2 ** sps.log2MaxPocLsb);
  if (pps.bottomFieldPicOrderInFramePresent) w.se(picture.deltaBottom ?? 0);
  const header = Buffer.from([((picture.reference ? 2 : 0) << 5) | type]);
  const nal = Buffer.concat([header, w.bytes(), Buffer.alloc(8, 0x5a)]);
  return { nals: [nal], keyframe: picture.idr, bytes: nal.length };
}

/** I0 P2 B1 P4 B3 ... in decode order: one B-frame between references, as rpicam-vid's libx264 makes. */
function oneBFrameGop(length: number): Picture[] {
  const pictures: Picture[] = [{ display: 0, idr: true, reference: true }];
  for (let p = 2; p < length; p += 2) {
    pictures.push({ display: p, idr: false, reference: true });
    pictures.push({ display: p - 1, idr: false, reference: false });
  }
  return pictures;
}

/** Presentation position (decode index + offset) of each picture, in decode order. */
function presentation(order: PictureOrder, sps: SpsInfo, pictures: Picture[], pps = PPS): number[] {
  let frameNum = 0;
  return pictures.map((picture, decodeIndex) => {
    if (picture.idr) frameNum = 0;
    const offset = order.offsetFrames(pictureUnit(sps, picture, frameNum, pps));
    if (picture.reference) frameNum++;
    assert.ok(offset >= 0, 'offsets are never negative');
    return decodeIndex + offset;
  });
}

describe('PictureOrder', () => {
  it('shows B-frames in output order, through many POC LSB wraps, with the VUI reorder depth', () => {
    // 4 LSB bits: the POC wraps every 8 frames, so the MSB must be carried from reference pictures only.
    const sps: SpsInfo = { ...HIGH, log2MaxPocLsb: 4, maxNumReorderFrames: 1 };
    const order = new PictureOrder(sps, PPS);
    assert.equal(order.reorderDepth, 1);
    const pictures = [...oneBFrameGop(41), ...oneBFrameGop(41)];
    const shown = presentation(order, sps, pictures);
    // Every picture shows one frame after its output position in its GOP (the reorder depth),
    // the second GOP 41 frames after the first.
    const gopStart = (i: number) => (i < 41 ? 0 : 41);
    assert.deepEqual(shown, pictures.map((p, i) => gopStart(i) + p.display + 1));
  });

  it('takes POC type 2 and the baseline profile as decode order without reading slice headers', () => {
    const garbage: AccessUnit = { nals: [Buffer.from([0x41, 0xff])], keyframe: false, bytes: 2 };
    for (const sps of [BASELINE, { ...HIGH, picOrderCntType: 2 }, { ...HIGH, profileIdc: 66 }]) {
      const order = new PictureOrder(sps, PPS);
      assert.equal(order.reorderDepth, 0);
      assert.equal(order.offsetFrames({ nals: [Buffer.from([0x65, 0xff])], keyframe: true, bytes: 2 }), 0);
      assert.equal(order.offsetFrames(garbage), 0);
    }
  });

  it('guesses the depth from the reference frames without a VUI, and grows it when a picture needs more', () => {
    const guessed = new PictureOrder({ ...HIGH, maxNumReorderFrames: undefined }, PPS);
    assert.equal(guessed.reorderDepth, HIGH.maxNumRefFrames);

    const sps: SpsInfo = { ...HIGH, maxNumReorderFrames: undefined, maxNumRefFrames: 0 };
    const order = new PictureOrder(sps, PPS);
    assert.equal(order.reorderDepth, 0);
    const shown = presentation(order, sps, oneBFrameGop(9));
    // I0 P2 B1: B1 would be shown before it is decoded with depth 0; it is clamped to its decode
    // time and the depth grows to 1 for every later picture, which then keep their order.
    assert.equal(order.reorderDepth, 1);
    assert.deepEqual(shown, [0, 2, 2, 5, 4, 7, 6, 9, 8]);
  });

  it('uses delta_pic_order_cnt_bottom when the PPS says frame slices carry it', () => {
    const pps: PpsInfo = { ...PPS, bottomFieldPicOrderInFramePresent: true };
    const sps: SpsInfo = { ...HIGH, maxNumReorderFrames: 1 };
    const order = new PictureOrder(sps, pps);
    // A bottom field order count 2 below the top one moves the frame one place earlier.
    const pictures: Picture[] = [
      { display: 0, idr: true, reference: true },
      { display: 2, idr: false, reference: true, deltaBottom: -2 },
    ];
    assert.deepEqual(presentation(order, sps, pictures, pps), [1, 2]);
  });

  it('places a unit whose slice header is cut short at the reorder depth', () => {
    const order = new PictureOrder(HIGH, PPS);
    assert.equal(order.offsetFrames({ nals: [Buffer.from([0x65])], keyframe: true, bytes: 1 }), HIGH.maxNumReorderFrames);
    assert.equal(order.offsetFrames({ nals: [Buffer.from([0x06, 0x05])], keyframe: false, bytes: 2 }), HIGH.maxNumReorderFrames, 'no slice at all');
  });
});

describe('parsePpsHeader', () => {
  it('reads the IDs and bottom_field_pic_order_in_frame_present_flag', () => {
    // x264: pps 0 of sps 0, CABAC, no bottom field POC.
    assert.deepEqual(parsePpsHeader(Buffer.from('68ebe3cb22c0', 'hex')), PPS);
    const w = new BitWriter().ue(3).ue(1).u(1, 0).u(1, 1);
    assert.deepEqual(parsePpsHeader(Buffer.concat([Buffer.from([0x68]), w.bytes()])), {
      ppsId: 3,
      spsId: 1,
      bottomFieldPicOrderInFramePresent: true,
    });
  });
});
