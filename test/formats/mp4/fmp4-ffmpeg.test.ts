// The packager's output read by a real demuxer and decoder: H.264 from Debian's ffmpeg (libx264, high
// profile, B-frames, SPS/PPS before every IDR as rpicam-vid --inline writes them), cut into access
// units, packaged, written as one file (init segment, then every fragment), and read back by ffmpeg
// and ffprobe. CI installs ffmpeg; without it this test is skipped, except under CI=true.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AnnexBParser } from '../../../src/formats/h264/annexb.js';
import { Fmp4Packager } from '../../../src/formats/mp4/fmp4.js';
import { fixturePath } from '../../fixtures/h264/index.js';
import { tempDir } from '../../fakes/temp-dir.js';
import { runTool } from '../../fakes/tool.js';

const missing = ['ffmpeg', 'ffprobe'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const skip = missing.length > 0 && process.env.CI !== 'true' ? `needs ${missing.join(', ')} (apt-get install ffmpeg)` : false;

describe('fragmented MP4 read by ffmpeg', { skip }, () => {
  it('decodes all 90 frames of 1280x720 high-profile H.264 without an error, in output order', async (t) => {
    const dir = await tempDir(t, 'fmp4');

    const encoded = await runTool('ffmpeg', [
      '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-t', '3',
      '-c:v', 'libx264', '-profile:v', 'high', '-g', '30', '-x264-params', 'repeat-headers=1', '-f', 'h264', '-',
    ]);
    assert.equal(encoded.code, 0, encoded.stderr);
    const raw = join(dir, 'camera.h264');
    writeFileSync(raw, encoded.stdout);

    // The Annex-B parser cuts it into access units from 64 KiB chunks (a pipe's size), then the
    // stream ends (the last unit comes out with flush()).
    const parser = new AnnexBParser({ maxAccessUnitBytes: 4 << 20 });
    const units = [];
    for (let at = 0; at < encoded.stdout.length; at += 65536) units.push(...parser.push(encoded.stdout.subarray(at, at + 65536)));
    units.push(...parser.flush());
    assert.equal(units.length, 90);
    assert.deepEqual(parser.drops, { garbage: 0, truncated: 0, noslice: 0, oversize: 0, reset: 0 });
    const packager = new Fmp4Packager({ framerate: 30 });
    const parts: Buffer[] = [];
    let inits = 0;
    for (const [i, au] of units.entries()) {
      const out = packager.package(au, 1000 + (i * 1000) / 30);
      assert.ok(out, `unit ${i} packaged`);
      if (out.init) {
        parts.push(out.init);
        inits++;
      }
      parts.push(out.fragment);
    }
    assert.equal(inits, 1, 'the parameter sets repeated before each IDR are the same: one init segment');
    assert.equal(packager.codec, 'avc1.64001f', 'high profile, level 3.1');
    const file = join(dir, 'stream.mp4');
    writeFileSync(file, Buffer.concat(parts));

    const decoded = await runTool('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
    assert.equal(decoded.code, 0, decoded.stderr);
    assert.equal(decoded.stderr, '', 'ffmpeg reports no error');

    const probe = await runTool('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_streams', '-of', 'json', file]);
    assert.equal(probe.code, 0, probe.stderr);
    assert.equal(probe.stderr, '');
    const stream = (JSON.parse(probe.stdout.toString()) as { streams: Record<string, unknown>[] }).streams[0]!;
    assert.equal(stream.codec_name, 'h264');
    assert.equal(stream.profile, 'High');
    assert.equal(stream.width, 1280);
    assert.equal(stream.height, 720);
    assert.equal(stream.nb_read_frames, '90');

    // Frames come out of the decoder in output order; their presentation times (from the composition
    // offsets) must rise by one frame period each, or B-frames would be shown out of sequence.
    const frames = await runTool('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts', '-of', 'csv=p=0', file]);
    assert.equal(frames.code, 0, frames.stderr);
    // One line per frame ("6000," when the frame has side data), and blank lines between some.
    const pts = frames.stdout.toString().split('\n').filter((line) => line.trim() !== '').map((line) => Number(line.split(',')[0]));
    assert.equal(pts.length, 90);
    assert.deepEqual(new Set(pts.slice(1).map((p, i) => p - pts[i]!)), new Set([3000]));

    // The same pictures as decoding the camera's own stream: nothing lost, changed or reordered.
    const md5s = async (input: string) => {
      const out = await runTool('ffmpeg', ['-v', 'error', '-i', input, '-map', '0:v', '-fps_mode', 'passthrough', '-f', 'framemd5', '-']);
      assert.equal(out.code, 0, out.stderr);
      return out.stdout.toString().split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').at(-1)!.trim());
    };
    const fromMp4 = await md5s(file);
    assert.equal(fromMp4.length, 90);
    assert.deepEqual(fromMp4, await md5s(raw));
  });

  it('pictures that arrive together keep distinct times when ffmpeg remuxes into a millisecond time base (Matroska, FLV)', async (t) => {
    const dir = await tempDir(t, 'fmp4');
    // No B-frames (as the Pi's encoder writes): decode times follow arrival. The camera or the event
    // loop stalls and three pictures at a time arrive within the same millisecond.
    const parser = new AnnexBParser({ maxAccessUnitBytes: 1 << 20 });
    const units = [...parser.push(readFileSync(fixturePath('baseline-slices.h264'))), ...parser.flush()];
    const packager = new Fmp4Packager({ framerate: 30 });
    const parts: Buffer[] = [];
    units.forEach((au, i) => {
      const out = packager.package(au, 1000 + Math.floor(i / 3) * 100 + (i % 3) * 0.2)!;
      if (out.init) parts.push(out.init);
      parts.push(out.fragment);
    });
    const file = join(dir, 'stream.mp4');
    writeFileSync(file, Buffer.concat(parts));
    for (const [format, extension] of [['matroska', 'mkv'], ['flv', 'flv']] as const) {
      const output = join(dir, `copy.${extension}`);
      const remux = await runTool('ffmpeg', ['-v', 'warning', '-i', file, '-c', 'copy', '-f', format, output]);
      assert.equal(remux.code, 0, remux.stderr);
      assert.equal(remux.stderr, '', `${format}: ffmpeg says nothing`);
      const probe = await runTool('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=dts', '-of', 'csv=p=0', output]);
      const dts = probe.stdout.toString().split('\n').filter((l) => l.trim() !== '').map(Number);
      assert.equal(dts.length, 30);
      for (let i = 1; i < dts.length; i++) assert.ok(dts[i]! > dts[i - 1]!, `${format}: dts ${dts.join(', ')}`);
    }
  });
});
