import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NalType, type AccessUnit } from '../../../src/formats/h264/access-unit.js';
import { Fmp4Packager, NON_SYNC_SAMPLE_FLAGS, SYNC_SAMPLE_FLAGS } from '../../../src/formats/mp4/fmp4.js';
import { readFileSync } from 'node:fs';
import { AnnexBParser } from '../../../src/formats/h264/annexb.js';
import { chunked, fixturePath, pushAll } from '../../fixtures/h264/index.js';
import { findBox, fullBoxFields, readBoxes, readFragment, splitLengthPrefixed, types } from '../../fakes/mp4-reader.js';

// Parameter sets written by x264 (ffmpeg 5.1, testsrc2): constrained baseline 640x480 level 3.0 (POC
// type 2, so slices are shown in decode order and their headers are not read), and high 1280x720
// level 3.1 with B-frames (POC type 0).
const BASELINE_SPS = Buffer.from('6742c01ed900a03db0110000030001000003003c0f162e48', 'hex');
const BASELINE_PPS = Buffer.from('68cb83cb20', 'hex');
const HIGH_SPS = Buffer.from('6764001facd9405005bb0110000003001000000303c0f1831960', 'hex');
const HIGH_PPS = Buffer.from('68ebe3cb22c0', 'hex');

const AUD = Buffer.from([0x09, 0xf0]);
const SEI = Buffer.from([0x06, 0x05, 0x01, 0xaa, 0x80]);

/** A slice NAL unit of `type` (1 or 5) with `length` bytes: a recognisable fill after its header. */
function slice(type: number, length: number, fill: number): Buffer {
  const nal = Buffer.alloc(length, fill);
  nal[0] = (3 << 5) | type;
  return nal;
}

function unit(nals: Buffer[], extra: Partial<AccessUnit> = {}): AccessUnit {
  const keyframe = nals.some((n) => (n[0]! & 0x1f) === NalType.idr);
  const sps = nals.find((n) => (n[0]! & 0x1f) === NalType.sps);
  const pps = nals.find((n) => (n[0]! & 0x1f) === NalType.pps);
  return {
    nals,
    keyframe,
    ...(sps ? { sps } : {}),
    ...(pps ? { pps } : {}),
    bytes: nals.reduce((sum, n) => sum + n.length, 0),
    ...extra,
  };
}

function keyUnit(sps = BASELINE_SPS, pps = BASELINE_PPS, fill = 0x11): AccessUnit {
  return unit([AUD, sps, pps, SEI, slice(NalType.idr, 40, fill)]);
}

function deltaUnit(fill = 0x22): AccessUnit {
  return unit([SEI, slice(NalType.slice, 20, fill)]);
}

describe('Fmp4Packager: before the first keyframe', () => {
  it('emits nothing until a keyframe with SPS and PPS, then the init segment with that fragment', () => {
    const packager = new Fmp4Packager({ framerate: 30 });
    assert.equal(packager.package(deltaUnit(), 0), undefined, 'a P picture first');
    assert.equal(packager.package(unit([SEI, slice(NalType.idr, 30, 1)]), 33), undefined, 'an IDR without parameter sets');
    assert.equal(packager.package(unit([BASELINE_SPS, slice(NalType.idr, 30, 1)]), 66), undefined, 'an IDR without PPS');
    assert.equal(packager.package(unit([BASELINE_SPS, BASELINE_PPS, slice(NalType.slice, 30, 1)]), 100), undefined, 'parameter sets on a P picture');
    assert.equal(packager.codec, undefined);
    assert.equal(packager.init, undefined);

    const out = packager.package(keyUnit(), 133);
    assert.ok(out?.init, 'the init segment comes with the first keyframe');
    assert.equal(out.keyframe, true);
    assert.equal(readFragment(out.fragment).sequenceNumber, 1, 'skipped units used no sequence number');
    assert.equal(readFragment(out.fragment).decodeTime, 0, 'decode times count from the first fragment');
    assert.equal(packager.codec, 'avc1.42c01e');
    assert.equal(packager.init, out.init);
    assert.equal(packager.video?.width, 640);
  });
});

