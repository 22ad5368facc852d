import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BitstreamError } from '../../../src/formats/h264/bits.js';
import { parseSps, SpsError } from '../../../src/formats/h264/sps.js';

// Sequence parameter sets written by x264 (through Debian's ffmpeg 5.1,
// `ffmpeg -f lavfi -i testsrc2=size=WxH:rate=30 -c:v libx264 ... -f h264`), and the values
// `ffprobe -show_streams` reports for each stream (profile, level, width, height, pix_fmt).
// The two "scaling" ones are x264 streams whose SPS was rewritten with seq_scaling_matrix_present_flag
// and explicit, default ("use default" delta) and absent lists (8 lists for 4:2:0, 12 for 4:4:4);
// ffmpeg's trace_headers reads the same flags and ffmpeg decodes those streams without an error.
interface Fixture {
  name: string;
  hex: string;
  profileIdc: number;
  constraintFlags: number;
  levelIdc: number;
  width: number;
  height: number;
  chromaFormatIdc: number;
  bitDepth: number;
  frameMbsOnly: boolean;
  codec: string;
  frameRate?: number;
}

const fixtures: Fixture[] = [
  {
    // ffprobe: Constrained Baseline, level 40, 1920x1080 (1088 coded rows, cropped by 8)
    name: 'constrained baseline 1920x1080',
    hex: '6742c028d900780227e5c044000003000400000300f03c60c920',
    profileIdc: 66, constraintFlags: 0xc0, levelIdc: 40, width: 1920, height: 1080,
    chromaFormatIdc: 1, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.42c028',
  },
  {
    // ffprobe: Constrained Baseline, level 30, 640x480
    name: 'constrained baseline 640x480',
    hex: '6742c01ed900a03db0110000030001000003003c0f162e48',
    profileIdc: 66, constraintFlags: 0xc0, levelIdc: 30, width: 640, height: 480,
    chromaFormatIdc: 1, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.42c01e',
  },
  {
    // ffprobe: Constrained Baseline, level 21, 426x240 (432 coded columns, cropped by 6)
    name: 'constrained baseline 426x240',
    hex: '6742c015d901b1fe4f0110000003001000000303c0f162e480',
    profileIdc: 66, constraintFlags: 0xc0, levelIdc: 21, width: 426, height: 240,
    chromaFormatIdc: 1, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.42c015',
  },
  {
    // ffprobe: Main, level 31, 1280x720 (45 macroblock rows: no cropping needed)
    name: 'main 1280x720',
    hex: '674d401feca02802dd8088000003000800000301e078c18cb0',
    profileIdc: 77, constraintFlags: 0x40, levelIdc: 31, width: 1280, height: 720,
    chromaFormatIdc: 1, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.4d401f',
  },
  {
    // ffprobe: High, level 41, 1920x1080
    name: 'high 1920x1080',
    hex: '67640029acd940780227e5c044000003000400000300f03c60c658',
    profileIdc: 100, constraintFlags: 0, levelIdc: 41, width: 1920, height: 1080,
    chromaFormatIdc: 1, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.640029',
  },
  {
    // ffprobe: High, level 42, 1640x1232 (the Pi camera v2's binned mode; 1648 coded columns)
    name: 'high 1640x1232',
    hex: '6764002aacd94067026f97c044000003000400000300f03c60c658',
    profileIdc: 100, constraintFlags: 0, levelIdc: 42, width: 1640, height: 1232,
    chromaFormatIdc: 1, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.64002a',
  },
  {
    // ffprobe: High, level 40, 1920x1080, field_order tt (interlaced: map units of two rows, crop unit 4)
    name: 'high interlaced 1920x1080',
    hex: '67640028acd94078044fde0220000003002000000783e2c5b2c0',
    profileIdc: 100, constraintFlags: 0, levelIdc: 40, width: 1920, height: 1080,
    chromaFormatIdc: 1, bitDepth: 8, frameMbsOnly: false, codec: 'avc1.640028',
  },
  {
    // ffprobe: High 10, level 31, 1280x720, yuv420p10le
    name: 'high 10 1280x720',
    hex: '676e001fa6cd9405005bb0110000030001000003003c0f183196',
    profileIdc: 110, constraintFlags: 0, levelIdc: 31, width: 1280, height: 720,
    chromaFormatIdc: 1, bitDepth: 10, frameMbsOnly: true, codec: 'avc1.6e001f',
  },
  {
    // ffprobe: High 4:2:2, level 31, 854x480 (864 coded columns, crop unit 2)
    name: 'high 4:2:2 854x480',
    hex: '677a001fbcd940d83de6f0110000030001000003003c0f183196',
    profileIdc: 122, constraintFlags: 0, levelIdc: 31, width: 854, height: 480,
    chromaFormatIdc: 2, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.7a001f',
  },
  {
    // ffprobe: High 4:4:4 Predictive, level 13, 320x240
    name: 'high 4:4:4 320x240',
    hex: '67f4000d919b28283f6022000003000200000300781e28532c',
    profileIdc: 244, constraintFlags: 0, levelIdc: 13, width: 320, height: 240,
    chromaFormatIdc: 3, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.f4000d',
  },
  {
    // ffprobe: High 4:4:4 Predictive, level 13, 322x242 (336x256 coded, crop unit 1)
    name: 'high 4:4:4 322x242',
    hex: '67f4000d919b282a10f1f1f80880000003008000001e078a14cb',
    profileIdc: 244, constraintFlags: 0, levelIdc: 13, width: 322, height: 242,
    chromaFormatIdc: 3, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.f4000d',
  },
  {
    // ffprobe: High, level 31, 1280x720; SPS scaling lists 0, 2 (use default), 6 (ends early), 7
    name: 'high 1280x720 with SPS scaling lists',
    hex: '6764001fad9524924924924844430140a05028140a050281401bb0103ffffffffffffffff65014016ec044000003000400000300f03c60c658',
    profileIdc: 100, constraintFlags: 0, levelIdc: 31, width: 1280, height: 720,
    chromaFormatIdc: 1, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.64001f',
  },
  {
    // ffprobe: High 4:4:4 Predictive, level 13, 322x242; 12 SPS scaling lists, 9 and 11 "use default"
    name: 'high 4:4:4 322x242 with 12 SPS scaling lists',
    hex: '67f4000d91b2a4924924924908886028140a05028140a0502803760207fffffffffffffffa11423b282a10f1f1f80880000003008000001e078a14cb',
    profileIdc: 244, constraintFlags: 0, levelIdc: 13, width: 322, height: 242,
    chromaFormatIdc: 3, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.f4000d',
  },
  {
    // ffprobe: Main, level 40, 1920x1080, r_frame_rate 25/1; the VUI holds NAL HRD parameters
    // (x264 nal-hrd=vbr) before its bitstream restriction
    name: 'main 1920x1080 with HRD parameters',
    hex: '674d4028f200f0044fcb808800000300080000030193030007a12000f425361803c60c4480',
    profileIdc: 77, constraintFlags: 0x40, levelIdc: 40, width: 1920, height: 1080,
    chromaFormatIdc: 1, bitDepth: 8, frameMbsOnly: true, codec: 'avc1.4d4028', frameRate: 25,
  },
];

