import { describe, it, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EventEmitter } from 'node:events';
import { SystemdNotifier, systemdNotifySend, watchdogIntervalMs, type NotifySend, type SpawnFn } from '../../src/platform/systemd-notify.js';
import { memoryLogger } from '../fakes/logger.js';

/** A sender that records every message; `hold` keeps the next answers pending until released. */
function recordingSend() {
  const sent: string[][] = [];
  let hold = false;
  const pending: Array<() => void> = [];
  const send: NotifySend = (fields) => {
    sent.push(fields);
    if (!hold) return Promise.resolve(true);
    return new Promise((resolve) => pending.push(() => resolve(true)));
  };
  return {
    send,
    sent,
    hold(on: boolean) {
      hold = on;
    },
    release() {
      for (const r of pending.splice(0)) r();
    },
  };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('watchdogIntervalMs', () => {
  it('is half of WATCHDOG_USEC, in ms', () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42), 15_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42), 15_000);
  });

  it('is null when the watchdog is off, malformed or meant for another process', () => {
    assert.equal(watchdogIntervalMs({}, 42), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '-5' }, 42), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42), null);
  });
});

describe('SystemdNotifier', () => {
  afterEach(() => mock.timers.reset());

  it('does nothing without NOTIFY_SOCKET', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const rec = recordingSend();
    const n = new SystemdNotifier({ logger: memoryLogger(), env: { WATCHDOG_USEC: '1000000' }, pid: 1, send: rec.send });
    assert.equal(n.enabled, false);
    await n.ready('up');
    n.startWatchdog();
    mock.timers.tick(10_000);
    await n.status('x');
    await n.stopping();
    n.stop();
    assert.deepEqual(rec.sent, []);
  });

  it('sends READY=1 with a one-line status, and STOPPING=1 once', async () => {
    const rec = recordingSend();
    const logger = memoryLogger();
    const n = new SystemdNotifier({ logger, env: { NOTIFY_SOCKET: '/run/x' }, pid: 1, send: rec.send });
    await n.ready('streaming\n1280x720');
    await n.status('paused');
    await n.stopping();
    await n.stopping();
    assert.deepEqual(rec.sent, [['READY=1', 'STATUS=streaming 1280x720'], ['STATUS=paused'], ['STOPPING=1']]);
    assert.ok(logger.lines.some((l) => l.includes('ready')));
  });

  it('pings at once and then every WATCHDOG_USEC/2 until stopped', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const rec = recordingSend();
    const n = new SystemdNotifier({
      logger: memoryLogger(),
      env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '20000000', WATCHDOG_PID: '9' },
      pid: 9,
      send: rec.send,
    });
    n.startWatchdog();
    n.startWatchdog(); // a second start adds no second timer
    assert.equal(rec.sent.length, 1);
    await flush();
    mock.timers.tick(9_999);
    assert.equal(rec.sent.length, 1);
    mock.timers.tick(1);
    await flush();
    assert.equal(rec.sent.length, 2);
    for (let i = 0; i < 2; i++) {
      mock.timers.tick(10_000);
      await flush();
    }
    assert.equal(rec.sent.length, 4);
    assert.ok(rec.sent.every((f) => f.length === 1 && f[0] === 'WATCHDOG=1'));
    n.stop();
    n.stop();
    mock.timers.tick(60_000);
    assert.equal(rec.sent.length, 4);
  });

  it('does not pile up pings while one is still in flight', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const rec = recordingSend();
    const n = new SystemdNotifier({ logger: memoryLogger(), env: { NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '2000000' }, pid: 1, send: rec.send });
    rec.hold(true);
    n.startWatchdog();
    mock.timers.tick(1_000);
    mock.timers.tick(1_000);
    mock.timers.tick(1_000);
    assert.equal(rec.sent.length, 1);
    rec.hold(false);
    rec.release();
    await flush();
    mock.timers.tick(1_000);
    assert.equal(rec.sent.length, 2);
    await n.stopping();
    mock.timers.tick(5_000);
    assert.deepEqual(rec.sent.at(-1), ['STOPPING=1']);
    assert.equal(rec.sent.length, 3);
  });

  it('sends a ping PID 1 did not take in time again at once, so a sender is always waiting; a quick failure waits for the next turn', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    let clock = 0;
    const sent: number[] = [];
    // Each ping: PID 1 busy (the barrier times out after 5 s) while `busy`, else delivered.
    let busy = true;
    let quickFailures = false;
    const send: NotifySend = async () => {
      sent.push(clock);
      await flush(); // a process's answer comes on a later turn of the event loop
      if (quickFailures) return false;
      if (!busy) return true;
      clock += 5_000;
      return false;
    };
    const logger = memoryLogger();
    const n = new SystemdNotifier({ logger, env: { NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '30000000' }, pid: 1, send, now: () => clock });
    n.startWatchdog();
    for (let i = 0; i < 5; i++) await flush();
    assert.ok(sent.length >= 5, `a lost ping is followed by the next at once (${sent.length} sent)`);
    assert.deepEqual(sent.slice(0, 3), [0, 5_000, 10_000], 'each as soon as the one before gave up');
    assert.ok(logger.lines.some((l) => l.includes('did not take the ping in time')));
    busy = false;
    for (let i = 0; i < 5; i++) await flush();
    const afterDelivered = sent.length;
    for (let i = 0; i < 5; i++) await flush();
    assert.equal(sent.length, afterDelivered, 'delivered: back to the interval');
    quickFailures = true;
    mock.timers.tick(15_000);
    for (let i = 0; i < 5; i++) await flush();
    assert.equal(sent.length, afterDelivered + 1, 'a tool that fails at once is not run in a loop');
    n.stop();
  });

  it('starts no watchdog when WATCHDOG_PID names another process', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const rec = recordingSend();
    const n = new SystemdNotifier({ logger: memoryLogger(), env: { NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '2000000', WATCHDOG_PID: '5' }, pid: 6, send: rec.send });
    n.startWatchdog();
    mock.timers.tick(10_000);
    assert.equal(rec.sent.length, 0);
  });

  it('logs a failed send and carries on', async () => {
    const logger = memoryLogger();
    const n = new SystemdNotifier({ logger, env: { NOTIFY_SOCKET: '/s' }, pid: 1, send: () => Promise.reject(new Error('boom')) });
    await n.ready();
    assert.ok(logger.lines.some((l) => l.startsWith('warn') && l.includes('READY=1') && l.includes('boom')));
  });
});