describe('Fmp4Packager: init segment', () => {
  for (const [name, sps, pps, width, height, codec] of [
    ['constrained baseline 640x480', BASELINE_SPS, BASELINE_PPS, 640, 480, 'avc1.42c01e'],
    ['high 1280x720', HIGH_SPS, HIGH_PPS, 1280, 720, 'avc1.64001f'],
  ] as const) {
    it(`lays out ftyp and moov for ${name}`, () => {
      const packager = new Fmp4Packager({ framerate: 30 });
      const init = packager.package(keyUnit(sps, pps), 0)?.init;
      assert.ok(init);
      assert.equal(packager.codec, codec);
      const boxes = readBoxes(init);
      assert.deepEqual(types(boxes), ['ftyp', 'moov']);

      const ftyp = findBox(boxes, 'ftyp').payload;
      assert.equal(ftyp.toString('latin1', 0, 4), 'isom', 'major brand');
      const brands = ftyp.toString('latin1', 8).match(/.{4}/g);
      assert.deepEqual(brands, ['isom', 'iso5', 'iso6', 'avc1', 'mp41']);

      assert.deepEqual(types(findBox(boxes, 'moov').children), ['mvhd', 'trak', 'mvex']);
      const mvhd = fullBoxFields(findBox(boxes, 'moov/mvhd'));
      assert.equal(mvhd.body.readUInt32BE(8), 90000, 'mvhd timescale');
      assert.equal(mvhd.body.readUInt32BE(12), 0, 'mvhd duration: unknown');
      assert.equal(mvhd.body.readUInt32BE(92), 2, 'next_track_ID');

      assert.deepEqual(types(findBox(boxes, 'moov/trak').children), ['tkhd', 'mdia']);
      const tkhd = fullBoxFields(findBox(boxes, 'moov/trak/tkhd'));
      assert.equal(tkhd.flags, 3, 'track enabled and in the movie');
      assert.equal(tkhd.body.readUInt32BE(8), 1, 'track_ID');
      assert.equal(tkhd.body.readUInt32BE(72), width * 0x10000, 'tkhd width, 16.16');
      assert.equal(tkhd.body.readUInt32BE(76), height * 0x10000, 'tkhd height, 16.16');

      assert.deepEqual(types(findBox(boxes, 'moov/trak/mdia').children), ['mdhd', 'hdlr', 'minf']);
      assert.equal(fullBoxFields(findBox(boxes, 'moov/trak/mdia/mdhd')).body.readUInt32BE(8), 90000, 'mdhd timescale');
      assert.equal(fullBoxFields(findBox(boxes, 'moov/trak/mdia/hdlr')).body.toString('latin1', 4, 8), 'vide');
      assert.deepEqual(types(findBox(boxes, 'moov/trak/mdia/minf').children), ['vmhd', 'dinf', 'stbl']);
      assert.equal(fullBoxFields(findBox(boxes, 'moov/trak/mdia/minf/vmhd')).flags, 1);
      assert.equal(fullBoxFields(findBox(boxes, 'moov/trak/mdia/minf/dinf/dref/url ')).flags, 1, 'media in this file');

      const stbl = findBox(boxes, 'moov/trak/mdia/minf/stbl');
      assert.deepEqual(types(stbl.children), ['stsd', 'stts', 'stsc', 'stsz', 'stco']);
      for (const empty of ['stts', 'stsc', 'stco']) {
        assert.equal(fullBoxFields(findBox(stbl.children, empty)).body.readUInt32BE(0), 0, `${empty} has no entries`);
      }
      assert.deepEqual(fullBoxFields(findBox(stbl.children, 'stsz')).body, Buffer.alloc(8), 'stsz: no samples');

      const avc1 = findBox(stbl.children, 'stsd/avc1');
      assert.equal(avc1.payload.readUInt16BE(6), 1, 'data_reference_index');
      assert.equal(avc1.payload.readUInt16BE(24), width);
      assert.equal(avc1.payload.readUInt16BE(26), height);
      assert.equal(avc1.payload.readUInt16BE(74), 0x18, 'depth');
      assert.deepEqual(types(avc1.children), ['avcC']);

      const avcC = findBox(avc1.children, 'avcC').payload;
      assert.equal(avcC[0], 1, 'configurationVersion');
      assert.deepEqual([...avcC.subarray(1, 4)], [...sps.subarray(1, 4)], 'profile, compatibility and level from the SPS');
      assert.equal(avcC[4], 0xff, '4-byte NAL lengths');
      assert.equal(avcC[5], 0xe1, 'one SPS');
      assert.equal(avcC.readUInt16BE(6), sps.length);
      assert.deepEqual(avcC.subarray(8, 8 + sps.length), sps);
      let at = 8 + sps.length;
      assert.equal(avcC[at], 1, 'one PPS');
      assert.equal(avcC.readUInt16BE(at + 1), pps.length);
      assert.deepEqual(avcC.subarray(at + 3, at + 3 + pps.length), pps);
      at += 3 + pps.length;
      if (sps[1] === 66) {
        assert.equal(at, avcC.length, 'baseline: nothing after the PPS');
      } else {
        assert.deepEqual([...avcC.subarray(at)], [0xfd, 0xf8, 0xf8, 0], 'high: 4:2:0, 8-bit, no SPS extensions');
      }

      const trex = fullBoxFields(findBox(boxes, 'moov/mvex/trex'));
      assert.equal(trex.body.readUInt32BE(0), 1, 'trex track_ID');
      assert.equal(trex.body.readUInt32BE(4), 1, 'default_sample_description_index');
    });
  }
});

