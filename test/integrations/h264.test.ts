// H.264 mode end to end: picamd with the simulated camera in H.264 mode (it encodes with Debian's
// ffmpeg/libx264, as a Pi's encoder would in hardware), read by ffmpeg as other programs read it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { appConfig, freePort, startApp, status, type RunningApp } from '../fakes/app.js';
import { tempDir } from '../fakes/temp-dir.js';
import { runTool } from '../fakes/tool.js';
import { waitFor } from '../fakes/wait.js';

const CI = process.env.CI === 'true';
const skip = existsSync('/usr/bin/ffmpeg') || CI ? false : 'ffmpeg is not installed (apt-get install ffmpeg); with CI=true this is a failure';
const FRAMERATE = 25;

async function startH264(t: import('node:test').TestContext, camera: object = {}): Promise<RunningApp> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-h264-'));
  const app = await startApp(appConfig(port, dir, { camera: { codec: 'h264', width: 640, height: 360, framerate: FRAMERATE, ...camera } }), { dir, port });
  t.after(() => app.stop());
  await waitFor('the camera streaming', async () => (await status(port)).camera.state === 'streaming', 30_000);
  return app;
}

interface WireFragment {
  sequenceNumber: number;
  decodeTime: number;
  /** The mdat's payload: the picture. */
  sample: Buffer;
}

