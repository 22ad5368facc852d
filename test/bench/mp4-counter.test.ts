import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NalType, type AccessUnit } from '../../src/formats/h264/access-unit.js';
import { AnnexBParser } from '../../src/formats/h264/annexb.js';
import { Fmp4Packager } from '../../src/formats/mp4/fmp4.js';
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

test('tells a viewer that went on from a keyframe from one that skipped into a group of pictures', () => {
  const { init, pictures: all } = pictures();
  // 0-4, then from the keyframe at 15: a resynchronisation, 10 pictures skipped.
  const resynced = [...all.slice(0, 5), ...all.slice(15, 20)];
  const a = count([head, init, ...resynced.map((p) => p.fragment)]).counter;
  assert.equal(a.error, undefined);
  assert.deepEqual([a.frames, a.keyframes, a.gaps, a.skipped, a.resyncs, a.brokenChains], [10, 2, 1, 10, 1, 0]);
  // 0-4, then 7-9: the picture after the gap refers to pictures the viewer never got.
  const broken = [...all.slice(0, 5), ...all.slice(7, 10)];
  const b = count([head, init, ...broken.map((p) => p.fragment)]).counter;
  assert.deepEqual([b.frames, b.gaps, b.skipped, b.resyncs, b.brokenChains], [8, 1, 2, 0, 1]);
  // Starting inside a group of pictures.
  const c = count([head, init, ...all.slice(3, 6).map((p) => p.fragment)]).counter;
  assert.equal(c.startedWithoutKeyframe, true);
});

test('a gap in the stamps where the fragments follow each other is the camera\'s, not the viewer\'s', () => {
  const { bytes } = loadH264Fixtures().find((f) => f.name === 'high-g15.h264')!;
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  const packager = new Fmp4Packager({ framerate: 30 });
  // The camera dropped frame 3 before encoding: stamps 0, 1, 2, 4, 5, every picture packaged.
  const out = parser.push(bytes).slice(0, 5).map((au, i) => {
    const seq = i < 3 ? i : i + 1;
    const firstSlice = au.nals.findIndex((n) => [NalType.slice, NalType.idr].includes((n[0]! & 0x1f) as 1 | 5));
    const nals = [...au.nals.slice(0, firstSlice), buildStampSei(seq, T0 + seq * 33_333), ...au.nals.slice(firstSlice)];
    return packager.package({ ...au, nals }, i * 33.3)!;
  });
  const { counter, frames } = count([head, out[0]!.init!, ...out.map((o) => o.fragment)]);
  assert.equal(counter.error, undefined);
  assert.deepEqual(frames.map(([seq]) => seq), [0, 1, 2, 4, 5]);
  assert.deepEqual([counter.gaps, counter.brokenChains, counter.cameraGaps], [0, 0, 1]);
});

test('accepts a new init segment between fragments (the camera changed its parameter sets)', () => {
  const { init, pictures: all } = pictures();
  const { counter, frames } = count([head, init, all[0]!.fragment, all[1]!.fragment, init, all[15]!.fragment]);
  assert.equal(counter.error, undefined);
  assert.equal(counter.inits, 2);
  assert.deepEqual(frames, expected([all[0]!, all[1]!, all[15]!]));
});

test('counts a picture without a stamp as unstamped', () => {
  const { bytes } = loadH264Fixtures().find((f) => f.name === 'high-g15.h264')!;
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  const packager = new Fmp4Packager({ framerate: 30 });
  const out = parser.push(bytes).slice(0, 3).map((au, i) => packager.package(au, i * 33.3)!);
  const { counter, frames } = count([head, out[0]!.init!, ...out.map((o) => o.fragment)]);
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
  const cases: Array<[string, Buffer, RegExp]> = [
    ['unavailable', Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'), /status 503/],
    ['chunked', Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nTransfer-Encoding: chunked\r\n\r\n'), body]), /chunked/],
    ['wrong type', Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n'), body]), /video\/mp4/],
    ['no init segment', Buffer.concat([head, all[0]!.fragment]), /before the init segment/],
    ['mdat without moof', Buffer.concat([head, init, mdat]), /not after a moof/],
    ['moof without mdat', Buffer.concat([head, init, moof, moof]), /not an mdat/],
    ['NAL unit too long', Buffer.concat([head, init, moof, badNal]), /NAL unit of/],
    ['moof without mfhd', Buffer.concat([head, init, Buffer.from([0, 0, 0, 24]), Buffer.from('moof'), Buffer.alloc(16)]), /mfhd/],
    ['endless box', Buffer.concat([head, Buffer.from([0, 0, 0, 0]), Buffer.from('mdat')]), /endless or broken/],
  ];
  for (const [name, input, error] of cases) {
    const { counter, frames } = count([input]);
    assert.match(counter.error ?? '', error, name);
    assert.ok(counter.failed, name);
    assert.equal(frames.length, 0, name);
  }
});
