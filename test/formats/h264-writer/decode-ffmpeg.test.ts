// picamd's own H.264 (src/formats/h264-writer) read by a real decoder: Debian's ffmpeg decodes the
// placeholder streams with no error, and every decoded sample equals the encoder's own
// reconstruction (so the bitstream means to ffmpeg exactly what the encoder meant: a wrong table
// entry, transform or prediction rule would show here), and the picture is close to the source.
// CI installs ffmpeg; without it this test is skipped, except under CI=true.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseSps } from '../../../src/formats/h264/sps.js';
import { encodeIntraPicture } from '../../../src/formats/h264-writer/intra-picture.js';
import { writePps, writeSps, type StreamParameters } from '../../../src/formats/h264-writer/parameter-sets.js';
import { StillStream } from '../../../src/formats/h264-writer/still-stream.js';
import { rasterToYuv420, type Yuv420 } from '../../../src/formats/h264-writer/yuv.js';
import { drawPlaceholder } from '../../../src/media/placeholder.js';
import type { Raster } from '../../../src/formats/jpeg/raster.js';

const missing = ['ffmpeg', 'ffprobe'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const skip = missing.length > 0 && process.env.CI !== 'true' ? `needs ${missing.join(', ')} (apt-get install ffmpeg)` : false;

const START_CODE = Buffer.of(0, 0, 0, 1);

function annexB(nals: readonly Buffer[]): Buffer {
  return Buffer.concat(nals.flatMap((nal) => [START_CODE, nal]));
}

/** Decodes an Annex-B file to raw 4:2:0 frames; asserts that ffmpeg reports nothing. */
function decode(file: string): Buffer {
  const result = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'], { maxBuffer: 512 * 1024 * 1024 });
  if (result.error) throw result.error;
  assert.equal(result.status, 0, result.stderr.toString());
  assert.equal(result.stderr.toString(), '', 'ffmpeg reports no error');
  return result.stdout;
}

/** The picture's visible planes, Y then Cb then Cr, as ffmpeg writes a yuv420p frame. */
function visiblePlanes(picture: Yuv420, which: 'y' | 'cb' | 'cr' = 'y'): Buffer {
  if (which !== 'y') {
    const stride = picture.lumaWidth / 2;
    const rows = [];
    for (let row = 0; row < picture.height / 2; row++) rows.push(picture[which].subarray(row * stride, row * stride + picture.width / 2));
    return Buffer.concat(rows);
  }
  const rows = [];
  for (let row = 0; row < picture.height; row++) rows.push(picture.y.subarray(row * picture.lumaWidth, row * picture.lumaWidth + picture.width));
  return Buffer.concat([Buffer.concat(rows), visiblePlanes(picture, 'cb'), visiblePlanes(picture, 'cr')]);
}

function psnr(a: Buffer, b: Buffer): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se);
}

function params(width: number, height: number, extra: Partial<StreamParameters> = {}): StreamParameters {
  return { width, height, profileIdc: 100, constraintFlags: 0, levelIdc: 41, spsId: 1, ppsId: 1, qp: 24, ...extra };
}

/** A raster of random pixels: every kind of residual, to exercise the CAVLC tables. */
function noise(width: number, height: number, seed: number): Raster {
  const data = new Uint8Array(width * height * 3);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return { width, height, data };
}

