// Issue 21's "done when" on the wire: ffmpeg, GStreamer and mpv (Debian's, installed in CI by .ci/run)
// read /stream.mp4 over HTTP from a running picamd (the simulated camera in H.264 mode) across 15 s
// of privacy and a camera restart for a setting, all at once against one picamd, beside a reader of
// our own that times every byte, all with a login (as the recipes in docs/integrations.md). Then mpv
// --length plays a viewer that joins after all that.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test, type TestContext } from 'node:test';
import { hashPassword } from '../../src/device/accounts/password.js';
import { appConfig, freePort, startApp } from '../fakes/app.js';
import { tempDir } from '../fakes/temp-dir.js';
import { waitFor } from '../fakes/wait.js';

const TOOLS = ['ffmpeg', 'gst-launch-1.0', 'mpv'];
const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const skip =
  missing.length > 0 && process.env.CI !== 'true'
    ? `needs ${missing.join(', ')} (apt-get install ffmpeg mpv gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-libav); with CI=true this is a failure`
    : false;

const FRAMERATE = 25;
const PRIVACY_MS = 15_000;
// With a login, as docs/integrations.md's recipes are written: each player gets it its own way.
const USER = 'admin';
const PASSWORD = 'players-password';
const AUTH = { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` };

/** One decoded picture as a player reports it: its presentation time and, where the player gives one, a checksum. */
interface Picture {
  ptsMs: number;
  checksum?: string;
}

interface Player {
  name: string;
  child: ChildProcess;
  /** Asks the player to finish as a user would ('q', SIGINT, mpv's quit command). */
  finish(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What it has decoded so far (and said at warning level or above), from its output or log. */
  report(): { pictures: Picture[]; complaints: string[] };
  /** Its error output so far. */
  stderr(): string;
}

function run(t: TestContext, command: string, args: string[], stdin: 'pipe' | 'ignore' = 'ignore') {
  const child = spawn(command, args, { stdio: [stdin, 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

// A stream that switches between the camera and the placeholder carries a new init segment at each
// switch; FFmpeg's MP4 demuxer (ffmpeg's, and mpv's through libavformat) reads the first moov only
// and says so at warning level, while the keyframe that follows carries its SPS and PPS in its
// sample, which is what lets it decode on (src/formats/mp4/fmp4.ts).
const DUPLICATE_MOOV = /Found duplicated MOOV Atom\. Skipped it/;

/** `url` with the login in it (ffmpeg's and mpv's way). */
const withLogin = (url: string) => url.replace('http://', `http://${USER}:${PASSWORD}@`);

/** ffmpeg decodes everything to framemd5 (a line per picture: pts and MD5); 'q' on its stdin ends it. */
function ffmpeg(t: TestContext, url: string): Player {
  // -xerror: the first decoding or demuxing error ends ffmpeg with a failure; -flush_packets: each
  // picture's line as it is decoded, so the test can follow.
  const p = run(t, 'ffmpeg', ['-hide_banner', '-loglevel', 'error', '-xerror', '-i', withLogin(url), '-flush_packets', '1', '-f', 'framemd5', '-'], 'pipe');
  return {
    name: 'ffmpeg',
    ...p,
    finish: () => p.child.stdin!.end('q'),
    report: () => {
      const timebase = /#tb 0: (\d+)\/(\d+)/.exec(p.stdout());
      const pictures = lines(p.stdout())
        .filter((l) => timebase && /^\s*0,/.test(l))
        .map((l) => {
          const fields = l.split(',').map((f) => f.trim());
          return { ptsMs: (Number(fields[2]) * 1000 * Number(timebase![1])) / Number(timebase![2]), checksum: fields[5]! };
        });
      return { pictures, complaints: lines(p.stderr()) };
    },
  };
}

/** GStreamer: souphttpsrc, qtdemux, avdec_h264, a fakesink that prints every picture's pts; SIGINT with -e ends it with an EOS. */
function gstreamer(t: TestContext, url: string): Player {
  const p = run(t, 'gst-launch-1.0', ['-e', '-v', 'souphttpsrc', `location=${url}`, `user-id=${USER}`, `user-pw=${PASSWORD}`, '!', 'qtdemux', '!', 'avdec_h264', '!', 'fakesink', 'silent=false']);
  return {
    name: 'GStreamer',
    ...p,
    finish: () => p.child.kill('SIGINT'),
    report: () => {
      const pictures = [...p.stdout().matchAll(/chain +\*+ \(fakesink0:sink\) \(\d+ bytes, dts: [^,]+, pts: (\d+):(\d+):(\d+\.\d+)/g)].map((m) => ({
        ptsMs: (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000,
      }));
      // gst-launch prints errors and warnings ("ERROR: from element ...", "WARNING: ...") on stderr.
      const complaints = [...lines(p.stderr()), ...lines(p.stdout()).filter((l) => /^(ERROR|WARNING)/.test(l))];
      return { pictures, complaints };
    },
  };
}

/**
 * mpv plays it in real time (no video or audio output), FFmpeg's showinfo filter logging every
 * picture (pts and checksum) into mpv's log file, where each line carries its level; its IPC
 * socket's quit command ends it.
 */
function mpv(t: TestContext, url: string, dir: string, extra: string[] = []): Player {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'mpv.log');
  const socket = join(dir, 'mpv.sock');
  const p = run(t, 'mpv', [
    '--no-config', '--vo=null', '--ao=null', '--really-quiet', '--vf=lavfi=[showinfo]',
    `--log-file=${log}`, `--input-ipc-server=${socket}`, ...extra, withLogin(url),
  ]);
  return {
    name: 'mpv',
    ...p,
    finish: () => {
      const ipc = connect(socket, () => ipc.end('{"command":["quit"]}\n'));
      ipc.on('error', () => p.child.kill('SIGKILL'));
    },
    report: () => {
      const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      const pictures = [...text.matchAll(/Parsed_showinfo_0: n: *\d+ pts: *-?\d+ pts_time:(-?[\d.]+) .*? checksum:([0-9A-F]+)/g)].map((m) => ({
        ptsMs: Number(m[1]) * 1000,
        checksum: m[2]!,
      }));
      // "[time][level][module] text": f(atal), e(rror) and w(arning).
      const complaints = lines(text).filter((l) => /^\[ *[\d.]+\]\[[few]\]/.test(l) && !DUPLICATE_MOOV.test(l));
      return { pictures, complaints: [...complaints, ...lines(p.stderr())] };
    },
  };
}

interface Arrival {
  /** performance.now() when the bytes came. */
  at: number;
  bytes: number;
}

interface Fragment {
  at: number;
  decodeMs: number;
  durationMs: number;
}

/** Our own viewer: every chunk's arrival time, every top-level box, every fragment's decode time and duration. */
function timedReader(t: TestContext, url: string) {
  const controller = new AbortController();
  t.after(() => controller.abort());
  const arrivals: Arrival[] = [];
  const types: string[] = [];
  const fragments: Fragment[] = [];
  let timescale = 0;
  let ended = false;
  const reading = (async () => {
    const res = await fetch(url, { signal: controller.signal, headers: AUTH });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let buffered = Buffer.alloc(0);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const at = performance.now();
        arrivals.push({ at, bytes: value.length });
        buffered = Buffer.concat([buffered, value]);
        while (buffered.length >= 8 && buffered.length >= buffered.readUInt32BE(0)) {
          const size = buffered.readUInt32BE(0);
          const box = buffered.subarray(0, size);
          const type = box.toString('latin1', 4, 8);
          types.push(type);
          if (type === 'moov') {
            // mdhd (version 0): size, type, version and flags, creation and modification times, then the timescale.
            const mdhd = box.indexOf('mdhd', 0, 'latin1');
            timescale = box.readUInt32BE(mdhd + 16);
          } else if (type === 'moof') {
            // The packager's layout (test/integrations/h264.test.ts): tfdt's time at 60, trun's sample duration at 88.
            assert.equal(box.toString('latin1', 52, 56), 'tfdt');
            assert.equal(box.toString('latin1', 72, 76), 'trun');
            fragments.push({ at, decodeMs: (Number(box.readBigUInt64BE(60)) * 1000) / timescale, durationMs: (box.readUInt32BE(88) * 1000) / timescale });
          }
          buffered = buffered.subarray(size);
        }
      }
      ended = true;
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  })();
  return {
    arrivals,
    types,
    fragments,
    get ended() {
      return ended;
    },
    async stop() {
      controller.abort();
      await reading;
    },
  };
}

/** The longest gap between successive values. */
const largestGap = (values: readonly number[]) => values.slice(1).reduce((max, v, i) => Math.max(max, v - values[i]!), 0);

/** Runs of live camera pictures (25 a second): at least 10 pictures, each at most 100 ms after the one before. */
function liveRuns(pictures: readonly Picture[]): Picture[][] {
  const runs: Picture[][] = [];
  for (const [i, p] of pictures.entries()) {
    if (i > 0 && p.ptsMs - pictures[i - 1]!.ptsMs <= 100) runs.at(-1)!.push(p);
    else runs.push([p]);
  }
  return runs.filter((run) => run.length >= 10);
}

/**
 * What a player decoded, read against the stream's own marks. Every viewer gets the same decode
 * times shifted by its own start (each starts at 0), so a mark taken from our reader lands in a
 * player's timeline by the same shift; the shift is found at the end of privacy, the first live
 * picture after the longest wait between live runs.
 */
function playerView(pictures: readonly Picture[], backAfterRestartMs: number) {
  const runs = liveRuns(pictures);
  let privacy: { before: Picture[]; after: Picture[]; between: Picture[] } | undefined;
  for (const [i, run] of runs.entries()) {
    const before = runs[i - 1];
    if (!before) continue;
    const wait = run[0]!.ptsMs - before.at(-1)!.ptsMs;
    if (!privacy || wait > privacy.after[0]!.ptsMs - privacy.before.at(-1)!.ptsMs) {
      privacy = { before, after: run, between: pictures.filter((x) => x.ptsMs > before.at(-1)!.ptsMs && x.ptsMs < run[0]!.ptsMs) };
    }
  }
  // A frame period's grace for time bases coarser than a millisecond (ffmpeg's framemd5: 1/25 s).
  const back = privacy && privacy.after[0]!.ptsMs + backAfterRestartMs - 40;
  const afterRestart = back === undefined ? [] : pictures.filter((x) => x.ptsMs >= back);
  return { runs, privacy, afterRestart };
}

describe('ffmpeg, GStreamer and mpv on /stream.mp4 across privacy and a camera restart', { skip }, () => {
  test('the connection stays, a picture about every second, nothing fails to decode, live pictures come back; then mpv --length plays a new viewer', async (t) => {
    const dir = await tempDir(t, 'h264-players');
    const port = await freePort();
    const users = [{ name: USER, passwordHash: await hashPassword(PASSWORD, { ln: 10, r: 8, p: 1 }) }];
    const config = appConfig(port, dir, { server: { auth: { users } }, camera: { codec: 'h264', width: 320, height: 240, framerate: FRAMERATE } });
    const app = await startApp(config, { dir, port });
    t.after(() => app.stop());
    const cameraState = async () => ((await (await fetch(`http://127.0.0.1:${port}/api/status`, { headers: AUTH })).json()) as { camera: { state: string } }).camera.state;
    await waitFor('the camera streaming', async () => (await cameraState()) === 'streaming', 30_000);
    const url = `http://127.0.0.1:${port}/stream.mp4`;
    const api = (path: string, method: string, body: object) =>
      fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { ...AUTH, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    /** The first of our fragments from `from` on that is live (the camera's) or the placeholder's (a second long). */
    const firstFrom = (from: number, live: boolean) => ours.fragments.findIndex((f, i) => i >= from && f.durationMs < 100 === live);
    const liveSince = (from: number) => ours.fragments.slice(from).filter((f) => f.durationMs < 100).length;

    const ours = timedReader(t, url);
    const players = [ffmpeg(t, url), gstreamer(t, url), mpv(t, url, join(dir, 'mpv'))];
    const decoded = () => players.map((p) => `${p.name}: ${liveRuns(p.report().pictures).map((r) => r.length).join(', ')}`).join('; ');
    const orSay = (error: Error) => {
      throw new Error(`${error.message} (live runs decoded: ${decoded()})`);
    };
    await waitFor('every player decoding live pictures', () => players.every((p) => p.report().pictures.length >= FRAMERATE), 60_000).catch(orSay);

    assert.equal((await api('/api/privacy', 'POST', { enabled: true })).status, 200);
    await waitFor('the camera paused', async () => (await cameraState()) === 'paused', 30_000);
    const privateFrom = performance.now();
    await sleep(PRIVACY_MS);
    const privateUntil = performance.now();
    assert.equal((await api('/api/privacy', 'POST', { enabled: false })).status, 200);
    const afterPrivacy = ours.fragments.length;
    await waitFor('live pictures after privacy', () => liveSince(afterPrivacy) >= FRAMERATE * 2, 30_000);

    // A setting that restarts the camera at the same size: the "Camera starting" placeholder meanwhile.
    const restartFrom = ours.fragments.length;
    const patched = await api('/api/settings', 'PATCH', { camera: { rotation: 180 } });
    assert.equal(patched.status, 200, await patched.text());
    await waitFor('the placeholder during the restart', () => firstFrom(restartFrom, false) >= 0, 30_000);
    await waitFor('live pictures after the restart', () => firstFrom(firstFrom(restartFrom, false), true) >= 0, 30_000);
    // Where the camera came back, counted from the end of privacy, in the stream's own time.
    const privacyEnd = ours.fragments[firstFrom(afterPrivacy, true)]!;
    const restartPlaceholder = firstFrom(restartFrom, false);
    const back = ours.fragments[firstFrom(restartPlaceholder, true)]!;
    const backAfterRestartMs = back.decodeMs - privacyEnd.decodeMs;
    // Each player goes on until it has decoded a second of live pictures after the restart (mpv
    // plays in real time, a second or two behind: its cache waits for data when pictures thin out).
    await waitFor('every player decoding live pictures after the restart', () => players.every((p) => playerView(p.report().pictures, backAfterRestartMs).afterRestart.length >= FRAMERATE), 60_000).catch(orSay);

    // None has ended by itself (a closed connection would end each): ask them to finish.
    for (const p of players) assert.equal(p.child.exitCode, null, `${p.name} still reading when asked to stop`);
    players.forEach((p) => p.finish());
    const results = await Promise.all(players.map((p) => p.exited));

    // A viewer joining now starts at 0: mpv --length=3 plays its first 3 s (with the camera's
    // timeline, tens of seconds in by now, it played nothing).
    const late = mpv(t, url, join(dir, 'late'), ['--length=3']);
    const lateResult = await late.exited;
    assert.equal(ours.ended, false, 'picamd never ended our reader\'s stream');
    await ours.stop();

    // Our reader: the stream's own timing and the bytes' arrival.
    const { fragments, types } = ours;
    assert.deepEqual(types.slice(0, 2), ['ftyp', 'moov']);
    const inits = types.filter((x) => x === 'moov').length;
    assert.ok(inits >= 5, `${inits} init segments: the camera, privacy, the camera, restarting, the camera`);
    const privatePictures = fragments.filter((f) => f.at > privateFrom && f.at < privateUntil);
    const decodeGap = largestGap(fragments.map((f) => f.decodeMs));
    const kind = (f: Fragment) => (f.durationMs < 100 ? 'camera' : 'placeholder');
    const widest = fragments.findIndex((f, i) => i > 0 && f.decodeMs - fragments[i - 1]!.decodeMs === decodeGap);
    const widestAt = widest > 0 ? ` (${kind(fragments[widest - 1]!)} to ${kind(fragments[widest]!)}, picture ${widest})` : '';
    const arrivalGap = largestGap(ours.arrivals.map((a) => a.at));
    t.diagnostic(
      `our reader: ${fragments.length} pictures, ${privatePictures.length} in ${PRIVACY_MS / 1000} s of privacy, ` +
        `${firstFrom(restartPlaceholder, true) - restartPlaceholder} during the restart (${(back.decodeMs - fragments[restartPlaceholder]!.decodeMs).toFixed(0)} ms); ` +
        `largest step in decode time ${decodeGap.toFixed(0)} ms${widestAt}, largest wait between bytes ${arrivalGap.toFixed(0)} ms`,
    );
    // A picture a second while private (the placeholder's schedule): about 15 of them, and the
    // median step between them a second. The placeholder comes every 1000 ms by picamd's timer and
    // its decode time is when it came, so a step is 1000 ms plus however late the timer ran.
    assert.ok(privatePictures.every((f) => f.durationMs >= 100), 'only placeholder pictures while private');
    assert.ok(privatePictures.length >= PRIVACY_MS / 1000 - 3, `${privatePictures.length} placeholder pictures in 15 s of privacy`);
    const steps = privatePictures.slice(1).map((f, i) => f.decodeMs - privatePictures[i]!.decodeMs).sort((x, y) => x - y);
    const median = steps[Math.floor(steps.length / 2)]!;
    t.diagnostic(`steps between placeholder pictures while private: median ${median.toFixed(0)} ms, ${steps[0]!.toFixed(0)} to ${steps.at(-1)!.toFixed(0)} ms`);
    assert.ok(median >= 990 && median <= 1_250, `the median step between placeholder pictures: ${median.toFixed(0)} ms`);
    // No silence anywhere. A late timer makes one step longer: measured on a 2-core machine shared
    // with other builds, 1037-1282 ms at load 7 to 22, up to 2040 ms at load 40 (picamd then gets a
    // twentieth of a core); the bytes' arrival in this process adds its own delays. The bounds leave
    // that room and still fail on a silence: without the placeholder the gap is the whole 15 s of
    // privacy (the restart's placeholder is waited for above).
    assert.ok(decodeGap <= 3_000, `the stream's largest step in decode time: ${decodeGap.toFixed(0)} ms`);
    assert.ok(arrivalGap < 3_500, `the largest wait for bytes: ${arrivalGap.toFixed(0)} ms`);

    for (const [i, p] of players.entries()) {
      const result = results[i]!;
      const { pictures, complaints } = p.report();
      const { runs, privacy, afterRestart } = playerView(pictures, backAfterRestartMs);
      const ptsGap = largestGap(pictures.map((x) => x.ptsMs));
      t.diagnostic(
        `${p.name}: exit ${result.code ?? result.signal}, ${pictures.length} pictures over ${((pictures.at(-1)?.ptsMs ?? 0) / 1000).toFixed(1)} s, ` +
          `live runs of ${runs.map((r) => r.length).join(', ')}, ${privacy?.between.length} pictures while private, ` +
          `${afterRestart.length} after the restart; largest step ${ptsGap.toFixed(0)} ms`,
      );
      assert.equal(result.code, 0, `${p.name} exits cleanly:\n${p.stderr()}`);
      assert.deepEqual(complaints, [], `${p.name} reports no error or warning`);
      // Its pictures' presentation times (the decode times above) never step by much more than a
      // second: no stall, no jump.
      assert.ok(ptsGap <= 3_000, `${p.name}: the largest step between pictures ${ptsGap.toFixed(0)} ms`);
      // Privacy as the player saw it: live pictures, about 15 s with the placeholder about once a
      // second, live pictures again.
      assert.ok(privacy, `${p.name}: live pictures before and after privacy`);
      const span = privacy.after[0]!.ptsMs - privacy.before.at(-1)!.ptsMs;
      assert.ok(span >= PRIVACY_MS - 1_000, `${p.name}: ${span.toFixed(0)} ms between live pictures around privacy`);
      assert.ok(privacy.between.length >= PRIVACY_MS / 1000 - 3, `${p.name}: ${privacy.between.length} placeholder pictures while private`);
      // After the restart: live pictures, each a new one (the simulated camera's counter and clock
      // change every frame; the placeholder's pictures repeat), at the camera's rate.
      assert.ok(afterRestart.length >= FRAMERATE, `${p.name}: ${afterRestart.length} pictures after the restart`);
      // Live, not the placeholder's one a second: a 25 fps camera steps 40 ms, but a busy machine
      // (load 13-20, the suite beside it) held the simulated camera back past 100 ms, so the bound
      // sits halfway to the placeholder's second.
      const restartGap = largestGap(afterRestart.map((x) => x.ptsMs));
      assert.ok(restartGap <= 500, `${p.name}: live pictures after the restart (largest step ${restartGap.toFixed(0)} ms)`);
      if (afterRestart[0]!.checksum !== undefined) {
        assert.equal(new Set(afterRestart.map((x) => x.checksum)).size, afterRestart.length, `${p.name}: every picture after the restart differs`);
      }
    }

    const { pictures: played, complaints } = late.report();
    t.diagnostic(`mpv --length=3 on a new viewer: exit ${lateResult.code}, ${played.length} pictures, pts ${played[0]?.ptsMs} to ${played.at(-1)?.ptsMs} ms`);
    assert.equal(lateResult.code, 0, late.stderr());
    assert.deepEqual(complaints, [], 'mpv --length reports no error or warning');
    // 3 s at 25 fps is 75 pictures; a player that played nothing (the timeline's start past the
    // end) reports none.
    assert.ok(played.length >= FRAMERATE * 2, `mpv --length=3 played ${played.length} pictures`);
    // From the viewer's time 0 to its third second (the picture at 3 s is shown as the last).
    assert.ok(played[0]!.ptsMs < 100 && played.at(-1)!.ptsMs < 3_100, `the first 3 s of the viewer's timeline: ${played[0]!.ptsMs} to ${played.at(-1)!.ptsMs} ms`);
  });
});
