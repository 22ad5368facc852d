import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NalType, type AccessUnit } from '../../src/formats/h264/access-unit.js';
import { AnnexBParser } from '../../src/formats/h264/annexb.js';
import { Fmp4Packager } from '../../src/formats/mp4/fmp4.js';
import { ViewerTimeline } from '../../src/formats/mp4/viewer-timeline.js';
import { buildStampSei } from '../../src/formats/h264/sei.js';
import { loadH264Fixtures } from '../fixtures/h264/index.js';
import { Mp4Counter } from './mp4-counter.js';

const head = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 9007199254740991\r\n\r\n');
const T0 = 1_700_000_000_000_000;

interface Picture {
  seq: number;
  tUs: number;
  fragment: Buffer;
  keyframe: boolean;
}

/**
 * A real stream as picamd serves it: the fixture's access units with the simulated camera's stamp
 * SEI before the first slice (after the encoder's own SEI, where there is one), packaged by
 * Fmp4Packager. Every picture, and the init segment.
 */
function pictures(fixture = 'high-g15.h264'): { init: Buffer; pictures: Picture[] } {
  const { bytes } = loadH264Fixtures().find((f) => f.name === fixture)!;
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  const units = [...parser.push(bytes), ...parser.flush()];
  const packager = new Fmp4Packager({ framerate: 30 });
  let init: Buffer | undefined;
  const out: Picture[] = [];
  units.forEach((au, i) => {
    const tUs = T0 + i * 33_333;
    const sei = buildStampSei(100 + i, tUs);
    const firstSlice = au.nals.findIndex((n) => [NalType.slice, NalType.idr].includes((n[0]! & 0x1f) as 1 | 5));
    const nals = [...au.nals.slice(0, firstSlice), sei, ...au.nals.slice(firstSlice)];
    const stamped: AccessUnit = { ...au, nals, bytes: au.bytes + sei.length, stampSeq: 100 + i, stampUs: tUs };
    const packaged = packager.package(stamped, i * 33.3);
    if (!packaged) return;
    init ??= packaged.init;
    out.push({ seq: 100 + i, tUs, fragment: packaged.fragment, keyframe: packaged.keyframe });
  });
  return { init: init!, pictures: out };
}

/** The fragments as one viewer gets them: its own timeline from decode time 0, numbered 1, 2, 3... whatever it skipped. */
function asViewer(fragments: Buffer[]): Buffer[] {
  const timeline = new ViewerTimeline();
  return fragments.map((f) => Buffer.concat(timeline.split(f)));
}

function count(chunks: Uint8Array[]) {
  const frames: Array<[number, number, number, boolean]> = [];
  const counter = new Mp4Counter((seq, tUs, size, keyframe) => frames.push([seq, tUs, size, keyframe]));
  for (const chunk of chunks) counter.push(chunk, 0, chunk.length);
  return { counter, frames };
}

const expected = (ps: Picture[]) => ps.map((p): [number, number, number, boolean] => [p.seq, p.tUs, p.fragment.length, p.keyframe]);

