import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import jpeg from 'jpeg-js';
import { readSimStamp } from '../../src/sim/stamp.js';
import { appConfig, freePort, mainJs, projectRoot, startApp, status } from '../fakes/app.js';
import { get, openMjpeg } from '../fakes/mjpeg-client.js';
import { processExists, waitFor } from '../fakes/wait.js';

function picamd(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [mainJs, ...args], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
}

test('--check-config prints the effective config and exits 0', () => {
  const r = picamd(['--check-config', '--config', 'config/demo.json']);
  assert.equal(r.status, 0, r.stderr);
  const config = JSON.parse(r.stdout);
  assert.equal(config.server.port, 8080);
  assert.equal(config.camera.maxFrameBytes, 8 * 1024 * 1024, 'defaults are filled in');
  assert.match(r.stderr, /config\/demo\.json is valid/);
});

test('$PICAMD_CONFIG is used when there is no --config', () => {
  const r = picamd(['--check-config'], { PICAMD_CONFIG: 'config/demo.json' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).server.port, 8080);
});

test('an invalid config names every problem and exits 78 before touching the camera', () => {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-bad-'));
  const marker = join(dir, 'camera-ran');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ camera: { command: ['/bin/sh', '-c', `touch ${marker}`], framerate: 200 }, sever: {} }));
  for (const args of [['--config', file], ['--check-config', '--config', file]]) {
    const r = picamd(args);
    assert.equal(r.status, 78, r.stderr);
    assert.match(r.stderr, /config\.json: camera\.framerate: must be at most 120/);
    assert.match(r.stderr, /config\.json: sever: unknown key/);
    assert.equal(r.stdout, '');
  }
  assert.equal(existsSync(marker), false, 'the camera command never ran');
});

test('an unknown option prints the usage and exits 64', () => {
  const r = picamd(['--bogus']);
  assert.equal(r.status, 64);
  assert.match(r.stderr, /Usage:/);
});

test('end to end: the simulated camera streams through picamd, and SIGTERM leaves no camera behind', async (t) => {
  const app = await startApp();
  t.after(() => app.stop()); // the test stops it itself; this is for an assertion that fails first
  const client = openMjpeg(app.port);
  t.after(() => client.close());
  await waitFor('frames', () => client.count >= 10 || client.error, 15_000);
  assert.equal(client.error, undefined);
  const decoded = jpeg.decode(client.frames.at(-1)!, { useTArray: true });
  assert.deepEqual([decoded.width, decoded.height], [320, 240]);
  // Placeholders (no stamp) come once a second until the camera's first frame: on a busy machine
  // more than one. The live frames after them arrive in order.
  const stamps = client.frames.map((f) => readSimStamp(f)?.seq ?? -1);
  const firstLive = stamps.findIndex((seq) => seq >= 0);
  assert.ok(firstLive >= 0 && stamps.slice(firstLive).every((seq, i, live) => seq >= 0 && (i === 0 || seq > live[i - 1]!)), `frames arrive in order: ${JSON.stringify(stamps)}`);
  const s = await status(app.port);
  assert.equal(s.camera.state, 'streaming');
  assert.equal(s.stream.viewers, 1);
  const snapshot = await get(app.port, '/snapshot.jpg');
  assert.equal(snapshot.status, 200);
  assert.equal(jpeg.decode(snapshot.body).width, 320);
  const cameraPid = s.camera.pid as number;
  assert.ok(processExists(cameraPid));
  const t0 = performance.now();
  const { code } = await app.stop();
  assert.equal(code, 0, app.output());
  assert.ok(performance.now() - t0 < 10_000);
  assert.equal(processExists(cameraPid), false, 'camera process gone after SIGTERM');
  assert.match(app.output(), /stopping on SIGTERM/);
});

