// RTSP end to end: picamd with the simulated camera, read by the RTSP clients recorders are built on
// (ffmpeg/ffprobe as Frigate, go2rtc's ffmpeg source and Scrypted use them, GStreamer's rtspsrc, mpv),
// over interleaved TCP and over UDP, in both modes, across privacy and a camera restart; and the
// login with the page's accounts (Digest with the HA1 a page login leaves, a wrong password refused).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { hashPassword } from '../../src/device/accounts/password.js';
import { appConfig, freePort, startApp, status, type RunningApp } from '../fakes/app.js';
import { runTool, type ToolResult } from '../fakes/tool.js';
import { waitFor } from '../fakes/wait.js';

const CI = process.env.CI === 'true';
const tools = ['/usr/bin/ffmpeg', '/usr/bin/ffprobe', '/usr/bin/gst-launch-1.0', '/usr/bin/mpv'];
const missing = tools.filter((t) => !existsSync(t));
const skip = missing.length === 0 || CI ? false : `${missing.join(', ')} not installed (apt-get install ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-libav mpv); with CI=true this is a failure`;

async function startRtsp(t: TestContext, camera: object, server: Record<string, unknown> = {}): Promise<RunningApp & { rtspPort: number }> {
  const port = await freePort();
  const rtspPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-rtsp-'));
  const app = await startApp(appConfig(port, dir, { camera: { width: 640, height: 360, ...camera }, server, rtsp: { port: rtspPort } }), { dir, port });
  t.after(() => app.stop());
  await waitFor('the camera streaming', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok && app.output().includes('rtsp: listening'), 30_000);
  return Object.assign(app, { rtspPort });
}

const privacy = (port: number, enabled: boolean) =>
  fetch(`http://127.0.0.1:${port}/api/privacy`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ enabled }) });

/** ffmpeg decoding `seconds` of stream time; every picture's checksum on stdout, errors on stderr. */
function ffmpegDecode(url: string, transport: 'tcp' | 'udp', seconds: number): Promise<ToolResult> {
  return runTool('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-rtsp_transport', transport, '-i', url, '-t', String(seconds), '-f', 'framemd5', '-'], { timeoutMs: 180_000 });
}

/** GStreamer's rtspsrc, decoding until SIGINT after `seconds` (-e: then an orderly end of stream). */
function gstDecode(url: string, transport: 'tcp' | 'udp', codec: 'h264' | 'mjpeg', seconds: number): Promise<ToolResult> {
  const decode = codec === 'h264' ? ['rtph264depay', '!', 'avdec_h264'] : ['rtpjpegdepay', '!', 'jpegdec'];
  return runTool('timeout', ['-s', 'INT', String(seconds), 'gst-launch-1.0', '-e', 'rtspsrc', `location=${url}`, `protocols=${transport}`, '!', ...decode, '!', 'fakesink', 'silent=false', '-v'], { timeoutMs: 180_000 });
}

const pictures = (r: ToolResult) => r.stdout.toString().split('\n').filter((l) => /^\s*0,/.test(l)).length;
const gstPictures = (r: ToolResult) => (r.stdout.toString().match(/fakesink0: last-message = chain/g) ?? []).length;
/** GStreamer's complaints: any ERROR or WARNING line (its own, not the pipeline's messages). */
const gstProblems = (r: ToolResult) => `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /^(ERROR|WARNING)|: (ERROR|WARNING) /.test(l));

/** Privacy for a few seconds, then a setting that restarts the camera; waits until live again. */
async function privacyThenRestart(app: RunningApp): Promise<void> {
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal((await privacy(app.port, true)).status, 200);
  await waitFor('the camera paused', async () => (await status(app.port)).camera.state === 'paused', 30_000);
  await new Promise((r) => setTimeout(r, 4_000));
  assert.equal((await privacy(app.port, false)).status, 200);
  await waitFor('the camera streaming again', async () => (await status(app.port)).camera.state === 'streaming', 30_000);
  await new Promise((r) => setTimeout(r, 2_000));
  const patched = await fetch(`http://127.0.0.1:${app.port}/api/settings`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ camera: { rotation: 180 } }) });
  assert.equal(patched.status, 200, await patched.text());
  await waitFor('the camera streaming after the restart', async () => (await status(app.port)).camera.state === 'streaming', 60_000);
}