describe('Fmp4Packager: fragments', () => {
  it('puts the slices and SEI, length-prefixed, in the mdat that trun data_offset points at', () => {
    const packager = new Fmp4Packager({ framerate: 30 });
    const key = keyUnit();
    const first = packager.package(key, 0);
    assert.ok(first);
    const sample = readFragment(first.fragment);
    assert.equal(sample.trackId, 1);
    assert.equal(sample.tfhdFlags, 0x020000, 'default-base-is-moof');
    assert.equal(sample.trunFlags, 0x000f01, 'data offset, duration, size, flags, composition offset');
    const moofSize = first.fragment.readUInt32BE(0);
    assert.equal(sample.dataOffset, moofSize + 8, 'data_offset: the first byte after the mdat header');
    assert.equal(sample.size, sample.mdatPayload.length, 'the sample is the whole mdat');
    assert.equal(sample.data.byteOffset, sample.mdatPayload.byteOffset);
    assert.equal(first.fragment.length, moofSize + 8 + sample.size, 'moof and mdat, nothing else');
    // AUD, SPS and PPS left out (the PPS and SPS are in avcC); SEI and slice kept, in order.
    assert.deepEqual(splitLengthPrefixed(sample.data), [SEI, key.nals[4]]);
    assert.equal(sample.flags, SYNC_SAMPLE_FLAGS);
    assert.equal(sample.flags, 0x02000000, 'sample_depends_on 2, sync');
    assert.equal(sample.compositionOffset, 0, 'POC type 2: shown in decode order');

    const delta = deltaUnit();
    const second = packager.package(delta, 33);
    assert.ok(second);
    assert.equal(second.init, undefined);
    assert.equal(second.keyframe, false);
    const deltaSample = readFragment(second.fragment);
    assert.equal(deltaSample.flags, NON_SYNC_SAMPLE_FLAGS);
    assert.equal(deltaSample.flags, 0x01010000, 'sample_depends_on 1, is_non_sync_sample');
    assert.deepEqual(splitLengthPrefixed(deltaSample.data), delta.nals);
  });

  it('copies the NAL units once into a fragment of its exact size', () => {
    const packager = new Fmp4Packager({ framerate: 30 });
    packager.package(keyUnit(), 0);
    const chunk = Buffer.concat([SEI, slice(NalType.slice, 1000, 0x33)]);
    const nals = [chunk.subarray(0, SEI.length), chunk.subarray(SEI.length)];
    const out = packager.package(unit(nals), 33);
    assert.ok(out);
    const before = Buffer.from(out.fragment);
    chunk.fill(0); // the camera's buffer is reused or freed: the fragment does not change
    assert.deepEqual(out.fragment, before);
    assert.equal(out.fragment.length, readFragment(out.fragment).dataOffset + 4 + SEI.length + 4 + 1000);
  });

  it('follows arrival times from the first fragment, in the timescale, strictly increasing; each sample lasts the nominal frame period', () => {
    const packager = new Fmp4Packager({ framerate: 30 });
    const arrivals = [5000, 5033.4, 5066.7, 5066.7, 5050, 5100.1];
    const samples = arrivals.map((at, i) => {
      const out = packager.package(i === 0 ? keyUnit() : deltaUnit(), at);
      assert.ok(out);
      return readFragment(out.fragment);
    });
    assert.deepEqual(
      samples.map((s) => s.decodeTime),
      [0, 3006, 6003, 6093, 6183, 9009],
      'arrival ms x 90, at least a millisecond (90 ticks) after the one before',
    );
    assert.deepEqual(samples.map((s) => s.duration), new Array(arrivals.length).fill(3000));
    assert.deepEqual(samples.map((s) => s.sequenceNumber), [1, 2, 3, 4, 5, 6]);
  });

  it('steps less than two frame periods after a late frame, makes up the time with the next ones, and jumps at a keyframe', () => {
    const packager = new Fmp4Packager({ framerate: 30 });
    // 150 ms late from the 4th frame on: the late ones arrive together; then the camera stalls 1 s.
    const arrivals: [number, boolean][] = [
      [0, true], [33.3, false], [66.7, false], [250, false], [250, false], [250, false], [266.7, false],
      [300, false], [1300, false], [1333.3, true],
    ];
    const times = arrivals.map(([at, key]) => {
      const out = packager.package(key ? keyUnit() : deltaUnit(), at);
      assert.ok(out);
      return readFragment(out.fragment).decodeTime;
    });
    assert.deepEqual(times, [0, 2997, 6003, 12002, 18001, 22500, 24003, 27000, 32999, 119997]);
    // What Chromium's MSE needs: no step of two frame periods or more between keyframes.
    for (let i = 1; i < times.length - 1; i++) assert.ok(times[i]! - times[i - 1]! < 6000, `step ${i}`);
  });

  it('keeps whole frame periods within a group when pictures are reordered, and the arrival time at a keyframe if later', () => {
    // x264 high: POC type 0 with 2 frames of reordering. The slices here hold no real slice headers, so
    // their composition offsets are whatever the fill bytes read as; the decode steps are under test.
    const packager = new Fmp4Packager({ framerate: 30 });
    const arrivals: [number, boolean][] = [[0, true], [10, false], [200, false], [210, false], [220, true], [500, true], [501, false]];
    const samples = arrivals.map(([at, key]) => {
      const out = packager.package(key ? keyUnit(HIGH_SPS, HIGH_PPS) : deltaUnit(), at);
      assert.ok(out);
      return readFragment(out.fragment);
    });
    assert.deepEqual(samples.map((s) => s.decodeTime), [0, 3000, 6000, 9000, 19800, 45000, 48000]);
  });

  it('uses the timescale and frame rate it is given', () => {
    const packager = new Fmp4Packager({ timescale: 1000, framerate: 25 });
    const init = packager.package(keyUnit(), 0)?.init;
    assert.ok(init);
    assert.equal(fullBoxFields(findBox(readBoxes(init), 'moov/mvhd')).body.readUInt32BE(8), 1000);
    const out = packager.package(deltaUnit(), 40.4);
    assert.ok(out);
    assert.equal(readFragment(out.fragment).decodeTime, 40);
    assert.equal(readFragment(out.fragment).duration, 40);
    assert.throws(() => new Fmp4Packager({ framerate: 0 }), RangeError);
    assert.throws(() => new Fmp4Packager({ framerate: 30, timescale: 0 }), RangeError);
  });

  it('skips a unit with nothing for a sample without using a sequence number', () => {
    const packager = new Fmp4Packager({ framerate: 30 });
    packager.package(keyUnit(), 0);
    assert.equal(packager.package(unit([AUD, Buffer.alloc(0)]), 33), undefined);
    const out = packager.package(deltaUnit(), 66);
    assert.ok(out);
    assert.equal(readFragment(out.fragment).sequenceNumber, 2);
  });
});

