import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CAMERA_STATES, type CameraState } from '../../../src/device/camera/machine.js';
import { CameraSupervisor } from '../../../src/device/camera/supervisor.js';
import { configSchema } from '../../../src/device/settings/schema.js';
import { FakeCameraProcess } from '../../fakes/camera-process.js';
import { ManualClock } from '../../fakes/clock.js';
import { memoryLogger } from '../../fakes/logger.js';
import { loadFixture } from '../../fixtures/jpeg/index.js';

// The supervisor driven by random sequences of what can happen to it: start, stop, privacy on and
// off, frames, the camera process exiting (on its own, by SIGTERM or SIGKILL), the executable
// disappearing, killNow, and time passing. A fake process and a manual clock make every run exact.

const GRACE_MS = 300;
const config = configSchema.parse({
  camera: {
    stallTimeoutMs: 500,
    startTimeoutMs: 1_500,
    stopGraceMs: GRACE_MS,
    backoff: { initialMs: 50, maxMs: 400, resetAfterMs: 2_000 },
  },
}).camera;
const jpeg = loadFixture('baseline-jpegjs.jpg');

type Command =
  | { type: 'start' | 'stop' | 'pause' | 'resume' | 'frame' | 'kill-now' | 'reconfigure' }
  /** The process exits by SIGTERM, if it got one. */
  | { type: 'obey' }
  | { type: 'exit'; code: number; bySigterm: boolean }
  | { type: 'advance'; ms: number }
  | { type: 'installed'; yes: boolean };

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.constantFrom('start', 'stop', 'pause', 'resume', 'reconfigure').map((type) => ({ type }) as Command), weight: 4 },
  { arbitrary: fc.constant<Command>({ type: 'frame' }), weight: 4 },
  { arbitrary: fc.record({ type: fc.constant('exit' as const), code: fc.constantFrom(0, 1, 127, 255), bySigterm: fc.boolean() }), weight: 2 },
  // Mostly short steps, sometimes past the grace period, the watchdog's deadlines or a backoff.
  { arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 2_500 })) }), weight: 4 },
  { arbitrary: fc.record({ type: fc.constant('installed' as const), yes: fc.boolean() }), weight: 1 },
  { arbitrary: fc.constant<Command>({ type: 'kill-now' }), weight: 1 },
  { arbitrary: fc.constant<Command>({ type: 'obey' }), weight: 1 },
);