test('counts whole pictures, reads their stamps and keyframes, however the bytes are split', () => {
  const { init, pictures: all } = pictures();
  assert.equal(all.length, 60);
  const few = all.slice(0, 4);
  const bytes = Buffer.concat([head, init, ...few.map((p) => p.fragment)]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { counter, frames } = count([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.equal(counter.error, undefined, `cut at ${cut}`);
    assert.deepEqual(frames, expected(few), `cut at ${cut}`);
    assert.equal(counter.bytes, bytes.length);
  }
  const byteByByte = count([...bytes].map((b) => Buffer.from([b])));
  assert.deepEqual(byteByByte.frames, expected(few));

  const whole = Buffer.concat([head, init, ...all.map((p) => p.fragment)]);
  for (const size of [7, 100, 1500, 65_536]) {
    const chunks: Buffer[] = [];
    for (let o = 0; o < whole.length; o += size) chunks.push(whole.subarray(o, o + size));
    const { counter, frames } = count(chunks);
    assert.equal(counter.error, undefined, `chunks of ${size}`);
    assert.deepEqual(frames, expected(all), `chunks of ${size}`);
    assert.equal(counter.status, 200);
    assert.equal(counter.inits, 1);
    assert.equal(counter.keyframes, 4);
    assert.equal(counter.gaps, 0);
    assert.equal(counter.startedWithoutKeyframe, false);
  }
});

test('finds the stamp in pictures with several slices', () => {
  const { init, pictures: all } = pictures('baseline-slices.h264');
  const { counter, frames } = count([head, init, ...all.map((p) => p.fragment)]);
  assert.equal(counter.error, undefined);
  assert.deepEqual(frames, expected(all));
});

test('reads a window of a reused buffer', () => {
  const { init, pictures: all } = pictures();
  const bytes = Buffer.concat([head, init, ...all.map((p) => p.fragment)]);
  const seqs: number[] = [];
  const counter = new Mp4Counter((seq) => seqs.push(seq));
  const shared = Buffer.alloc(2000);
  for (let o = 0; o < bytes.length; o += 1700) {
    const n = bytes.copy(shared, 100, o, Math.min(o + 1700, bytes.length));
    counter.push(shared, 100, 100 + n);
    shared.fill(0xaa);
  }
  assert.deepEqual(seqs, all.map((p) => p.seq));
});

test('a picture is counted once the last byte of its mdat has arrived', () => {
  const { init, pictures: all } = pictures();
  const end = head.length + init.length + all[0]!.fragment.length;
  const bytes = Buffer.concat([head, init, all[0]!.fragment, all[1]!.fragment]);
  assert.equal(count([bytes.subarray(0, end - 1)]).frames.length, 0);
  assert.equal(count([bytes.subarray(0, end)]).frames.length, 1);
});

test('tells a viewer that went on from a keyframe from one that skipped into a group of pictures, by the decode times', () => {
  const { init, pictures: all } = pictures();
  // 0-4, then from the keyframe at 15: a resynchronisation, 10 pictures skipped. The viewer's
  // fragments are numbered 1 to 10 all the same.
  const resynced = [...all.slice(0, 5), ...all.slice(15, 20)];
  const a = count([head, init, ...asViewer(resynced.map((p) => p.fragment))]).counter;
  assert.equal(a.error, undefined);
  assert.deepEqual([a.frames, a.keyframes, a.gaps, a.skipped, a.resyncs, a.brokenChains], [10, 2, 1, 10, 1, 0]);
  // 0-4, then 7-9: the picture after the gap refers to pictures the viewer never got.
  const broken = [...all.slice(0, 5), ...all.slice(7, 10)];
  const b = count([head, init, ...asViewer(broken.map((p) => p.fragment))]).counter;
  assert.deepEqual([b.frames, b.gaps, b.skipped, b.resyncs, b.brokenChains], [8, 1, 2, 0, 1]);
  // One picture missing is the least gap there is: two frame periods.
  const one = [...all.slice(0, 5), ...all.slice(6, 8)];
  const c = count([head, init, ...asViewer(one.map((p) => p.fragment))]).counter;
  assert.deepEqual([c.gaps, c.skipped, c.brokenChains, c.cameraGaps], [1, 1, 1, 0]);
  // Every picture: no gap.
  const d = count([head, init, ...asViewer(all.map((p) => p.fragment))]).counter;
  assert.deepEqual([d.frames, d.gaps, d.skipped, d.cameraGaps], [60, 0, 0, 0]);
  // Starting inside a group of pictures.
  const e = count([head, init, ...asViewer(all.slice(3, 6).map((p) => p.fragment))]).counter;
  assert.equal(e.startedWithoutKeyframe, true);
});

/** The fixture's first `n` units, stamped `seqs[i]` (none where undefined), arriving at `atMs[i]`, each lasting `durationMs` when given. */
function packaged(n: number, seqs: (number | undefined)[], atMs: number[], durationMs?: number) {
  const { bytes } = loadH264Fixtures().find((f) => f.name === 'high-g15.h264')!;
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  const packager = new Fmp4Packager({ framerate: 30 });
  const out = parser.push(bytes).slice(0, n).map((au, i) => {
    const seq = seqs[i];
    if (seq === undefined) return packager.package(au, atMs[i]!, durationMs)!;
    const firstSlice = au.nals.findIndex((nal) => [NalType.slice, NalType.idr].includes((nal[0]! & 0x1f) as 1 | 5));
    const nals = [...au.nals.slice(0, firstSlice), buildStampSei(seq, T0 + seq * 33_333), ...au.nals.slice(firstSlice)];
    return packager.package({ ...au, nals }, atMs[i]!, durationMs)!;
  });
  return { init: out[0]!.init!, fragments: out.map((o) => o.fragment), keyframes: out.map((o) => o.keyframe) };
}

test('a gap in the stamps where the decode times show none is the camera\'s, not the viewer\'s', () => {
  // The camera dropped frame 3 before encoding: stamps 0, 1, 2, 4, 5, the fourth picture two frame
  // periods after the third (as it came from the camera), every picture sent.
  const at = [0, 1, 2, 4, 5].map((i) => i * 33.3);
  const { init, fragments } = packaged(5, [0, 1, 2, 4, 5], at);
  const { counter, frames } = count([head, init, ...asViewer(fragments)]);
  assert.equal(counter.error, undefined);
  assert.deepEqual(frames.map(([seq]) => seq), [0, 1, 2, 4, 5]);
  assert.deepEqual([counter.gaps, counter.brokenChains, counter.cameraGaps], [0, 0, 1]);
});

test('a keyframe long after the picture before it is no gap when the stamps follow each other (the camera stalled)', () => {
  // The fixture's keyframe at 15 arrives a second late; its stamp follows the one before.
  const at = Array.from({ length: 20 }, (_, i) => i * 33.3 + (i >= 15 ? 1000 : 0));
  const stamped = packaged(20, Array.from({ length: 20 }, (_, i) => i), at);
  assert.equal(stamped.keyframes[15], true);
  const a = count([head, stamped.init, ...asViewer(stamped.fragments)]).counter;
  assert.deepEqual([a.frames, a.gaps, a.cameraGaps], [20, 0, 0]);
  // Without stamps the decode times are all there is: taken as pictures skipped up to the keyframe.
  const bare = packaged(20, [], at);
  const b = count([head, bare.init, ...asViewer(bare.fragments)]).counter;
  assert.deepEqual([b.frames, b.gaps, b.resyncs, b.brokenChains], [20, 1, 1, 0]);
});

test('without stamps, gaps come from the decode times and the pictures\' durations', () => {
  // picamd's placeholder: a picture a second, each lasting a second (no stamp).
  const seconds = packaged(12, [], Array.from({ length: 12 }, (_, i) => i * 1000), 1000);
  const a = count([head, seconds.init, ...asViewer(seconds.fragments)]).counter;
  assert.deepEqual([a.frames, a.gaps], [12, 0]);
  // 30 fps without stamps: pictures 3 and 4 not sent.
  const bare = packaged(10, [], Array.from({ length: 10 }, (_, i) => i * 33.3));
  const b = count([head, bare.init, ...asViewer([...bare.fragments.slice(0, 3), ...bare.fragments.slice(5)])]).counter;
  assert.deepEqual([b.frames, b.gaps, b.skipped, b.brokenChains], [8, 1, 2, 1]);
});

test('accepts a new init segment between fragments (the camera changed its parameter sets), and compares no decode times across it', () => {
  const { init, pictures: all } = pictures();
  const { counter, frames } = count([head, init, ...asViewer([all[0]!.fragment, all[1]!.fragment]), init, ...asViewer([all[15]!.fragment])]);
  assert.equal(counter.error, undefined);
  assert.equal(counter.inits, 2);
  assert.equal(counter.gaps, 0);
  assert.deepEqual(frames, expected([all[0]!, all[1]!, all[15]!]));
});

test('counts a picture without a stamp as unstamped', () => {
  const { init, fragments } = packaged(3, [], [0, 33.3, 66.6]);
  const { counter, frames } = count([head, init, ...fragments]);
  assert.equal(counter.error, undefined);
  assert.deepEqual(frames.map(([seq, tUs]) => [seq, tUs]), [[-1, -1], [-1, -1], [-1, -1]]);
});

test('refuses what is not a raw fragmented MP4 stream of pictures', () => {
  const { init, pictures: all } = pictures();
  const body = Buffer.concat([init, all[0]!.fragment, all[1]!.fragment]);
  const moof = all[0]!.fragment.subarray(0, all[0]!.fragment.readUInt32BE(0));
  const mdat = all[0]!.fragment.subarray(moof.length);
  const badNal = Buffer.from(mdat);
  badNal.writeUInt32BE(mdat.length, 8); // the first NAL unit claims more than the mdat holds
  // The packager's layout: tfdt at 48 (renamed to a box the counter does not know), trun at 68 (its duration flag cleared).
  const withoutTfdt = Buffer.from(moof);
  withoutTfdt.write('free', 52, 'latin1');
  const withoutDuration = Buffer.from(moof);
  withoutDuration.writeUInt32BE(withoutDuration.readUInt32BE(76) & ~0x100, 76);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['unavailable', Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'), /status 503/],
    ['chunked', Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\n\r\n'), body]), /chunked/],
    ['wrong type', Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n'), body]), /video\/mp4/],
    ['no init segment', Buffer.concat([head, all[0]!.fragment]), /before the init segment/],
    ['mdat without moof', Buffer.concat([head, init, mdat]), /not after a moof/],
    ['moof without mdat', Buffer.concat([head, init, moof, moof]), /not an mdat/],
    ['NAL unit too long', Buffer.concat([head, init, moof, badNal]), /NAL unit of/],
    ['moof without mfhd', Buffer.concat([head, init, Buffer.from([0, 0, 0, 24]), Buffer.from('moof'), Buffer.alloc(16)]), /mfhd/],
    ['moof without tfdt', Buffer.concat([head, init, withoutTfdt, mdat]), /decode time/],
    ['moof without sample duration', Buffer.concat([head, init, withoutDuration, mdat]), /sample duration/],
    ['endless box', Buffer.concat([head, Buffer.from([0, 0, 0, 0]), Buffer.from('mdat')]), /endless or broken/],
  ];
  for (const [name, input, error] of cases) {
    const { counter, frames } = count([input]);
    assert.match(counter.error ?? '', error, name);
    assert.ok(counter.failed, name);
    assert.equal(frames.length, 0, name);
  }
});
