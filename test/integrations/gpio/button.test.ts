import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { DebouncedInput, Debouncer, inputAction } from '../../../src/integrations/gpio/button.js';
import { FakeInputPin, mockableTimers, tickMs } from '../../fakes/gpio.js';

/** Feeds (time, level) samples and calls settle at every millisecond; returns [time, stable level] changes. */
function run(debounceMs: number, initial: boolean, samples: Array<[number, boolean]>, until: number) {
  const d = new Debouncer(debounceMs, initial, 0);
  const changes: Array<[number, boolean]> = [];
  let next = 0;
  for (let now = 0; now <= until; now++) {
    while (next < samples.length && samples[next]![0] === now) d.sample(samples[next++]![1], now);
    const changed = d.settle(now);
    if (changed !== null) changes.push([now, changed]);
  }
  return changes;
}

test('Debouncer: a bouncing press and release each make exactly one stable change', () => {
  const press: Array<[number, boolean]> = [[100, true], [101, false], [103, true], [104, false], [106, true]];
  const release: Array<[number, boolean]> = [[400, false], [402, true], [403, false], [407, true], [408, false]];
  assert.deepEqual(run(50, false, [...press, ...release], 1_000), [[156, true], [458, false]]);
});

test('Debouncer: a held button is one stable level, however long', () => {
  assert.deepEqual(run(50, false, [[10, true]], 60_000), [[60, true]]);
});

test('Debouncer: a spike shorter than debounceMs never counts', () => {
  assert.deepEqual(run(50, false, [[10, true], [40, false]], 1_000), []);
  assert.deepEqual(run(50, true, [[10, false], [59, true]], 1_000), []);
});

test('Debouncer: debounceMs 0 accepts each level at once; sample() says when to settle', () => {
  assert.deepEqual(run(0, false, [[5, true], [9, false]], 20), [[5, true], [9, false]]);
  const d = new Debouncer(30, false, 0);
  assert.equal(d.sample(true, 100), 130);
  assert.equal(d.sample(true, 110), 130, 'the same level does not restart the wait');
  assert.equal(d.sample(false, 115), null, 'back to the stable level: nothing pending');
  assert.equal(d.settle(200), null);
  assert.equal(d.level, false);
});

test('inputAction: a button toggles on press only; a switch reports its level', () => {
  assert.deepEqual(inputAction('button', true), { kind: 'toggle' });
  assert.equal(inputAction('button', false), null);
  assert.deepEqual(inputAction('switch', true), { kind: 'switch', active: true });
  assert.deepEqual(inputAction('switch', false), { kind: 'switch', active: false });
});

function input(t: TestContext, initial = false, debounceMs = 50) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const pin = new FakeInputPin(539, true, 'both', initial);
  const changes: Array<[number, boolean]> = [];
  const errors: Error[] = [];
  const debounced = new DebouncedInput(pin, debounceMs, mockableTimers, (a) => changes.push([Date.now(), a]), (e) => errors.push(e));
  const tick = (ms: number) => tickMs(t.mock.timers, ms);
  return { pin, changes, errors, debounced, tick };
}

test('DebouncedInput: bounces on press and release give one change each, at debounceMs after the last edge', (t) => {
  const { pin, changes, debounced, tick } = input(t);
  assert.equal(debounced.start(), false);
  tick(100);
  pin.set(true); tick(2); pin.set(false); tick(3); pin.set(true); // last press edge at 105
  tick(500);
  pin.set(false); tick(1); pin.set(true); tick(1); pin.set(false); // last release edge at 607
  tick(500);
  assert.deepEqual(changes, [[155, true], [657, false]]);
  assert.equal(debounced.level, false);
});

test('DebouncedInput: holding the button for a minute is one press', (t) => {
  const { pin, changes, debounced, tick } = input(t);
  debounced.start();
  pin.set(true);
  tick(60_000);
  assert.deepEqual(changes, [[50, true]]);
});

test('DebouncedInput: a level held at start is the initial level, not a press', (t) => {
  const { changes, debounced, tick } = input(t, true);
  assert.equal(debounced.start(), true);
  tick(1_000);
  assert.deepEqual(changes, []);
});

test('DebouncedInput: re-reads the pin at the deadline, so a coalesced edge still ends on the true level', (t) => {
  const { pin, changes, debounced, tick } = input(t);
  debounced.start();
  pin.set(true); // the interrupt for the press
  tick(20);
  pin.level = false; // released again, but that edge never reached us
  tick(100);
  assert.deepEqual(changes, [], 'the deadline read sees it released: nothing happened');
  pin.set(true); // a real press this time
  tick(100);
  assert.deepEqual(changes, [[170, true]]);
});

test('DebouncedInput: a read error at the deadline stops it and reports once', (t) => {
  const { pin, changes, errors, debounced, tick } = input(t);
  debounced.start();
  pin.set(true);
  pin.readError = new Error('EIO');
  tick(100);
  assert.deepEqual(changes, []);
  assert.deepEqual(errors.map((e) => e.message), ['EIO']);
  pin.readError = null;
  pin.set(false);
  pin.set(true);
  tick(100);
  assert.deepEqual(changes, [], 'stopped after the error');
});

test('DebouncedInput: an error event from the pin stops it and reports once', (t) => {
  const { pin, errors, debounced } = input(t);
  debounced.start();
  pin.fail(new Error('epoll failed'));
  pin.fail(new Error('again'));
  assert.deepEqual(errors.map((e) => e.message), ['epoll failed']);
});

test('DebouncedInput: stop() cancels a pending change', (t) => {
  const { pin, changes, debounced, tick } = input(t);
  debounced.start();
  pin.set(true);
  tick(10);
  debounced.stop();
  tick(100);
  assert.deepEqual(changes, []);
});