describe('systemdNotifySend', () => {
  /** A spawn that hands out scripted fake children. */
  function fakeSpawn(script: (child: EventEmitter & { stderr: EventEmitter & { setEncoding(): unknown }; kill(): void }) => void) {
    const calls: Array<{ command: string; args: readonly string[] }> = [];
    const spawnFn = ((command: string, args: readonly string[]) => {
      calls.push({ command, args });
      const stderr = Object.assign(new EventEmitter(), { setEncoding: () => stderr });
      const child = Object.assign(new EventEmitter(), { stderr, kill: () => {} });
      setImmediate(() => script(child));
      return child;
    }) as unknown as SpawnFn;
    return { spawnFn, calls };
  }

  it('runs systemd-notify with the fields as arguments', async () => {
    const { spawnFn, calls } = fakeSpawn((c) => c.emit('close', 0, null));
    const send = systemdNotifySend(memoryLogger(), { NOTIFY_SOCKET: '/s' }, spawnFn);
    assert.equal(await send(['READY=1', 'STATUS=ok']), true);
    assert.deepEqual(calls, [{ command: 'systemd-notify', args: ['READY=1', 'STATUS=ok'] }]);
  });

  it('reports a failing exit with its stderr', async () => {
    const logger = memoryLogger();
    const { spawnFn } = fakeSpawn((c) => {
      c.stderr.emit('data', 'No status data could be sent\n');
      c.emit('close', 1, null);
    });
    const send = systemdNotifySend(logger, {}, spawnFn);
    assert.equal(await send(['WATCHDOG=1']), false);
    assert.ok(logger.lines.some((l) => l.includes('exit 1: No status data could be sent')));
  });

  it('says once that systemd-notify is missing', async () => {
    const logger = memoryLogger();
    const { spawnFn } = fakeSpawn((c) => c.emit('error', Object.assign(new Error('spawn ENOENT'), { code: 'ENOENT' })));
    const send = systemdNotifySend(logger, {}, spawnFn);
    assert.equal(await send(['WATCHDOG=1']), false);
    assert.equal(await send(['WATCHDOG=1']), false);
    assert.equal(logger.lines.filter((l) => l.includes('not found')).length, 1);
  });
});

// The real thing: systemd-notify sending to a real AF_UNIX datagram socket.
const haveTools =
  spawnSync('systemd-notify', ['--version']).status === 0 && spawnSync('python3', ['--version']).status === 0;
const toolsMessage = 'needs systemd-notify and python3';

describe('systemd-notify against a real notify socket', { skip: !haveTools && process.env.CI !== 'true' ? toolsMessage : false }, () => {
  it('delivers READY, WATCHDOG and STOPPING datagrams, each followed by its barrier', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'picamd-notify-'));
    const socketPath = join(dir, 'notify');
    const receiver = spawn('python3', [join(import.meta.dirname, '../fixtures/systemd/notify-receiver.py'), socketPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const messages: Array<{ data?: string; fds?: number; listening?: boolean }> = [];
    createInterface({ input: receiver.stdout }).on('line', (line) => messages.push(JSON.parse(line)));
    const waitFor = async (what: string, check: () => boolean) => {
      for (let waited = 0; !check(); waited += 20) {
        if (waited > 15_000) assert.fail(`timed out waiting for ${what}; got ${JSON.stringify(messages)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await waitFor('the receiver', () => messages.some((m) => m.listening));
      const logger = memoryLogger();
      const n = new SystemdNotifier({
        logger,
        env: { ...process.env, NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '200000' },
        pid: process.pid,
      });
      await n.ready('listening on :8080');
      n.startWatchdog();
      const data = () => messages.filter((m) => m.data !== undefined).map((m) => m.data);
      await waitFor('two watchdog pings', () => data().filter((d) => d === 'WATCHDOG=1').length >= 2);
      await n.stopping();
      await waitFor('STOPPING=1', () => data().includes('STOPPING=1'));
      assert.equal(data()[0], 'READY=1\nSTATUS=listening on :8080');
      // systemd-notify follows each message with BARRIER=1 carrying a pipe fd and waits until the
      // receiver closes it: that wait is what keeps the sender attributable to the unit.
      assert.equal(data()[1], 'BARRIER=1');
      assert.ok(messages.some((m) => m.data === 'BARRIER=1' && m.fds === 1));
      assert.deepEqual(logger.lines.filter((l) => l.startsWith('warn')), []);
    } finally {
      receiver.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
