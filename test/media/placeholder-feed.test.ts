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
