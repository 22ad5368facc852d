import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { appConfig, freePort, startApp, status, type RunningApp } from '../fakes/app.js';
import { openMjpeg } from '../fakes/mjpeg-client.js';
import { liveRuns, openStampedViewer } from '../fakes/stamped-viewer.js';
import { processExists, waitFor } from '../fakes/wait.js';

// picamd as a process: how it ends, and what it does when it cannot write its state.

async function post(port: number, enabled: boolean) {
  const res = await fetch(`http://127.0.0.1:${port}/api/privacy`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ enabled }),
  });
  return { status: res.status, body: (await res.json()) as { privacy: { enabled: boolean } } };
}

/** Time from SIGTERM to exit, and whether the camera process outlived picamd. */
async function terminate(picamd: RunningApp, cameraPid: number) {
  const t0 = performance.now();
  const { code, signal } = await picamd.stop();
  const seconds = (performance.now() - t0) / 1000;
  return { code, signal, seconds, cameraLeft: processExists(cameraPid) };
}

test('SIGTERM with viewers watching: picamd exits within a few seconds and no camera process remains', async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-fault-'));
  const picamd = await startApp(appConfig(port, dir), { dir, port });
  const viewers = [0, 1, 2].map(() => openMjpeg(port, '/stream.mjpg', { keep: false }));
  const stalled = openMjpeg(port, '/stream.mjpg', { keep: false });
  stalled.socket.pause();
  await waitFor('frames flowing', () => viewers.every((v) => v.count >= 5), 15_000);
  const cameraPid = (await status(port)).camera.pid as number;
  const end = await terminate(picamd, cameraPid);
  t.diagnostic(
    `SIGTERM: exited with code ${end.code} in ${end.seconds.toFixed(2)} s with ${viewers.length + 1} viewers connected ` +
      `(one not reading); camera pid ${cameraPid} ${end.cameraLeft ? 'STILL RUNNING' : 'gone'}`,
  );
  assert.equal(end.code, 0, picamd.output());
  assert.equal(end.cameraLeft, false);
  assert.ok(end.seconds < 10, `took ${end.seconds} s`);
  stalled.socket.resume(); // a paused socket sees no end
  await waitFor('viewers disconnected', () => [...viewers, stalled].every((v) => v.closed), 5_000);
  stalled.close();
});

test('SIGTERM with a camera that ignores SIGTERM: killed after stopGraceMs, picamd still exits', async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-fault-'));
  const standin = join(import.meta.dirname, '../fakes/camera-standin.mjs');
  const config = appConfig(port, dir, { camera: { command: [process.execPath, standin, 'ignore-term'], stopGraceMs: 500 } });
  const picamd = await startApp(config, { dir, port });
  const cameraPid = (await waitFor('streaming', async () => {
    const s = await status(port);
    return s.camera.state === 'streaming' && (s.camera.pid as number);
  }, 15_000)) as number;
  const end = await terminate(picamd, cameraPid);
  t.diagnostic(
    `SIGTERM, camera ignoring SIGTERM: picamd exited with code ${end.code} in ${end.seconds.toFixed(2)} s ` +
      `(stopGraceMs 500, then SIGKILL); camera ${end.cameraLeft ? 'STILL RUNNING' : 'gone'}`,
  );
  assert.equal(end.code, 0);
  assert.equal(end.cameraLeft, false);
  assert.match(picamd.output(), /did not exit within 500 ms of SIGTERM, sending SIGKILL/);
});

/**
 * A directory picamd cannot write to, as picamd will run. Root ignores permission bits, so as root the
 * directory is bind-mounted read-only in a private mount namespace that only picamd's process sees
 * (`unshare -m`; writes fail with EROFS); otherwise plain mode 0555 does it (EACCES).
 */