describe('picamd H.264 pictures decoded by ffmpeg', { skip }, () => {
  const sizes: [number, number, number][] = [
    // width, height, and the most bytes its IDR picture may take
    [640, 360, 16 * 1024],
    [1280, 720, 24 * 1024],
    [1920, 1080, 32 * 1024],
    [200, 90, 8 * 1024], // neither a multiple of 16: coded in whole macroblocks and cropped
  ];
  for (const [width, height, maxIdrBytes] of sizes) {
    it(`the privacy placeholder at ${width}x${height}: an IDR of at most ${maxIdrBytes / 1024} KiB and skipped pictures, decoded exactly`, (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'picamd-h264w-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const p = params(width, height);
      const source = rasterToYuv420(drawPlaceholder('privacy', width, height));
      const stream = new StillStream(p, source, { keyframeInterval: 5 });
      const units = Array.from({ length: 12 }, () => stream.next());
      assert.deepEqual(units.map((u) => u.keyframe), [true, false, false, false, false, true, false, false, false, false, true, false]);
      const idr = units[0]!.nals[2]!;
      assert.ok(idr.length <= maxIdrBytes, `IDR picture: ${idr.length} bytes`);
      for (const u of units.slice(1, 5)) assert.ok(u.bytes < 16, `a skipped picture takes ${u.bytes} bytes`);
      const file = join(dir, 'still.h264');
      writeFileSync(file, annexB(units.flatMap((u) => u.nals)));

      const frames = decode(file);
      const frameBytes = (width * height * 3) / 2;
      assert.equal(frames.length, 12 * frameBytes, 'one decoded frame per picture');
      const expected = visiblePlanes(encodeIntraPicture(p, source, 0).decoded);
      for (let i = 0; i < 12; i++) {
        assert.ok(frames.subarray(i * frameBytes, (i + 1) * frameBytes).equals(expected), `frame ${i} is the encoder's reconstruction`);
      }
      assert.ok(psnr(expected, visiblePlanes(source)) > 45, 'close to the source picture');
    });
  }

  it('random pictures at every kind of quantiser: what ffmpeg decodes is what the encoder reconstructed', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'picamd-h264w-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    for (const qp of [0, 6, 12, 20, 28, 36, 44, 51]) {
      const p = params(80, 48, { qp });
      const source = rasterToYuv420(noise(80, 48, qp + 1));
      const picture = encodeIntraPicture(p, source, 0);
      const file = join(dir, `noise-${qp}.h264`);
      writeFileSync(file, annexB([writeSps(p), writePps(p), picture.nal]));
      const frame = decode(file);
      assert.ok(frame.equals(visiblePlanes(picture.decoded)), `QP ${qp}: decoded exactly`);
      if (qp === 0) assert.ok(psnr(frame, visiblePlanes(source)) > 40, 'QP 0 keeps even noise close');
    }
  });

  it('baseline, main and high: ffprobe reads the profile and level the stream was given', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'picamd-h264w-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const cases: [Partial<StreamParameters>, string][] = [
      [{ profileIdc: 66, constraintFlags: 0xc0, levelIdc: 40 }, 'Constrained Baseline'],
      [{ profileIdc: 77, constraintFlags: 0x40, levelIdc: 41 }, 'Main'],
      [{ profileIdc: 100, constraintFlags: 0, levelIdc: 42 }, 'High'],
    ];
    for (const [extra, profile] of cases) {
      const p = params(320, 180, extra);
      const stream = new StillStream(p, rasterToYuv420(drawPlaceholder('offline', 320, 180)), { keyframeInterval: 30 });
      const file = join(dir, `${profile}.h264`);
      writeFileSync(file, annexB(Array.from({ length: 3 }, () => stream.next().nals).flat()));
      decode(file);
      const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_streams', '-of', 'json', file]);
      assert.equal(probe.status, 0, probe.stderr.toString());
      const info = (JSON.parse(probe.stdout.toString()) as { streams: Record<string, unknown>[] }).streams[0]!;
      assert.equal(info.profile, profile);
      assert.equal(info.level, extra.levelIdc);
      assert.equal(info.width, 320);
      assert.equal(info.height, 180);
      assert.equal(info.color_space, 'bt709');
      assert.equal(info.color_range, 'tv');
      assert.equal(parseSps(stream.sps).codec, `avc1.${extra.profileIdc!.toString(16)}${extra.constraintFlags!.toString(16).padStart(2, '0')}${extra.levelIdc!.toString(16)}`);
    }
  });
});