describe('Fmp4Packager: parameter set changes', () => {
  it('emits a new init segment only when the SPS or PPS change', () => {
    const packager = new Fmp4Packager({ framerate: 30 });
    const first = packager.package(keyUnit(), 0);
    assert.ok(first?.init);
    // rpicam-vid --inline repeats the same parameter sets before every IDR: no new init.
    const repeat = packager.package(keyUnit(Buffer.from(BASELINE_SPS), Buffer.from(BASELINE_PPS)), 33);
    assert.ok(repeat);
    assert.equal(repeat.init, undefined);
    assert.equal(packager.init, first.init);

    const changed = packager.package(keyUnit(HIGH_SPS, HIGH_PPS), 66);
    assert.ok(changed?.init, 'a new size comes with a new init segment');
    assert.equal(packager.codec, 'avc1.64001f');
    assert.equal(packager.init, changed.init);
    const tkhd = fullBoxFields(findBox(readBoxes(changed.init), 'moov/trak/tkhd'));
    assert.equal(tkhd.body.readUInt32BE(72), 1280 * 0x10000);
    assert.equal(tkhd.body.readUInt32BE(76), 720 * 0x10000);
    assert.equal(readFragment(changed.fragment).sequenceNumber, 3, 'sequence numbers carry on');
  });

  it('puts the parameter sets in the sample of a keyframe that changes them, never in the first one', () => {
    const packager = new Fmp4Packager({ framerate: 30 });
    const nalTypes = (fragment: Buffer) => splitLengthPrefixed(readFragment(fragment).data).map((n) => n[0]! & 0x1f);
    const first = packager.package(keyUnit(), 0)!;
    assert.deepEqual(nalTypes(first.fragment), [NalType.sei, NalType.idr], 'the first init segment has them: the sample does not');
    assert.deepEqual(nalTypes(packager.package(keyUnit(), 33)!.fragment), [NalType.sei, NalType.idr], 'the same ones repeated');
    // Players that read only the first moov (ffmpeg, mpv, GStreamer) learn the new ones from the sample.
    const changed = packager.package(keyUnit(HIGH_SPS, HIGH_PPS), 66)!;
    assert.ok(changed.init);
    const nals = splitLengthPrefixed(readFragment(changed.fragment).data);
    assert.deepEqual(nals.map((n) => n[0]! & 0x1f), [NalType.sps, NalType.pps, NalType.sei, NalType.idr]);
    assert.deepEqual(nals.slice(0, 2), [HIGH_SPS, HIGH_PPS]);
    assert.deepEqual(nalTypes(packager.package(deltaUnit(), 100)!.fragment), [NalType.sei, NalType.slice]);
    // After reset() (the camera restarts) the next init is not the first either: a viewer may have seen others since.
    packager.reset();
    const back = packager.package(keyUnit(), 133)!;
    assert.ok(back.init);
    assert.deepEqual(nalTypes(back.fragment), [NalType.sps, NalType.pps, NalType.sei, NalType.idr]);
  });

  it('keeps copies of the parameter sets, not views into the camera output', () => {
    const packager = new Fmp4Packager({ framerate: 30 });
    const sps = Buffer.from(BASELINE_SPS);
    const pps = Buffer.from(BASELINE_PPS);
    assert.ok(packager.package(keyUnit(sps, pps), 0)?.init);
    sps.fill(0);
    pps.fill(0);
    assert.equal(packager.package(keyUnit(), 33)?.init, undefined, 'the same parameter sets as before');
  });

  it('starts over at the next keyframe after reset(), with decode times and sequence numbers carrying on', () => {
    const packager = new Fmp4Packager({ framerate: 30 });
    packager.package(keyUnit(), 0);
    packager.package(deltaUnit(), 33);
    packager.reset();
    assert.equal(packager.codec, undefined);
    assert.equal(packager.package(deltaUnit(), 66), undefined, 'a P picture after reset');
    const out = packager.package(keyUnit(), 100);
    assert.ok(out?.init, 'the same parameter sets come with an init segment again');
    const sample = readFragment(out.fragment);
    assert.equal(sample.sequenceNumber, 3);
    assert.equal(sample.decodeTime, 9000);
  });

  it('counts and skips a keyframe whose SPS cannot be read, and emits nothing until a usable one', () => {
    const packager = new Fmp4Packager({ framerate: 30 });
    const broken = Buffer.from([0x67, 0x64, 0x00, 0x1f]); // ends before seq_parameter_set_id
    assert.equal(packager.package(keyUnit(broken), 0), undefined);
    assert.equal(packager.invalidParameterSets, 1);
    assert.equal(packager.package(deltaUnit(), 33), undefined);
    const out = packager.package(keyUnit(), 66);
    assert.ok(out?.init);
    assert.equal(packager.invalidParameterSets, 1);
  });
});