/** Reads /stream.mp4 until `count` fragments (moof + mdat) have come, then hangs up. */
async function readFragments(t: import('node:test').TestContext, url: string, count: number): Promise<WireFragment[]> {
  const controller = new AbortController();
  t.after(() => controller.abort());
  const res = await fetch(url, { signal: controller.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  let buffered = Buffer.alloc(0);
  const boxes: { type: string; bytes: Buffer }[] = [];
  const fragments: WireFragment[] = [];
  while (fragments.length < count) {
    const { value, done } = await reader.read();
    assert.ok(!done, 'the stream goes on');
    buffered = Buffer.concat([buffered, value]);
    while (buffered.length >= 8 && buffered.length >= buffered.readUInt32BE(0)) {
      const size = buffered.readUInt32BE(0);
      boxes.push({ type: buffered.toString('latin1', 4, 8), bytes: buffered.subarray(0, size) });
      buffered = buffered.subarray(size);
      const [moof, mdat] = boxes.slice(-2);
      if (mdat?.type === 'mdat' && moof?.type === 'moof') {
        // The packager's layout: mfhd's sequence_number at 20, tfdt (version 1) at 48 with the time at 60.
        assert.equal(moof.bytes.toString('latin1', 52, 56), 'tfdt');
        fragments.push({ sequenceNumber: moof.bytes.readUInt32BE(20), decodeTime: Number(moof.bytes.readBigUInt64BE(60)), sample: mdat.bytes.subarray(8) });
      }
    }
  }
  controller.abort();
  assert.deepEqual(boxes.slice(0, 3).map((b) => b.type), ['ftyp', 'moov', 'moof'], 'the init segment, then fragments');
  return fragments;
}

describe('H.264 mode with real clients', { skip }, () => {
  test('ffmpeg reads /stream.mp4 as H.264 at the camera\'s frame rate for 10 s without errors', async (t) => {
    const app = await startH264(t);
    const url = `http://127.0.0.1:${app.port}/stream.mp4`;
    // ffprobe: what the stream says it is.
    const probe = await runTool('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', url], { timeoutMs: 60_000 });
    assert.equal(probe.code, 0, probe.stderr);
    assert.equal(probe.stdout.toString().trim(), 'h264,640,360');
    // ffmpeg decodes 10 s of it: every picture, no decoder or demuxer error.
    const frames = FRAMERATE * 10;
    const decoded = await runTool(
      'ffmpeg',
      ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', url, '-frames:v', String(frames), '-f', 'framemd5', '-'],
      { timeoutMs: 120_000 },
    );
    assert.equal(decoded.code, 0, decoded.stderr);
    assert.equal(decoded.stderr.trim(), '', 'no errors from the decoder or the demuxer');
    const framemd5 = decoded.stdout.toString();
    const lines = framemd5.split('\n').filter((l) => /^\s*0,/.test(l));
    assert.equal(lines.length, frames, `${frames} pictures decoded`);
    // The presentation times advance at the camera's rate: 10 s of pictures span about 10 s.
    const pts = lines.map((l) => Number(l.split(',')[2]));
    const tb = /#tb 0: (\d+)\/(\d+)/.exec(framemd5)!;
    const seconds = ((pts.at(-1)! - pts[0]!) * Number(tb[1])) / Number(tb[2]);
    assert.ok(seconds > 8 && seconds < 12, `${frames} pictures span ${seconds.toFixed(2)} s of stream time`);
  });

  test('every /stream.mp4 viewer\'s first fragment has decode time 0 and sequence number 1, whenever it joins', async (t) => {
    const app = await startH264(t, { keyframeIntervalMs: 1000 });
    const url = `http://127.0.0.1:${app.port}/stream.mp4`;
    const first = await readFragments(t, url, 40);
    // The second viewer comes more than a second later, after the stream's timeline and counter moved on.
    const second = await readFragments(t, url, 10);
    for (const [name, fragments] of [['first', first], ['second', second]] as const) {
      assert.equal(fragments[0]!.decodeTime, 0, `${name} viewer starts at 0`);
      assert.deepEqual(fragments.map((f) => f.sequenceNumber), fragments.map((_, i) => i + 1), `${name} viewer numbers from 1`);
      for (let i = 1; i < fragments.length; i++) assert.ok(fragments[i]!.decodeTime > fragments[i - 1]!.decodeTime, `${name}: decode times rise`);
    }
  });

  test('the recording recipe and a Matroska remux run without a warning about timestamps', async (t) => {
    const app = await startH264(t);
    const url = `http://127.0.0.1:${app.port}/stream.mp4`;
    const dir = await tempDir(t, 'h264-rec');
    for (const file of ['clip.mp4', 'clip.mkv']) {
      // docs/integrations.md: ffmpeg -i URL -t 60 -c copy clip.mp4 (shorter here).
      const recorded = await runTool('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-i', url, '-t', '5', '-c', 'copy', join(dir, file)], { timeoutMs: 90_000 });
      assert.equal(recorded.code, 0, recorded.stderr);
      const timestampWarnings = recorded.stderr.split('\n').filter((l) => /monoton|dts|discontinuity/i.test(l));
      assert.deepEqual(timestampWarnings, [], `${file}: ffmpeg says nothing about timestamps`);
    }
  });

  test('MJPEG routes in H.264 mode: /snapshot.jpg says why, /stream.mjpg stays connected with a placeholder', async (t) => {
    const app = await startH264(t);
    const shot = await fetch(`http://127.0.0.1:${app.port}/snapshot.jpg`);
    assert.equal(shot.status, 503);
    assert.equal(((await shot.json()) as { error: string }).error, 'camera-in-h264-mode');
    const controller = new AbortController();
    t.after(() => controller.abort());
    const stream = await fetch(`http://127.0.0.1:${app.port}/stream.mjpg`, { signal: controller.signal });
    assert.equal(stream.status, 200);
    const reader = stream.body!.getReader();
    let got = Buffer.alloc(0);
    while (got.indexOf(Buffer.from([0xff, 0xd9])) < 0) got = Buffer.concat([got, (await reader.read()).value!]);
    assert.ok(got.indexOf(Buffer.from([0xff, 0xd8])) > 0, 'a JPEG (the placeholder) arrives');
    const s = await status(app.port);
    assert.equal(s.camera.codec, 'h264');
  });

  test('a client asking for MP4 in MJPEG mode gets 503 with the reason', async (t) => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'picamd-h264-'));
    const app = await startApp(appConfig(port, dir), { dir, port });
    t.after(() => app.stop());
    const res = await fetch(`http://127.0.0.1:${port}/stream.mp4`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { error: string; message: string };
    assert.equal(body.error, 'camera-in-mjpeg-mode');
    assert.match(body.message, /MJPEG mode/);
  });
});
