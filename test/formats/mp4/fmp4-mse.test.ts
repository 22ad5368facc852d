// The packager's output in a browser's Media Source Extensions, as the page's player feeds it: Debian's
// Chromium (playwright-core) appends the init segment and the fragments of a real x264 stream with
// B-frames, and plays it (the order of the pictures themselves is checked with ffmpeg, in
// fmp4-ffmpeg.test.ts). Without /usr/bin/chromium this is skipped, except under CI=true.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AnnexBParser } from '../../../src/formats/h264/annexb.js';
import { Fmp4Packager } from '../../../src/formats/mp4/fmp4.js';
import { fixturePath } from '../../fixtures/h264/index.js';
import { parseSps } from '../../../src/formats/h264/sps.js';
import { StillStream } from '../../../src/formats/h264-writer/still-stream.js';
import { rasterToYuv420 } from '../../../src/formats/h264-writer/yuv.js';
import { drawPlaceholder } from '../../../src/media/placeholder.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true' ? `no Chromium at ${CHROMIUM} (apt-get install chromium)` : false;

interface Packaged {
  codec: string;
  init: Buffer;
  fragments: { bytes: Buffer; keyframe: boolean }[];
}

/** A fixture packaged with the frames arriving at `arrivalMs(i)`. */
function packageFixture(name: string, arrivalMs: (i: number) => number = (i) => (i * 1000) / 30): Packaged {
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  const units = [...parser.push(readFileSync(fixturePath(name))), ...parser.flush()];
  const packager = new Fmp4Packager({ framerate: 30 });
  const fragments = units.map((au, i) => {
    const out = packager.package(au, arrivalMs(i));
    assert.ok(out);
    return { bytes: out.fragment, keyframe: out.keyframe };
  });
  assert.ok(packager.codec && packager.init);
  return { codec: packager.codec, init: packager.init, fragments };
}

/** Frames from `from` on arrive together 150 ms late (the event loop or the camera stalled), then on time. */
function lateFrom(from: number): (i: number) => number {
  return (i) => (i < from ? (i * 1000) / 30 : Math.max((i * 1000) / 30, (from * 1000) / 30 + 150));
}

interface PlayResult {
  error: string | null;
  buffered: [number, number][];
  mediaTimes: number[];
  ended: boolean;
}

// Runs in the page. Plain JavaScript in a string: the test runner's transform would otherwise name
// the inner functions with a helper that does not exist in the page.
const PLAY_IN_PAGE = `async ({ mime, segments }) => {
  const video = document.createElement('video');
  video.muted = true;
  document.body.append(video);
  const source = new MediaSource();
  video.src = URL.createObjectURL(source);
  await new Promise((resolve) => source.addEventListener('sourceopen', resolve, { once: true }));
  const buffer = source.addSourceBuffer(mime);
  let error = null;
  for (const segment of segments) {
    buffer.appendBuffer(Uint8Array.from(atob(segment), (c) => c.charCodeAt(0)));
    error = await new Promise((resolve) => {
      buffer.addEventListener('updateend', () => resolve(null), { once: true });
      buffer.addEventListener('error', () => resolve('append error: ' + (video.error ? video.error.message : 'unknown')), { once: true });
    });
    if (error) break;
  }
  const buffered = [];
  for (let i = 0; i < buffer.buffered.length; i++) buffered.push([buffer.buffered.start(i), buffer.buffered.end(i)]);
  // Playback would stop for good at a hole in the buffer: play only one range.
  if (error || buffered.length !== 1) return { error, buffered, mediaTimes: [], ended: false };
  source.endOfStream();
  // Every picture the compositor shows, by its presentation time.
  const mediaTimes = [];
  const onFrame = (now, meta) => {
    mediaTimes.push(meta.mediaTime);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  video.currentTime = buffered[0][0];
  await new Promise((resolve) => video.addEventListener('seeked', resolve, { once: true }));
  // Slowly, so that a busy machine still shows most pictures; no time limit on the wait.
  video.playbackRate = 0.25;
  const ended = new Promise((resolve) => {
    video.addEventListener('ended', () => resolve(true), { once: true });
    video.addEventListener('error', () => resolve(false), { once: true });
  });
  await video.play();
  return { error: video.error ? video.error.message : null, buffered, mediaTimes, ended: await ended };
}`;

/** Appends the segments to a SourceBuffer in the page, plays from the start of the buffer to the end. */
function play(page: Page, mime: string, segments: Buffer[]): Promise<PlayResult> {
  const args = { mime, segments: segments.map((s) => s.toString('base64')) };
  return page.evaluate(`(${PLAY_IN_PAGE})(${JSON.stringify(args)})`) as Promise<PlayResult>;
}