test('SIGKILL of picamd takes the camera process with it', { skip: !existsSync('/usr/bin/setpriv') && 'setpriv (util-linux) not installed' }, async () => {
  const app = await startApp();
  const cameraPid = await waitFor('camera pid', async () => (await status(app.port)).camera.pid as number | null);
  app.proc.kill('SIGKILL');
  await app.exited;
  await waitFor('camera gone after picamd was killed', () => !processExists(cameraPid), 5_000);
});

test('a missing camera binary: clear status, offline placeholder about once a second, server keeps serving', async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-app-'));
  const app = await startApp(appConfig(port, dir, { camera: { command: ['rpicam-vid-not-installed'] } }), { dir, port });
  try {
    const client = openMjpeg(app.port);
    await waitFor('two placeholders', () => client.count >= 2 || client.error, 5_000);
    const placeholder = client.frames[0]!;
    assert.equal(readSimStamp(placeholder), undefined, 'not a camera frame');
    assert.equal(jpeg.decode(placeholder).width, 320, 'placeholder at the camera size');
    const s = await status(app.port);
    assert.equal(s.camera.state, 'backoff');
    assert.match(s.camera.detail, /rpicam-vid-not-installed is not installed/);
    const snap = await get(app.port, '/snapshot.jpg');
    assert.equal(snap.status, 503);
    assert.equal(JSON.parse(snap.body.toString()).error, 'no-frame');
    assert.equal(app.output().match(/is not installed \(not found on PATH\)/g)?.length, 1, 'reported once');
    client.close();
  } finally {
    await app.stop();
  }
});

test('the camera crashing repeatedly: viewers stay connected and live frames resume each time', async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-app-'));
  const config = appConfig(port, dir, { camera: { backoff: { initialMs: 100, maxMs: 200 } } });
  process.env.PICAMD_SIM_FAULT = 'crash-after=15';
  let app;
  try {
    app = await startApp(config, { dir, port });
  } finally {
    delete process.env.PICAMD_SIM_FAULT;
  }
  try {
    const client = openMjpeg(app.port);
    await waitFor('three camera restarts', async () => (await status(app.port)).camera.restarts >= 3, 15_000);
    const seqs = client.frames.map((f) => readSimStamp(f)?.seq);
    // Each run of the simulator counts from 0 again: a live run, then another after each restart.
    const runs = seqs.filter((seq, i) => seq !== undefined && (i === 0 || seqs[i - 1] === undefined || seq < seqs[i - 1]!)).length;
    assert.ok(runs >= 3, `live frames resumed after each crash (${runs} runs seen: ${seqs.join(',')})`);
    assert.equal(client.closed, false, 'the viewer stayed connected');
    assert.equal(client.error, undefined);
    client.close();
  } finally {
    await app.stop();
  }
});

test('picamd refuses a port it cannot bind and exits non-zero, leaving no camera', async () => {
  const first = await startApp();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'picamd-app-'));
    const second = await startApp(appConfig(first.port, dir), { dir, port: first.port, ready: false });
    const { code } = await second.exited;
    assert.equal(code, 1);
    assert.match(second.output(), /cannot listen on 127\.0\.0\.1:\d+/);
    await sleep(200);
    const pids = [...second.output().matchAll(/started node \(pid (\d+)\)/g)].map((m) => Number(m[1]));
    for (const pid of pids) assert.equal(processExists(pid), false);
  } finally {
    await first.stop();
  }
});

test('the device name is logged escaped at start: a newline in it forges no log line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picamd-name-'));
  const port = await freePort();
  const app = await startApp(appConfig(port, dir, { server: { deviceName: 'porch\nwarn forged line\u2028\u202e' } }), { dir, port });
  t.after(() => app.stop());
  const lines = app.output().split('\n');
  assert.ok(lines.some((l) => l.includes('starting on porch\\x0awarn forged line\\u{2028}\\u{202e}')), app.output());
  assert.ok(!lines.some((l) => l.startsWith('warn forged line')), 'no forged line');
});
