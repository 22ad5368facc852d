// /stream.mp4 as players other than ffmpeg read it (Debian's mpv and GStreamer, installed in CI by
// .ci/run; without them this is skipped, except under CI=true):
// - mpv --length on a viewer that joined long after the camera started: with the viewer's own
//   timeline (first fragment at decode time 0) it plays; a timeline that starts at the camera's
//   126 s made it play nothing (every picture past the end);
// - GStreamer (qtdemux, avdec_h264) across the camera and picamd's placeholder taking turns.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AnnexBParser } from '../../../src/formats/h264/annexb.js';
import { parseSps } from '../../../src/formats/h264/sps.js';
import { StillStream } from '../../../src/formats/h264-writer/still-stream.js';
import { rasterToYuv420 } from '../../../src/formats/h264-writer/yuv.js';
import { Fmp4Packager, type Fmp4Output } from '../../../src/formats/mp4/fmp4.js';
import { ViewerTimeline } from '../../../src/formats/mp4/viewer-timeline.js';
import { drawPlaceholder } from '../../../src/media/placeholder.js';
import { fixturePath } from '../../fixtures/h264/index.js';
import { tempDir } from '../../fakes/temp-dir.js';
import { runTool } from '../../fakes/tool.js';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const skipFor = (tools: string[], packages: string) => {
  const missing = tools.filter((t) => !has(t));
  return missing.length > 0 && process.env.CI !== 'true' ? `needs ${missing.join(', ')} (apt-get install ${packages})` : false;
};

function units(name: string) {
  const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
  return [...parser.push(readFileSync(fixturePath(name))), ...parser.flush()];
}

describe('mpv reads a late viewer\'s stream', { skip: skipFor(['mpv', 'ffprobe'], 'mpv ffmpeg') }, () => {
  it('mpv --length plays the first seconds of a stream that a viewer joined 126 s after the camera started', async (t) => {
    const dir = await tempDir(t, 'mpv');
    // 4 s of 30 fps pictures (keyframes every 10); the viewer joins at the keyframe at 10, 126 s in.
    const all = [1, 2, 3, 4].flatMap(() => units('baseline-slices.h264'));
    const packager = new Fmp4Packager({ framerate: 30 });
    const out = all.map((au, i) => packager.package(au, (i < 10 ? 0 : 126_000) + (i * 1000) / 30)!);
    const timeline = new ViewerTimeline();
    const file = join(dir, 'viewer.mp4');
    writeFileSync(file, Buffer.concat([out[0]!.init!, ...out.slice(10).flatMap((o) => timeline.split(o.fragment))]));
    // mpv's encoding mode writes what it played: two seconds of pictures.
    const played = join(dir, 'played.mkv');
    const mpv = await runTool('mpv', ['--no-config', '--really-quiet', '--ao=null', '--length=2', `--o=${played}`, file], { timeoutMs: 120_000 });
    assert.equal(mpv.code, 0, mpv.stderr);
    const probe = await runTool('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', played]);
    assert.equal(probe.code, 0, probe.stderr);
    const frames = Number(probe.stdout.toString().trim());
    assert.ok(frames >= 50 && frames <= 70, `${frames} pictures played in 2 s`);
  });
});

describe('GStreamer reads the camera and the placeholder in one stream', { skip: skipFor(['gst-launch-1.0'], 'gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-libav') }, () => {
  it('qtdemux and avdec_h264 decode every picture across both changes', async (t) => {
    const dir = await tempDir(t, 'gst');
    const camera = units('high-g15.h264');
    const info = parseSps(camera[0]!.sps!);
    const still = new StillStream(
      { width: info.width, height: info.height, profileIdc: info.profileIdc, constraintFlags: info.constraintFlags, levelIdc: info.levelIdc, spsId: 1, ppsId: 1, qp: 24 },
      rasterToYuv420(drawPlaceholder('privacy', info.width, info.height)),
      { keyframeInterval: 5 },
    );
    const packager = new Fmp4Packager({ framerate: 30 });
    const parts: Buffer[] = [];
    const add = (o: Fmp4Output | undefined) => {
      assert.ok(o);
      if (o.init) parts.push(o.init);
      parts.push(o.fragment);
    };
    camera.slice(0, 30).forEach((au, i) => add(packager.package(au, (i * 1000) / 30)));
    for (let i = 0; i < 4; i++) add(packager.package(still.next(), 1000 + i * 1000, 1000));
    camera.slice(30).forEach((au, i) => add(packager.package(au, 4300 + (i * 1000) / 30)));
    const file = join(dir, 'viewer.mp4');
    writeFileSync(file, Buffer.concat(parts));
    const raw = join(dir, 'decoded.yuv');
    const gst = await runTool('gst-launch-1.0', ['-q', 'filesrc', `location=${file}`, '!', 'qtdemux', '!', 'avdec_h264', '!', 'filesink', `location=${raw}`], { timeoutMs: 120_000 });
    assert.equal(gst.code, 0, gst.stderr);
    assert.equal(gst.stderr, '', 'GStreamer reports nothing');
    assert.equal(statSync(raw).size, 64 * info.width * info.height * 1.5, '30 camera pictures, 4 placeholder pictures, 30 camera pictures');
  });
});
