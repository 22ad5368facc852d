import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { appConfig, freePort, startApp, status, type RunningApp } from '../fakes/app.js';
import { liveRuns, openStampedViewer, range, seqGaps, type StampedViewer } from '../fakes/stamped-viewer.js';
import { waitFor } from '../fakes/wait.js';

// Many connections at once, most of them useless or hostile, against the real app: the few real
// viewers must not notice, and picamd's memory must stay bounded. Numbers are printed.

/** picamd's resident memory in MB, from the kernel. */
function rssMB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The soft limit on open files; Node raises its own to the hard limit at start. */
function fileLimit(pid: number | 'self'): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3] ?? 0);
}

const NEEDED_FILES = 1200;

/** Opens sockets in batches, so the listen backlog is not the thing under test. */
async function openMany(port: number, count: number, setup: (s: Socket) => void): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    setup(socket);
    sockets.push(socket);
    if (i % 50 === 49) await sleep(20);
  }
  return sockets;
}

async function start(server: Record<string, unknown>, camera: object = {}): Promise<RunningApp> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-flood-'));
  return startApp(appConfig(port, dir, { server, camera }), { dir, port });
}

/** Live viewers from their own loopback addresses, so picamd's per-viewer numbers can be told apart. */
function liveViewers(port: number, n: number): StampedViewer[] {
  return Array.from({ length: n }, (_, i) => openStampedViewer(port, { localAddress: `127.0.0.${i + 2}` }));
}

