// The camera's stream and picamd's own placeholder pictures taking turns in one fragmented MP4, as
// a /stream.mp4 viewer receives them across privacy: one packager (one timeline), a new init
// segment at each switch, and the switching keyframe carrying its SPS and PPS in its sample. ffmpeg
// reads the first moov only, so it decodes the placeholder and the camera's return from those
// in-band parameter sets: every picture must come out, without an error, and be the right one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AccessUnit } from '../../../src/formats/h264/access-unit.js';
import { AnnexBParser } from '../../../src/formats/h264/annexb.js';
import { Fmp4Packager } from '../../../src/formats/mp4/fmp4.js';
import { parseSps } from '../../../src/formats/h264/sps.js';
import { encodeIntraPicture } from '../../../src/formats/h264-writer/intra-picture.js';
import { StillStream } from '../../../src/formats/h264-writer/still-stream.js';
import { rasterToYuv420, type Yuv420 } from '../../../src/formats/h264-writer/yuv.js';
import { drawPlaceholder } from '../../../src/media/placeholder.js';
import { fixturePath } from '../../fixtures/h264/index.js';
import { readFileSync } from 'node:fs';

const missing = ['ffmpeg'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const skip = missing.length > 0 && process.env.CI !== 'true' ? 'needs ffmpeg (apt-get install ffmpeg)' : false;

/** MD5 of each decoded picture, in output order; asserts that ffmpeg reports nothing. */
function frameMd5s(input: string): string[] {
  const out = spawnSync('ffmpeg', ['-v', 'error', '-i', input, '-map', '0:v', '-fps_mode', 'passthrough', '-pix_fmt', 'yuv420p', '-f', 'framemd5', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  if (out.error) throw out.error;
  assert.equal(out.status, 0, out.stderr.toString());
  assert.equal(out.stderr.toString(), '', 'ffmpeg reports no error');
  return out.stdout.toString().split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').at(-1)!.trim());
}

/** MD5 of a picture's visible planes as ffmpeg's yuv420p frame. */
function pictureMd5(picture: Yuv420): string {
  const hash = createHash('md5');
  for (let row = 0; row < picture.height; row++) hash.update(picture.y.subarray(row * picture.lumaWidth, row * picture.lumaWidth + picture.width));
  for (const plane of [picture.cb, picture.cr]) {
    for (let row = 0; row < picture.height / 2; row++) hash.update(plane.subarray((row * picture.lumaWidth) / 2, (row * picture.lumaWidth) / 2 + picture.width / 2));
  }
  return hash.digest('hex');
}

describe('camera and placeholder pictures in one fragmented MP4, read by ffmpeg', { skip }, () => {
  const raw = fixturePath('high-g15.h264');
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  const camera = [...parser.push(readFileSync(raw)), ...parser.flush()];
  const info = parseSps(camera[0]!.sps!);
  const params = {
    width: info.width,
    height: info.height,
    profileIdc: info.profileIdc,
    constraintFlags: info.constraintFlags,
    levelIdc: info.levelIdc,
    spsId: (info.spsId + 1) % 32,
    ppsId: 1,
    qp: 24,
  };
  const picture = rasterToYuv420(drawPlaceholder('privacy', info.width, info.height));
  const placeholderMd5 = pictureMd5(encodeIntraPicture(params, picture, 0).decoded);

  /** Packages the units in order at 30 fps and returns everything a viewer from the start receives. */
  function viewerBytes(units: readonly AccessUnit[]): { bytes: Buffer; inits: number } {
    const packager = new Fmp4Packager({ framerate: 30 });
    const parts: Buffer[] = [];
    let inits = 0;
    units.forEach((au, i) => {
      const out = packager.package(au, 1000 + (i * 1000) / 30);
      assert.ok(out, `unit ${i} packaged`);
      if (out.init) {
        parts.push(out.init);
        inits++;
      }
      parts.push(out.fragment);
    });
    return { bytes: Buffer.concat(parts), inits };
  }

  it('camera, then ten placeholder pictures, then the camera again: every picture decoded, the placeholder exact', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'picamd-switch-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const still = new StillStream(params, picture, { keyframeInterval: 5 });
    const placeholder = Array.from({ length: 10 }, () => still.next());
    // The camera's groups of pictures start at 0, 15, 30 and 45: switch at the group boundaries.
    const { bytes, inits } = viewerBytes([...camera.slice(0, 30), ...placeholder, ...camera.slice(30)]);
    assert.equal(inits, 3, 'a new init segment at each switch');
    const file = join(dir, 'viewer.mp4');
    writeFileSync(file, bytes);

    const expected = frameMd5s(raw);
    assert.equal(expected.length, 60);
    assert.deepEqual(frameMd5s(file), [...expected.slice(0, 30), ...Array<string>(10).fill(placeholderMd5), ...expected.slice(30)]);
  });

  it('a viewer that joins during the placeholder sees the camera when it comes back', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'picamd-switch-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const still = new StillStream(params, picture, { keyframeInterval: 30 });
    const placeholder = Array.from({ length: 4 }, () => still.next());
    const { bytes, inits } = viewerBytes([...placeholder, ...camera.slice(15)]);
    assert.equal(inits, 2);
    const file = join(dir, 'viewer.mp4');
    writeFileSync(file, bytes);
    assert.deepEqual(frameMd5s(file), [...Array<string>(4).fill(placeholderMd5), ...frameMd5s(raw).slice(15)]);
  });
});