describe('Fmp4Packager: a real x264 stream with B-frames', () => {
  // test/fixtures/h264/README.md: 30 frames of 160x120 high profile, 15-frame GOPs, 3 B-frames with
  // pyramid. ffprobe -show_entries frame=coded_picture_number lists the pictures in output order:
  const outputOrder = [0, 3, 2, 4, 1, 7, 6, 8, 5, 10, 11, 9, 13, 14, 12, 15, 18, 17, 19, 16, 22, 21, 23, 20, 26, 25, 27, 24, 29, 28];
  const stream = readFileSync(fixturePath('testsrc2-160x120-high.h264'));

  it('gives every picture a presentation time in ffprobe\'s output order, one frame period apart', () => {
    // Cut by the Annex-B parser from pipe-sized chunks, as the camera's output arrives.
    const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
    const units = [...pushAll(parser, chunked(stream, [4096, 1000, 65536])), ...parser.flush()];
    assert.equal(units.length, 30);
    const packager = new Fmp4Packager({ framerate: 30 });
    const samples = units.map((au, i) => {
      const out = packager.package(au, (i * 1000) / 30);
      assert.ok(out, `unit ${i} packaged`);
      assert.equal(out.init !== undefined, i === 0, 'one init segment: the repeated parameter sets are the same');
      assert.equal(out.keyframe, i === 0 || i === 15);
      return readFragment(out.fragment);
    });
    assert.equal(packager.codec, 'avc1.64000b');
    assert.equal(packager.video?.width, 160);
    const pts = samples.map((s) => s.decodeTime + s.compositionOffset);
    const byPresentation = [...pts.keys()].sort((a, b) => pts[a]! - pts[b]!);
    assert.deepEqual(byPresentation, outputOrder);
    const sorted = [...pts].sort((a, b) => a - b);
    assert.deepEqual(sorted.slice(1).map((t, i) => t - sorted[i]!), new Array(29).fill(3000));
    assert.equal(sorted[0], 2 * 3000, 'the first picture waits for the reorder depth (2 frames)');
    for (const [i, s] of samples.entries()) {
      assert.equal(s.flags, i === 0 || i === 15 ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS);
    }
  });
});