function readOnlyStateDir(dir: string): { wrap?: (argv: string[]) => string[]; how: string } | undefined {
  const state = join(dir, 'state');
  mkdirSync(state);
  if (process.getuid?.() !== 0) {
    chmodSync(state, 0o555);
    return { how: 'mode 0555' };
  }
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount --bind -o ro "${state}" "${state}" && ! touch "${state}/probe"`], {
    stdio: 'ignore',
  });
  if (probe.status !== 0) return undefined;
  return {
    how: 'a read-only bind mount (running as root)',
    // unshare and sh exec into node: the pid the test signals is picamd's.
    wrap: (argv) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount --bind -o ro "$0" "$0" && exec "$@"', state, ...argv],
  };
}

test('the privacy state directory is read-only: privacy still works, in memory, and says so in the log', async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-fault-'));
  const readOnly = readOnlyStateDir(dir);
  if (!readOnly) {
    t.skip('running as root without mount namespaces (unshare -m): no way to make a directory root cannot write');
    return;
  }
  const picamd = await startApp(appConfig(port, dir), { dir, port, wrap: readOnly.wrap });
  try {
    const viewer = openStampedViewer(port);
    await waitFor('live frames', () => viewer.seen.some((f) => f.seq !== undefined), 15_000);
    const on = await post(port, true);
    assert.equal(on.status, 200);
    assert.equal(on.body.privacy.enabled, true);
    await waitFor('camera process gone', async () => (await status(port)).camera.pid === null, 10_000);
    const pausedAt = viewer.seen.length;
    const off = await post(port, false);
    assert.equal(off.status, 200);
    assert.equal(off.body.privacy.enabled, false);
    await waitFor('live frames again', () => viewer.seen.slice(pausedAt).some((f) => f.seq !== undefined), 15_000);
    const failures = picamd.output().match(/could not save state to .*privacy\.json: .*; privacy is (on|off) now but a reboot will not remember it/g) ?? [];
    t.diagnostic(
      `read-only state directory (${readOnly.how}): privacy on and off through the API both answered 200, ` +
        `camera paused and resumed (${liveRuns(viewer.seen).length} live runs), ${failures.length} failed saves logged; ` +
        `directory still empty: ${readdirSync(join(dir, 'state')).length === 0}`,
    );
    assert.equal(failures.length, 2, picamd.output());
    assert.match(picamd.output(), /EROFS|EACCES/);
    assert.equal(existsSync(join(dir, 'state', 'privacy.json')), false);
    assert.equal(viewer.client.closed, false);
  } finally {
    await picamd.stop();
  }
});

/**
 * Pausing sends SIGTERM and arms the SIGKILL timer for that process; resuming before it has exited
 * must not start a second camera (on a Pi it would find the device busy) and must leave picamd able
 * to stop the new one. A camera that ignores SIGTERM makes the race certain.
 */
test('privacy on and off quickly, then SIGTERM: picamd exits and leaves no camera process', async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-fault-'));
  const standin = join(import.meta.dirname, '../fakes/camera-standin.mjs');
  const config = appConfig(port, dir, { camera: { command: [process.execPath, standin, 'ignore-term'], stopGraceMs: 2000 } });
  const picamd = await startApp(config, { dir, port });
  const pids = new Set<number>();
  try {
    // Streaming: the camera has installed its SIGTERM handler (it ignores SIGTERM from here on).
    pids.add((await waitFor('streaming', async () => {
      const s = await status(port);
      return s.camera.state === 'streaming' && (s.camera.pid as number);
    }, 15_000)) as number);
    assert.equal((await post(port, true)).status, 200);
    assert.equal((await post(port, false)).status, 200);
    pids.add((await waitFor('restarted', async () => (await status(port)).camera.pid as number | null, 15_000)) as number);
    picamd.proc.kill('SIGTERM');
    const t0 = performance.now();
    const exited = await Promise.race([picamd.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 6000))]);
    const left = [...pids].filter(processExists);
    t.diagnostic(
      `quick privacy toggle then SIGTERM: ${exited ? `exited in ${((performance.now() - t0) / 1000).toFixed(2)} s` : 'still running after 6 s'}; ` +
        `camera processes seen ${[...pids].join(', ')}, still running: ${left.length ? left.join(', ') : 'none'}`,
    );
    assert.equal(exited, true, 'picamd exits on SIGTERM');
    assert.deepEqual(left, []);
  } finally {
    if (picamd.proc.exitCode === null && picamd.proc.signalCode === null) picamd.proc.kill('SIGKILL');
    await picamd.exited;
    for (const pid of pids) if (processExists(pid)) process.kill(pid, 'SIGKILL');
  }
});
