import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { LedDriver, ledLevelAt, ledModeFor, ledPatterns, type CameraState, type LedMode } from '../../../src/integrations/gpio/led-pattern.js';
import { mockableTimers, tickMs } from '../../fakes/gpio.js';

test('ledModeFor: streaming solid, starting/waiting slow, backoff fast, privacy double blink over everything', () => {
  const expected: Record<CameraState, LedMode> = {
    streaming: 'on',
    starting: 'slow',
    waiting: 'slow',
    stopped: 'slow',
    paused: 'slow',
    backoff: 'fast',
  };
  for (const [state, mode] of Object.entries(expected) as Array<[CameraState, LedMode]>) {
    assert.equal(ledModeFor(state, false), mode, state);
    assert.equal(ledModeFor(state, true), 'private', `${state} + privacy`);
  }
});

test('ledModeFor: a failed setup file wins over privacy and every camera state', () => {
  for (const state of ['streaming', 'backoff', 'starting', 'stopped', 'paused'] as CameraState[]) {
    assert.equal(ledModeFor(state, true, true), 'setup-error', state);
    assert.equal(ledModeFor(state, false, true), 'setup-error', state);
  }
  const period = ledPatterns['setup-error'].reduce((sum, [, ms]) => sum + ms, 0);
  assert.equal(period, 2_000);
  assert.equal(ledPatterns['setup-error'].filter(([on]) => on).length, 3);
});

test('ledLevelAt walks each pattern and says when the level next changes', () => {
  assert.deepEqual(ledLevelAt('on', 0), { on: true, changesInMs: null });
  assert.deepEqual(ledLevelAt('on', 1e9), { on: true, changesInMs: null });
  assert.deepEqual(ledLevelAt('off', 5), { on: false, changesInMs: null });
  assert.deepEqual(ledLevelAt('slow', 0), { on: true, changesInMs: 500 });
  assert.deepEqual(ledLevelAt('slow', 499), { on: true, changesInMs: 1 });
  assert.deepEqual(ledLevelAt('slow', 500), { on: false, changesInMs: 500 });
  assert.deepEqual(ledLevelAt('slow', 1_250), { on: true, changesInMs: 250 });
  assert.deepEqual(ledLevelAt('fast', 150), { on: false, changesInMs: 50 });
  // Privacy: on 120, off 180, on 120, off 2580; period 3 s.
  assert.deepEqual(ledLevelAt('private', 0), { on: true, changesInMs: 120 });
  assert.deepEqual(ledLevelAt('private', 200), { on: false, changesInMs: 100 });
  assert.deepEqual(ledLevelAt('private', 300), { on: true, changesInMs: 120 });
  assert.deepEqual(ledLevelAt('private', 420), { on: false, changesInMs: 2_580 });
  assert.deepEqual(ledLevelAt('private', 3_000 + 310), { on: true, changesInMs: 110 });
  // Lit only a small fraction of the time, so "private" never looks like "streaming".
  const lit = ledPatterns.private.filter(([on]) => on).reduce((s, [, ms]) => s + ms, 0);
  assert.ok(lit / 3_000 < 0.1);
});

/** Runs the driver on mocked time; returns [time ms, level] for every write. */
function drive(t: { mock: typeof mock }) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const writes: Array<[number, boolean]> = [];
  const led = new LedDriver((on) => writes.push([Date.now(), on]), mockableTimers);
  return { led, writes };
}

test('the driver writes only level changes, at the pattern edges, with one timer', (t) => {
  const { led, writes } = drive(t);
  led.setMode('slow');
  tickMs(t.mock.timers, 2_100);
  assert.deepEqual(writes, [[0, true], [500, false], [1_000, true], [1_500, false], [2_000, true]]);

  writes.length = 0;
  led.setMode('on'); // already on: nothing to write
  tickMs(t.mock.timers, 10_000);
  assert.deepEqual(writes, []);

  led.setMode('private');
  tickMs(t.mock.timers, 5_900);
  const at = 12_100;
  assert.deepEqual(writes, [
    // The pattern restarts at the mode change; the LED was on, so the first write is the first off.
    [at + 120, false], [at + 300, true], [at + 420, false],
    [at + 3_000, true], [at + 3_120, false], [at + 3_300, true], [at + 3_420, false],
  ]);
});

test('setMode with the current mode does not restart the pattern', (t) => {
  const { led, writes } = drive(t);
  led.setMode('fast');
  tickMs(t.mock.timers, 150);
  led.setMode('fast');
  tickMs(t.mock.timers, 60);
  assert.deepEqual(writes, [[0, true], [100, false], [200, true]]);
});

test('stop() cancels the timer: no writes afterwards', (t) => {
  const { led, writes } = drive(t);
  led.setMode('fast');
  led.stop();
  tickMs(t.mock.timers, 5_000);
  assert.deepEqual(writes, [[0, true]]);
});

test('a write callback that stops the driver (failed line) ends the blinking', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  let writes = 0;
  const led: LedDriver = new LedDriver(() => {
    writes++;
    if (writes === 2) led.stop();
  }, mockableTimers);
  led.setMode('fast');
  tickMs(t.mock.timers, 10_000);
  assert.equal(writes, 2);
});
