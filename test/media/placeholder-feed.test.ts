import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { PlaceholderFeed, placeholderFor } from '../../src/media/placeholder-feed.js';
import { RateMeter } from '../../src/media/rate.js';

test('which placeholder each camera state shows', () => {
  assert.equal(placeholderFor('streaming'), undefined);
  assert.equal(placeholderFor('starting'), 'starting');
  assert.equal(placeholderFor('waiting'), 'starting', 'the old process is on its way out, a new one follows');
  assert.equal(placeholderFor('paused'), 'privacy');
  assert.equal(placeholderFor('backoff'), 'offline');
  assert.equal(placeholderFor('stopped'), 'offline');
  assert.equal(placeholderFor('streaming', 'h264'), 'h264', 'MJPEG viewers of an H.264 camera are told why they see no picture');
  assert.equal(placeholderFor('paused', 'h264'), 'privacy');
});

test('placeholders go out once a second while the camera is down, at once on a change, never while live', () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    const published: string[] = [];
    const feed = new PlaceholderFeed(
      (jpeg) => published.push(jpeg.toString()),
      (kind, detail) => Buffer.from(`${kind}/${detail}`),
      { setInterval, clearInterval: (h) => clearInterval(h as NodeJS.Timeout) },
    );
    feed.show('starting', 'waiting');
    feed.start();
    assert.deepEqual(published, ['starting/waiting']);
    mock.timers.tick(1_000);
    mock.timers.tick(1_000);
    assert.equal(published.length, 3);
    feed.show(undefined);
    mock.timers.tick(5_000);
    assert.equal(published.length, 3, 'nothing while live');
    feed.show('offline', 'exited with code 1');
    assert.equal(published.at(-1), 'offline/exited with code 1', 'a change shows at once');
    feed.stop();
    feed.stop();
    mock.timers.tick(5_000);
    assert.equal(published.length, 4);
  } finally {
    mock.timers.reset();
  }
});

test('the placeholder timer runs only while a placeholder is shown: stopped while live, armed again when the camera stops', () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    let armed = 0;
    const timers = {
      setInterval: (fn: () => void, ms: number) => (armed++, setInterval(fn, ms)),
      clearInterval: (h: unknown) => (armed--, clearInterval(h as NodeJS.Timeout)),
    };
    const published: string[] = [];
    const feed = new PlaceholderFeed((jpeg) => published.push(jpeg.toString()), (kind) => Buffer.from(kind), timers);
    feed.start();
    assert.equal(feed.ticking, false, 'a camera not started yet shows nothing and needs no timer');
    feed.show('starting');
    assert.deepEqual([feed.ticking, armed, published], [true, 1, ['starting']]);
    feed.show(undefined);
    assert.deepEqual([feed.ticking, armed], [false, 0], 'live frames: no timer');
    mock.timers.tick(10_000);
    assert.deepEqual(published, ['starting']);
    feed.show('offline', 'exited with code 1');
    assert.deepEqual([feed.ticking, armed], [true, 1]);
    mock.timers.tick(2_000);
    assert.deepEqual(published, ['starting', 'offline', 'offline', 'offline'], 'at once, then once a second again');
    feed.show('privacy');
    assert.equal(armed, 1, 'a new placeholder keeps the one timer');
    feed.stop();
    assert.deepEqual([feed.ticking, armed], [false, 0]);
    feed.show('offline');
    assert.deepEqual([feed.ticking, armed], [false, 0], 'stopped: no timer whatever is shown');
    feed.start();
    assert.deepEqual([feed.ticking, armed], [true, 1]);
    feed.stop();
  } finally {
    mock.timers.reset();
  }
});

test('rate meter: events per second over whole seconds', () => {
  const meter = new RateMeter(5);
  for (let t = 0; t < 10_000; t += 1000 / 30) meter.mark(t);
  assert.ok(Math.abs(meter.rate(10_000) - 30) <= 0.5, String(meter.rate(10_000)));
  assert.equal(meter.rate(30_000), 0, 'old seconds fall out of the window');
  assert.equal(new RateMeter(5).rate(1_000), 0, 'no events, no rate');
});

test('rate meter: a young meter divides by the seconds it has seen, not the whole window', () => {
  const meter = new RateMeter(5);
  for (let t = 10_000; t < 12_000; t += 1000 / 30) meter.mark(t);
  assert.ok(Math.abs(meter.rate(12_500) - 30) <= 0.5, String(meter.rate(12_500)));
});