/** One supervisor with its fakes, and the checks that must hold after every command. */
function harness() {
  const clock = new ManualClock();
  const logger = memoryLogger();
  const procs: FakeCameraProcess[] = [];
  let installed = true;
  let privacy = false;
  let pausedAt = 0;
  let killingNow = false;
  let writer: FakeCameraProcess | undefined;
  const stops: Array<{ resolved: boolean }> = [];
  const shown: Array<{ state: CameraState; detail: string }> = [];
  let framesOut = 0;

  const onKill = (p: FakeCameraProcess, signal: NodeJS.Signals) => {
    assert.equal(p.exited, false, `${signal} to process ${p.pid} after its exit (its pid may be someone else's by now)`);
    if (signal === 'SIGTERM') {
      assert.equal(p.got('SIGTERM'), false, `a second SIGTERM to ${p.pid}`);
    } else if (!killingNow) {
      const term = p.signals.find((s) => s.signal === 'SIGTERM');
      assert.ok(term && clock.now() - term.at >= GRACE_MS, `SIGKILL to ${p.pid} without SIGTERM ${GRACE_MS} ms before`);
    }
  };

  const s = new CameraSupervisor(config, {
    spawn: () => {
      assert.ok(procs.every((p) => p.exited), 'spawn while an earlier camera process has not exited');
      assert.equal(privacy, false, 'spawn with privacy on');
      const proc = new FakeCameraProcess(1000 + procs.length, clock.now, onKill);
      procs.push(proc);
      return proc.asChild;
    },
    now: clock.now,
    timers: clock,
    logger: logger.child('camera'),
    findExecutable: (c) => (installed ? `/usr/bin/${c}` : undefined),
    deathSignalPrefix: [],
  });
  s.on('state', (state: CameraState, detail: string) => {
    assert.ok(CAMERA_STATES.includes(state), state);
    const last = shown.at(-1);
    assert.ok(!last || last.state !== state || last.detail !== detail, `state ${state} (${detail}) announced twice`);
    shown.push({ state, detail });
  });
  s.on('frame', (frame: Buffer) => {
    assert.equal(privacy, false, 'a frame with privacy on');
    assert.ok(writer && !writer.got('SIGTERM') && !writer.exited, 'a frame from a process that was told to stop');
    assert.equal(frame.length, jpeg.length);
    framesOut++;
  });

  const live = () => procs.filter((p) => !p.exited);
  /** SIGKILLed processes are gone for the kernel; their 'exit' comes now. */
  const reap = () => {
    for (const p of live()) if (p.killed) p.exit();
  };

  function run(c: Command): void {
    switch (c.type) {
      case 'start':
        s.start();
        break;
      case 'stop': {
        const entry = { resolved: false };
        stops.push(entry);
        void s.stop().then(() => (entry.resolved = true));
        break;
      }
      case 'pause':
        if (!privacy) pausedAt = clock.now();
        privacy = true;
        s.setPaused(true);
        break;
      case 'resume':
        privacy = false;
        s.setPaused(false);
        break;
      case 'reconfigure':
        s.reconfigure(config);
        break;
      case 'frame': {
        const p = live().at(-1);
        if (!p || p.killed) break;
        writer = p;
        p.write(jpeg);
        writer = undefined;
        break;
      }
      case 'exit':
        live().at(-1)?.exit(c.code, c.bySigterm);
        break;
      case 'obey': {
        const p = live().at(-1);
        if (p?.got('SIGTERM')) p.exit(0, true);
        break;
      }
      case 'advance':
        reap();
        clock.advance(c.ms);
        break;
      case 'installed':
        installed = c.yes;
        break;
      case 'kill-now':
        killingNow = true;
        s.killNow();
        killingNow = false;
        break;
    }
  }

  function check(where: string): void {
    const alive = live();
    const status = s.status();
    const pending = clock.pending;
    assert.ok(alive.length <= 1, `${where}: ${alive.length} camera processes alive`);
    const proc = alive[0];
    assert.equal(status.pid, proc?.pid ?? null, `${where}: status pid`);
    assert.equal(status.state, s.state);
    assert.deepEqual(shown.at(-1) ?? { state: 'stopped', detail: '' }, { state: status.state, detail: status.detail }, `${where}: last announced state`);
    // One timer at a time: the watchdog of a run, the SIGKILL timer of a process told to go, or
    // the backoff's restart. Without a process, only the restart, and only in backoff.
    assert.ok(pending.length <= 1, `${where}: timers pending ${pending.join(', ')} ms`);
    if (!proc) assert.equal(pending.length, status.state === 'backoff' ? 1 : 0, `${where}: ${status.state} without a process, timers ${pending.join(', ')}`);
    else assert.notEqual(status.state, 'backoff', `${where}: backoff with a process alive`);
    if (status.state === 'starting' || status.state === 'streaming') {
      assert.ok(proc && !proc.got('SIGTERM'), `${where}: ${status.state} needs a process not told to stop`);
    } else if (proc) {
      assert.ok(proc.got('SIGTERM'), `${where}: ${status.state} with process ${proc.pid} never told to stop`);
    }
    if (status.state === 'waiting') assert.ok(proc, `${where}: waiting without a process to wait for`);
    if (privacy) {
      assert.ok(status.state === 'paused' || status.state === 'stopped', `${where}: ${status.state} with privacy on`);
      if (proc && clock.now() >= pausedAt + GRACE_MS) {
        assert.ok(proc.killed, `${where}: process ${proc.pid} still alive ${clock.now() - pausedAt} ms after privacy on`);
      }
    }
    const bugs = logger.lines.filter((l) => l.includes('bug:'));
    assert.deepEqual(bugs, [], `${where}: undefined transitions`);
  }

  /** stop() at the end, and time until everything has gone: SIGTERM ignored means SIGKILL after the grace. */
  async function finish(): Promise<void> {
    run({ type: 'stop' });
    for (let i = 0; i < 4 && live().length > 0; i++) {
      reap();
      clock.advance(GRACE_MS);
      check(`draining ${i}`);
    }
    reap();
    await new Promise((resolve) => setImmediate(resolve));
    check('end');
    assert.deepEqual(live(), [], 'a camera process outlived stop()');
    assert.equal(s.state, 'stopped');
    assert.deepEqual(clock.pending, [], 'timers left after stop()');
    assert.deepEqual(stops.filter((st) => !st.resolved).length, 0, `${stops.length} stop() calls, not all resolved`);
  }

  return { s, run, check, finish, procs, logger, stats: () => ({ frames: framesOut, spawned: procs.length, states: shown }) };
}