describe('fragmented MP4 in Chromium\'s Media Source Extensions', { skip }, () => {
  let browser: Browser;
  let page: Page;
  // 30 pictures, IDRs at 0 and 15, B-frames (test/fixtures/h264/README.md).
  const packaged = packageFixture('testsrc2-160x120-high.h264');
  const mime = `video/mp4; codecs="${packaged.codec}"`;
  const frame = 1 / 30;

  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
    });
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
  });

  it('accepts the codec string, buffers one gapless range that starts at the reorder depth, and plays it to the end', async () => {
    assert.equal(packaged.codec, 'avc1.64000b');
    assert.equal(await page.evaluate((m) => MediaSource.isTypeSupported(m), mime), true);
    const result = await play(page, mime, [packaged.init, ...packaged.fragments.map((f) => f.bytes)]);
    assert.equal(result.error, null);
    // 30 pictures from the reorder depth (2 frames) on.
    assert.equal(result.buffered.length, 1, `one range: ${JSON.stringify(result.buffered)}`);
    assert.ok(Math.abs(result.buffered[0]![0] - 2 * frame) < 0.002, `starts at 2 frames: ${result.buffered[0]![0]}`);
    assert.ok(Math.abs(result.buffered[0]![1] - 32 * frame) < 0.002, `ends 30 frames later: ${result.buffered[0]![1]}`);
    assert.equal(result.ended, true, 'played to the end');
    assert.ok(result.mediaTimes.length > 0, 'pictures were shown');
    for (let i = 1; i < result.mediaTimes.length; i++) {
      assert.ok(result.mediaTimes[i]! > result.mediaTimes[i - 1]!, `shown times rise: ${result.mediaTimes.join(', ')}`);
    }
  });

  it('plays for a viewer that joins at a later keyframe: the init segment, then fragments from that keyframe', async () => {
    await page.reload();
    const from = packaged.fragments.findIndex((f, i) => i > 0 && f.keyframe);
    assert.equal(from, 15);
    const result = await play(page, mime, [packaged.init, ...packaged.fragments.slice(from).map((f) => f.bytes)]);
    assert.equal(result.error, null);
    assert.equal(result.buffered.length, 1, `one range: ${JSON.stringify(result.buffered)}`);
    assert.ok(Math.abs(result.buffered[0]![0] - 17 * frame) < 0.002, `starts at the keyframe's presentation time: ${result.buffered[0]![0]}`);
    assert.ok(Math.abs(result.buffered[0]![1] - 32 * frame) < 0.002);
    assert.equal(result.ended, true);
  });

  it('keeps playing when picamd\'s placeholder takes over and the camera comes back: new init segments in one SourceBuffer', async () => {
    await page.reload();
    const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
    const camera = [...parser.push(readFileSync(fixturePath('testsrc2-160x120-high.h264'))), ...parser.flush()];
    const info = parseSps(camera[0]!.sps!);
    // The placeholder's stream says the camera's profile, constraints and level: the same codec string.
    const still = new StillStream(
      { width: info.width, height: info.height, profileIdc: info.profileIdc, constraintFlags: info.constraintFlags, levelIdc: info.levelIdc, spsId: 1, ppsId: 1, qp: 24 },
      rasterToYuv420(drawPlaceholder('privacy', info.width, info.height)),
      { keyframeInterval: 30 },
    );
    // As VideoPath sends them: the camera's first group at 30 fps, then three placeholder pictures a
    // second apart, each lasting a second, then the camera again 300 ms after the last one (its
    // keyframe overlaps the last placeholder picture, as when privacy ends between two of them).
    const packager = new Fmp4Packager({ framerate: 30 });
    const segments: Buffer[] = [];
    const add = (out: ReturnType<Fmp4Packager['package']>) => {
      assert.ok(out);
      if (out.init) segments.push(out.init);
      segments.push(out.fragment);
    };
    camera.slice(0, 15).forEach((au, i) => add(packager.package(au, (i * 1000) / 30)));
    for (let i = 0; i < 3; i++) add(packager.package(still.next(), 500 + i * 1000, 1000));
    camera.slice(15).forEach((au, i) => add(packager.package(au, 2800 + (i * 1000) / 30)));
    assert.equal(segments.length, 33 + 3, 'three init segments: camera, placeholder, camera');
    const result = await play(page, mime, segments);
    assert.equal(result.error, null);
    assert.equal(result.buffered.length, 1, `one range: ${JSON.stringify(result.buffered)}`);
    assert.ok(result.buffered[0]![1] >= 2.8 + 14 * frame, `every picture buffered: ${JSON.stringify(result.buffered)}`);
    assert.equal(result.ended, true, 'played to the end');
  });

  // Without bounded steps the late frame would be a discontinuity to MSE: Chromium drops the pictures
  // up to the next keyframe and the buffer has a hole that playback stops at.
  for (const [name, codec, from] of [
    ['testsrc2-160x120-high.h264', 'avc1.64000b', 5],
    ['baseline-slices.h264', 'avc1.42c00b', 3],
  ] as const) {
    it(`keeps every picture of ${name} when frames arrive late mid-group`, async () => {
      await page.reload();
      const late = packageFixture(name, lateFrom(from));
      assert.equal(late.codec, codec);
      const result = await play(page, `video/mp4; codecs="${codec}"`, [late.init, ...late.fragments.map((f) => f.bytes)]);
      assert.equal(result.error, null);
      assert.equal(result.buffered.length, 1, `one range: ${JSON.stringify(result.buffered)}`);
      assert.ok(result.buffered[0]![1] >= 29 * frame, `all 30 pictures buffered: ${JSON.stringify(result.buffered)}`);
      assert.equal(result.ended, true, 'played to the end');
    });
  }
});