test('1,000 connections, most idle or slow: live viewers get every frame and memory stays bounded', { skip: fileLimit('self') < NEEDED_FILES && `open-file limit ${fileLimit('self')} < ${NEEDED_FILES}` }, async (t) => {
  const picamd = await start({ maxViewers: 1000, viewerStallTimeoutMs: 3000 }, { width: 640, height: 480 });
  const pid = picamd.proc.pid!;
  const sockets: Socket[] = [];
  try {
    assert.ok(fileLimit(pid) >= NEEDED_FILES, `picamd may open ${fileLimit(pid)} files`);
    const live = liveViewers(picamd.port, 3);
    await waitFor('live viewers streaming', () => live.every((v) => v.seen.filter((f) => f.seq !== undefined).length >= 30), 20_000);
    const baseline = rssMB(pid);
    const from = live.map((v) => v.seen.length);

    const t0 = performance.now();
    // When the server closed each idle or slow connection, in seconds from the start of the flood.
    const closedAfter: number[] = [];
    const noteClose = (s: Socket) => {
      let noted = false;
      const note = () => {
        if (!noted) closedAfter.push((performance.now() - t0) / 1000);
        noted = true;
      };
      s.on('end', note);
      s.on('error', note);
    };
    // Connected and silent; a request that never ends (Slowloris); viewers that never read.
    const idle = await openMany(picamd.port, 500, noteClose);
    sockets.push(...idle);
    const slow = await openMany(picamd.port, 300, (s) => {
      noteClose(s);
      s.on('connect', () => s.write('GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    });
    sockets.push(...slow);
    const stalled = await openMany(picamd.port, 200, (s) => {
      s.on('connect', () => s.write('GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
      s.pause();
    });
    sockets.push(...stalled);
    const opened = performance.now() - t0;

    const rss: number[] = [];
    let peakFiles = 0;
    let peakViewers = 0;
    let statusAnswers = 0;
    for (let tick = 0; tick < 32; tick++) {
      await sleep(250);
      rss.push(rssMB(pid));
      peakFiles = Math.max(peakFiles, openFiles(pid));
      if (tick % 4 === 0) {
        peakViewers = Math.max(peakViewers, (await status(picamd.port)).stream.viewers);
        statusAnswers++;
      }
      for (const s of slow) if (!s.destroyed) s.write(`X-Slow-${tick}: 1\r\n`);
    }
    const held = (performance.now() - t0) / 1000;
    const s = await status(picamd.port);
    const liveStats = s.stream.viewerList.filter((v: { remote: string }) => /^127\.0\.0\.[234]$/.test(v.remote));
    const seqs = live.map((v, i) => v.seen.slice(from[i]).filter((f) => f.seq !== undefined));
    const runs = seqs.map((frames) => liveRuns(frames));
    const cameraGaps = runs[0]!.flatMap(seqGaps).length;
    const dropped = picamd.output().match(/took no whole frame for/g)?.length ?? 0;
    const openAtEnd = 800 - closedAfter.length;
    await waitFor('idle and slow connections closed by the server', () => closedAfter.length === 800, 20_000, 100);
    for (const x of sockets) x.destroy();
    await waitFor('flood gone', async () => (await status(picamd.port)).stream.viewers === 3, 15_000);
    await sleep(1000);
    const after = rssMB(pid);

    t.diagnostic(
      `flood: ${sockets.length + live.length} connections (500 idle, 300 Slowloris, 200 viewers that never read, 3 live) ` +
        `opened in ${(opened / 1000).toFixed(1)} s; picamd held up to ${peakFiles} open files and ${peakViewers} viewers; ` +
        `${dropped} stalled viewers dropped by the sweep; ${statusAnswers}/${statusAnswers} status requests answered`,
    );
    t.diagnostic(
      `flood: live viewers got ${seqs.map((f) => f.length).join('/')} frames in ${held.toFixed(1)} s, ` +
        `picamd skipped ${liveStats.map((v: { skipped: number }) => v.skipped).join('/')} for them, the camera itself skipped ${cameraGaps}; ` +
        `picamd RSS ${baseline.toFixed(0)} MB before, ${range(rss, 0, 'MB')} during, ${after.toFixed(0)} MB after`,
    );
    t.diagnostic(
      `flood: ${openAtEnd} of 800 idle and Slowloris connections still open after ${held.toFixed(1)} s; ` +
        `uWebSockets.js closed them all ${range(closedAfter, 1)} after the flood began`,
    );

    assert.equal(liveStats.length, 3);
    for (const v of live) {
      assert.equal(v.client.error, undefined);
      assert.equal(v.client.closed, false);
    }
    // Every live viewer saw exactly the same frames: whatever is missing, the camera never sent.
    for (const frames of seqs.slice(1)) assert.deepEqual(frames.map((f) => f.seq), seqs[0]!.map((f) => f.seq));
    assert.ok(liveStats.every((v: { skipped: number }) => v.skipped === 0), 'picamd skipped no frame for a live viewer');
    assert.ok(seqs[0]!.length >= 100, `${seqs[0]!.length} frames`);
    assert.ok(peakFiles >= 1000, `${peakFiles} open files at the peak: the connections were really there at once`);
    assert.ok(dropped >= 150, `${dropped} stalled viewers dropped`);
    assert.ok(Math.max(...rss) - baseline < 100, `RSS grew by ${(Math.max(...rss) - baseline).toFixed(0)} MB`);
  } finally {
    for (const x of sockets) x.destroy();
    await picamd.stop();
  }
});

test('a flood of viewers over maxViewers: each extra one gets 503 and is disconnected at once, the live viewer notices nothing', { skip: fileLimit('self') < NEEDED_FILES && `open-file limit ${fileLimit('self')} < ${NEEDED_FILES}` }, async (t) => {
  const picamd = await start({ maxViewers: 16 });
  const pid = picamd.proc.pid!;
  try {
    const [live] = liveViewers(picamd.port, 1);
    await waitFor('live viewer streaming', () => live!.seen.filter((f) => f.seq !== undefined).length >= 30, 20_000);
    const from = live!.seen.length;
    const baseline = rssMB(pid);
    const greedy = Array.from({ length: 15 }, () => openStampedViewer(picamd.port));
    await waitFor('16 viewers', async () => (await status(picamd.port)).stream.viewers === 16, 10_000);

    const latencies: number[] = [];
    const codes = new Map<number, number>();
    let closedByServer = 0;
    const ask = () =>
      new Promise<void>((resolve) => {
        const t0 = performance.now();
        const socket = connect(picamd.port, '127.0.0.1');
        let text = '';
        socket.on('error', () => {});
        socket.on('connect', () => socket.write('GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
        socket.on('data', (d) => {
          if (!text) latencies.push(performance.now() - t0);
          text += d.toString('latin1');
        });
        socket.on('end', () => closedByServer++);
        socket.on('close', () => {
          const code = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
          codes.set(code, (codes.get(code) ?? 0) + 1);
          resolve();
        });
        setTimeout(() => socket.destroy(), 10_000);
      });
    const t0 = performance.now();
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 100 }, ask));
      await sleep(100);
    }
    const seconds = (performance.now() - t0) / 1000;
    const rssAfter = rssMB(pid);
    const s = await status(picamd.port);
    const liveStats = s.stream.viewerList.find((v: { remote: string }) => v.remote === '127.0.0.2');
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    const frames = live!.seen.slice(from).filter((f) => f.seq !== undefined);
    t.diagnostic(
      `viewer flood: 1000 extra viewers in ${seconds.toFixed(1)} s: ${codes.get(503) ?? 0} got 503 (${closedByServer} disconnected by picamd), ` +
        `answer after ${p(0.5).toFixed(1)} ms median, ${p(0.99).toFixed(1)} ms p99, ${latencies.at(-1)!.toFixed(1)} ms max; ` +
        `still ${s.stream.viewers} viewers; RSS ${baseline.toFixed(0)} → ${rssAfter.toFixed(0)} MB; ` +
        `live viewer got ${frames.length} frames meanwhile, ${liveStats.skipped} skipped by picamd, ${liveRuns(frames).flatMap(seqGaps).length} missing seq`,
    );
    assert.equal(codes.get(503), 1000);
    assert.equal(closedByServer, 1000, 'picamd closes each refused connection itself');
    assert.equal(s.stream.viewers, 16);
    assert.equal(liveStats.skipped, 0);
    assert.ok(rssAfter - baseline < 50, `RSS grew by ${(rssAfter - baseline).toFixed(0)} MB`);
    for (const g of greedy) g.client.close();
    live!.client.close();
  } finally {
    await picamd.stop();
  }
});

/** CPU seconds picamd has used (user + system), from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

test('every file descriptor taken by a connection flood: picamd stays up, keeps streaming, and recovers', async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'picamd-flood-'));
  const limit = 128;
  // ulimit -n sets the hard limit too, so Node cannot raise it again at start.
  const picamd = await startApp(appConfig(port, dir), { dir, port, wrap: (argv) => ['bash', '-c', `ulimit -n ${limit} && exec "$@"`, 'bash', ...argv] });
  const pid = picamd.proc.pid!;
  const sockets: Socket[] = [];
  try {
    assert.equal(fileLimit(pid), limit);
    const [live] = liveViewers(port, 1);
    await waitFor('live viewer streaming', () => live!.seen.filter((f) => f.seq !== undefined).length >= 10, 20_000);
    sockets.push(...(await openMany(port, 3 * limit, () => {})));
    await waitFor('descriptors exhausted', () => openFiles(pid) >= limit - 2, 10_000, 50);
    const from = live!.seen.length;
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    await sleep(3000);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (cpuSeconds(pid) - cpu0) / seconds;
    const frames = live!.seen.slice(from).filter((f) => f.seq !== undefined);
    const files = openFiles(pid);
    for (const s of sockets) s.destroy();
    const after = await waitFor('answering again', async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/api/status`, { signal: AbortSignal.timeout(2000) })).status === 200;
      } catch {
        return false;
      }
    }, 15_000, 200);
    t.diagnostic(
      `descriptor exhaustion: open-file limit ${limit}, ${sockets.length} connections thrown at it, ${files} files open; ` +
        `picamd stayed up, the live viewer got ${frames.length} frames in ${seconds.toFixed(1)} s ` +
        `(${liveRuns(frames).flatMap(seqGaps).length} missing), picamd used ${(cpu * 100).toFixed(0)} % CPU meanwhile ` +
        `(the listen socket stays readable while accept() fails), answered again ${after ? 'once the flood closed' : 'never'}`,
    );
    assert.equal(picamd.proc.exitCode, null, `picamd exited:${picamd.output()}`);
    assert.doesNotMatch(picamd.output(), /uncaught error/);
    assert.ok(frames.length >= 20, `${frames.length} frames while out of descriptors`);
    assert.equal(live!.client.closed, false);
  } finally {
    for (const s of sockets) s.destroy();
    await picamd.stop();
  }
});