describe('RTSP with real clients', { skip }, () => {
  for (const codec of ['h264', 'mjpeg'] as const) {
    test(`${codec}: ffmpeg over TCP and UDP and GStreamer over TCP read the stream across privacy and a camera restart without an error`, async (t) => {
      const app = await startRtsp(t, { codec, framerate: codec === 'h264' ? 25 : 15 });
      const url = `rtsp://127.0.0.1:${app.rtspPort}/stream`;
      const probe = await runTool('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', url], { timeoutMs: 60_000 });
      assert.equal(probe.stdout.toString().trim(), `${codec === 'h264' ? 'h264' : 'mjpeg'},640,360`, probe.stderr);
      // Stream time runs with the wall clock: long enough to span what privacyThenRestart does.
      const tcp = ffmpegDecode(url, 'tcp', 22);
      const udp = ffmpegDecode(url, 'udp', 22);
      const gst = gstDecode(url, 'tcp', codec, 24);
      await privacyThenRestart(app);
      const [viaTcp, viaUdp, viaGst] = await Promise.all([tcp, udp, gst]);
      for (const [name, r] of [['tcp', viaTcp], ['udp', viaUdp]] as const) {
        assert.equal(r.code, 0, `${name}: ${r.stderr}`);
        assert.equal(r.stderr.trim(), '', `${name}: no error from ffmpeg's RTSP demuxer or decoder`);
        assert.ok(pictures(r) > 80, `${name}: ${pictures(r)} pictures`);
      }
      assert.deepEqual(gstProblems(viaGst), [], 'no GStreamer error or warning');
      assert.ok(gstPictures(viaGst) > 80, `GStreamer decoded ${gstPictures(viaGst)} pictures`);
      const log = app.output();
      assert.doesNotMatch(log, /cannot go as RTP\/JPEG/, 'every JPEG fitted RTP/JPEG');
      assert.match(log, /plays (H\.264|MJPEG) over UDP/);
    });
  }

  test('GStreamer over UDP and mpv read both modes', async (t) => {
    for (const codec of ['h264', 'mjpeg'] as const) {
      const app = await startRtsp(t, { codec, framerate: 15 });
      const url = `rtsp://127.0.0.1:${app.rtspPort}/stream`;
      const gst = await gstDecode(url, 'udp', codec, 6);
      assert.deepEqual(gstProblems(gst), [], `${codec}: no GStreamer error or warning`);
      assert.ok(gstPictures(gst) > 20, `${codec}: GStreamer decoded ${gstPictures(gst)} pictures over UDP`);
      const mpv = await runTool('mpv', ['--no-config', '--vo=null', '--ao=null', '--frames=30', '--msg-level=all=warn', '--rtsp-transport=tcp', url], { timeoutMs: 60_000 });
      assert.equal(mpv.code, 0, mpv.stderr + mpv.stdout.toString());
      // ffmpeg's RTSP demuxer gives the very first H.264 access unit (it starts with the SPS) no
      // timestamp (ffprobe shows it too): mpv says so once and times it itself. Anything else is a problem.
      const said = `${mpv.stdout}${mpv.stderr}`.split('\n').filter((l) => l.trim() && !/^No video PTS! Making something up|^Invalid video timestamp: 0\.000000 -> 0\.000000$/.test(l.trim()));
      assert.deepEqual(said, [], `${codec}: mpv reports nothing else at warning level`);
      await app.stop();
    }
  });

  test("the page's accounts: Digest once the user has logged in with the password, a wrong password refused, Basic when sent", async (t) => {
    const passwordHash = await hashPassword('right password', { ln: 10, r: 8, p: 1 });
    const app = await startRtsp(t, { codec: 'h264', framerate: 15 }, { auth: { users: [{ name: 'ann', passwordHash }] } });
    const url = (user: string, password: string) => `rtsp://${user}:${encodeURIComponent(password)}@127.0.0.1:${app.rtspPort}/stream`;
    const probe = (u: string) => runTool('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', u], { timeoutMs: 60_000 });
    const anonymous = await probe(`rtsp://127.0.0.1:${app.rtspPort}/stream`);
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /401/);
    // A config file's user predates any HA1: refused over Digest until a password login...
    const before = await probe(url('ann', 'right password'));
    assert.notEqual(before.code, 0);
    assert.match(app.output(), /no Digest credential for this name/);
    // ... such as the page's (HTTP Basic), which leaves the HA1.
    const page = await fetch(`http://127.0.0.1:${app.port}/api/status`, { headers: { Authorization: `Basic ${Buffer.from('ann:right password').toString('base64')}` } });
    assert.equal(page.status, 200);
    await waitFor('the HA1 written', async () => (await probe(url('ann', 'right password'))).code === 0, 20_000);
    const wrong = await probe(url('ann', 'wrong password'));
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /401/);
    assert.match(app.output(), /failed login as "ann" from/);
    // Basic, sent unasked (some clients do): checked against the scrypt hash.
    const basic = await rawDescribe(app.rtspPort, `Basic ${Buffer.from('ann:right password').toString('base64')}`);
    assert.match(basic, /^RTSP\/1\.0 200 OK/);
    const badBasic = await rawDescribe(app.rtspPort, `Basic ${Buffer.from('ann:nope nope nope').toString('base64')}`);
    assert.match(badBasic, /^RTSP\/1\.0 401/);
  });
});

/** One DESCRIBE with this Authorization on a new connection; the response's head. */
async function rawDescribe(port: number, authorization: string): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`DESCRIBE rtsp://127.0.0.1:${port}/stream RTSP/1.0\r\nCSeq: 1\r\nAuthorization: ${authorization}\r\n\r\n`));
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
  });
}