function fixture(name: string): Buffer {
  const found = fixtures.find((f) => f.name === name);
  assert.ok(found, name);
  return Buffer.from(found.hex, 'hex');
}

describe('parseSps', () => {
  for (const f of fixtures) {
    it(`reads ${f.name} as ffprobe does`, () => {
      const sps = parseSps(Buffer.from(f.hex, 'hex'));
      assert.equal(sps.profileIdc, f.profileIdc);
      assert.equal(sps.constraintFlags, f.constraintFlags);
      assert.equal(sps.levelIdc, f.levelIdc);
      assert.equal(sps.width, f.width);
      assert.equal(sps.height, f.height);
      assert.equal(sps.chromaFormatIdc, f.chromaFormatIdc);
      assert.equal(sps.bitDepthLuma, f.bitDepth);
      assert.equal(sps.bitDepthChroma, f.bitDepth);
      assert.equal(sps.frameMbsOnly, f.frameMbsOnly);
      assert.equal(sps.codec, f.codec);
      assert.equal(sps.spsId, 0);
      // x264 writes VUI timing (ffprobe: r_frame_rate 30/1 unless said otherwise).
      assert.equal(sps.frameRate, f.frameRate ?? 30);
    });
  }

  it('removes emulation prevention bytes before reading', () => {
    // x264's VUI timing (num_units_in_tick 1, time_scale 60) has runs of zero bits that the encoder
    // escaped (00 00 03 twice); read with the 03 bytes in place it would give another frame rate.
    const nal = fixture('constrained baseline 1920x1080');
    assert.ok(nal.includes(Buffer.from('0000030004000003', 'hex')));
    assert.equal(parseSps(nal).frameRate, 30);
  });

  it('reads what slice headers need for the picture order, and the reorder depth, as ffmpeg trace_headers does', () => {
    // x264 high (3 B-frames, pyramid): POC type 0 with 6 LSB bits, 4 reference frames, 2 reordered.
    const high = parseSps(fixture('high 1920x1080'));
    assert.equal(high.picOrderCntType, 0);
    assert.equal(high.log2MaxFrameNum, 4);
    assert.equal(high.log2MaxPocLsb, 6);
    assert.equal(high.maxNumRefFrames, 4);
    assert.equal(high.maxNumReorderFrames, 2);
    assert.equal(high.separateColourPlane, false);
    // x264 baseline: POC type 2 (output order is decode order), nothing reordered.
    const baseline = parseSps(fixture('constrained baseline 1920x1080'));
    assert.equal(baseline.picOrderCntType, 2);
    assert.equal(baseline.log2MaxPocLsb, 0);
    assert.equal(baseline.maxNumRefFrames, 3);
    assert.equal(baseline.maxNumReorderFrames, 0);
    // Past the HRD parameters: bframes=1 gives 1 reordered frame.
    const hrd = parseSps(fixture('main 1920x1080 with HRD parameters'));
    assert.equal(hrd.picOrderCntType, 0);
    assert.equal(hrd.maxNumReorderFrames, 1);
  });

  it('refuses a NAL unit that is not an SPS', () => {
    assert.throws(() => parseSps(Buffer.from('68ebe3cb22c0', 'hex')), SpsError); // a PPS
    assert.throws(() => parseSps(Buffer.from('674d', 'hex')), SpsError); // too short to be one
  });

  it('throws a BitstreamError when the SPS ends before its VUI, and keeps the size when only the VUI is cut', () => {
    const full = fixture('high 1920x1080');
    let sizedPrefixes = 0;
    for (let length = 4; length < full.length; length++) {
      const prefix = full.subarray(0, length);
      let sps;
      try {
        sps = parseSps(prefix);
      } catch (error) {
        assert.ok(error instanceof BitstreamError, `prefix of ${length} bytes: ${String(error)}`);
        continue;
      }
      sizedPrefixes++;
      assert.equal(sps.width, 1920, `prefix of ${length} bytes`);
      assert.equal(sps.height, 1080, `prefix of ${length} bytes`);
      assert.ok(sps.frameRate === undefined || sps.frameRate === 30);
      assert.ok(sps.maxNumReorderFrames === undefined || sps.maxNumReorderFrames === 2);
    }
    assert.ok(sizedPrefixes > 0, 'some prefixes end inside the VUI');
  });

  it('refuses a cropping window larger than the picture', () => {
    // Baseline 16x16: one macroblock, crop right 8 units of 2 pixels (bits hand-assembled):
    // profile 66, flags c0, level 10, sps_id 0, log2_max_frame_num-4 0, poc type 2,
    // max_num_ref_frames 1, gaps 0, width-1 0, height-1 0, frame_mbs_only 1, direct_8x8 1,
    // frame_cropping 1, left 0, right 8, top 0, bottom 0, vui 0, stop bit.
    const bits = '1' + '1' + '011' + '010' + '0' + '1' + '1' + '1' + '1' + '1' + '1' + '0001001' + '1' + '1' + '0' + '1';
    const padded = bits + '0'.repeat((8 - (bits.length % 8)) % 8);
    const body = Buffer.from(padded.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
    const nal = Buffer.concat([Buffer.from([0x67, 66, 0xc0, 10]), body]);
    assert.throws(() => parseSps(nal), /cropping window/);
    // The same SPS cropping 4 units (8 pixels) is a valid 8x16 picture.
    const fine = Buffer.from(nal);
    const fineBits = bits.replace('0001001', '00101');
    const finePadded = fineBits + '0'.repeat((8 - (fineBits.length % 8)) % 8);
    Buffer.from(finePadded.match(/.{8}/g)!.map((b) => parseInt(b, 2))).copy(fine, 4);
    const sps = parseSps(fine.subarray(0, 4 + finePadded.length / 8));
    assert.equal(sps.width, 8);
    assert.equal(sps.height, 16);
    assert.equal(sps.frameRate, undefined);
  });
});