describe('CameraSupervisor with a fake camera process and a manual clock', () => {
  it('random sequences: one process at most, no stray timers, privacy within the grace time, stop() resolves, no undefined transition', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 80, size: 'max' }), async (commands) => {
        const h = harness();
        h.check('initial');
        for (const [i, c] of commands.entries()) {
          h.run(c);
          h.check(`after #${i} ${JSON.stringify(c)}`);
        }
        await h.finish();
        for (const { state } of h.stats().states) seen.add(state);
      }),
      { numRuns: 400, includeErrorInReport: true },
    );
    // The sequences reached every state the status can show.
    assert.deepEqual([...seen].sort(), [...CAMERA_STATES].sort());
  });

  it('privacy toggled quickly while a camera streams: never two processes, never a restart', async () => {
    // A camera that keeps streaming (a frame at least every 400 ms, under the 500 ms stall timeout)
    // and exits on SIGTERM only sometimes, so privacy off often comes while the old process is still there.
    type Toggle = Command | { type: 'tick'; ms: number };
    const toggle = fc.array(
      fc.oneof(
        fc.constantFrom<Toggle>({ type: 'pause' }, { type: 'resume' }),
        fc.record({ type: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 400 }) }),
        fc.constant<Toggle>({ type: 'obey' }),
      ),
      { maxLength: 60, size: 'max' },
    );
    await fc.assert(
      fc.asyncProperty(toggle, async (commands) => {
        const h = harness();
        h.run({ type: 'start' });
        h.run({ type: 'frame' });
        for (const [i, c] of commands.entries()) {
          if (c.type === 'tick') {
            h.run({ type: 'advance', ms: c.ms });
            h.run({ type: 'frame' });
          } else {
            h.run(c);
          }
          h.check(`after #${i} ${JSON.stringify(c)}`);
        }
        await h.finish();
        assert.equal(h.s.status().restarts, 0, 'privacy toggles are not crashes');
        const warnings = h.logger.lines.filter((l) => l.startsWith('warn') && !l.includes('sending SIGKILL'));
        assert.deepEqual(warnings, []);
      }),
      { numRuns: 300, includeErrorInReport: true },
    );
  });

  it('example: privacy off while the old process still streams: waiting, its frames dropped, then a new process', async () => {
    const h = harness();
    h.run({ type: 'start' });
    h.run({ type: 'frame' });
    h.run({ type: 'pause' });
    h.run({ type: 'resume' });
    h.check('resumed');
    assert.deepEqual({ state: h.s.state, detail: h.s.status().detail }, { state: 'waiting', detail: 'waiting for the previous camera process to exit' });
    h.run({ type: 'frame' }); // the old process ignores SIGTERM and keeps writing
    assert.equal(h.stats().frames, 1, 'only the frame from before privacy went out');
    assert.equal(h.s.state, 'waiting');
    h.run({ type: 'advance', ms: GRACE_MS });
    assert.ok(h.procs[0]!.killed, 'SIGKILL after the grace period');
    assert.equal(h.procs.length, 1, 'no second process before the first has exited');
    h.run({ type: 'advance', ms: 1 }); // its exit arrives
    h.check('restarted');
    assert.equal(h.procs.length, 2);
    assert.equal(h.s.state, 'starting');
    assert.ok(h.logger.lines.some((l) => l === 'info camera: stopped (was killed by SIGKILL) after 0.3 s; starting again'), h.logger.lines.join('\n'));
    h.run({ type: 'frame' });
    assert.equal(h.s.state, 'streaming');
    assert.equal(h.s.status().restarts, 0);
    await h.finish();
  });

  it('example: a stall shows as waiting with its reason until the process has gone, then backoff', async () => {
    const h = harness();
    h.run({ type: 'start' });
    h.run({ type: 'frame' });
    h.run({ type: 'advance', ms: 500 });
    assert.deepEqual({ state: h.s.state, detail: h.s.status().detail }, {
      state: 'waiting',
      detail: 'stalled: no frame for 0.5 s; waiting for the camera process to exit',
    });
    h.run({ type: 'obey' });
    h.check('exited');
    assert.deepEqual({ state: h.s.state, detail: h.s.status().detail }, { state: 'backoff', detail: 'stalled: no frame for 0.5 s; restarting in 0.05 s' });
    h.run({ type: 'advance', ms: 50 });
    assert.equal(h.s.state, 'starting');
    assert.equal(h.s.status().restarts, 1);
    assert.deepEqual(h.stats().states.map((st) => st.state), ['starting', 'streaming', 'waiting', 'backoff', 'starting']);
    await h.finish();
  });

  it('example: a camera that cannot start goes straight to backoff, without a moment of starting', async () => {
    const h = harness();
    h.run({ type: 'installed', yes: false });
    h.run({ type: 'start' });
    h.check('started');
    assert.deepEqual(h.stats().states, [{ state: 'backoff', detail: 'rpicam-vid is not installed; restarting in 0.05 s' }]);
    assert.equal(h.procs.length, 0);
    await h.finish();
  });
});
