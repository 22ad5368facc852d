import assert from 'node:assert/strict';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { PlaceholderCache, renderPlaceholder, type PlaceholderKind } from '../../src/media/placeholder.js';

const kinds: PlaceholderKind[] = ['offline', 'privacy', 'starting'];

test('placeholders decode to exactly the requested size', () => {
  for (const [width, height] of [[640, 480], [1280, 720], [100, 64], [1921, 1081]] as const) {
    for (const kind of kinds) {
      const decoded = jpeg.decode(renderPlaceholder(kind, width, height, 'restarting in 2 s'), { useTArray: true });
      assert.equal(decoded.width, width, `${kind} ${width}x${height}`);
      assert.equal(decoded.height, height);
    }
  }
});

test('a dark picture with a light message in the middle', () => {
  const { data, width, height } = jpeg.decode(renderPlaceholder('offline', 320, 240), { useTArray: true });
  const luma = (x: number, y: number) => data[(y * width + x) * 4]!;
  assert.ok(luma(5, 5) < 50 && luma(width - 5, height - 5) < 50, 'background is not dark');
  let bright = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (luma(x, y) < 180) continue;
      bright++;
      assert.ok(y > height * 0.25 && y < height * 0.75, `text far from the middle at ${x},${y}`);
    }
  }
  assert.ok(bright > 200, 'no text');
});

test('kinds and details give different pictures; the same arguments the same bytes', () => {
  const [offline, privacy, starting] = kinds.map((k) => renderPlaceholder(k, 320, 240));
  assert.notDeepEqual(offline, privacy);
  assert.notDeepEqual(privacy, starting);
  assert.notDeepEqual(offline, starting);
  assert.notDeepEqual(renderPlaceholder('offline', 320, 240, 'restarting in 2 s'), offline);
  assert.notDeepEqual(
    renderPlaceholder('offline', 320, 240, 'restarting in 2 s'),
    renderPlaceholder('offline', 320, 240, 'restarting in 4 s'),
  );
  assert.deepEqual(renderPlaceholder('privacy', 320, 240), privacy);
  assert.deepEqual(renderPlaceholder('privacy', 320, 240, ''), privacy); // '' keeps the default second line
  // A detail too long for one line is wrapped, not cut off the picture.
  const long = 'rpicam-vid exited with code 255: ERROR: *** no cameras available *** (check the ribbon cable)';
  assert.equal(jpeg.decode(renderPlaceholder('offline', 160, 120, long)).width, 160);
});

test('the cache renders once per (kind, size, detail) and stays bounded', () => {
  let renders = 0;
  const cache = new PlaceholderCache(3, (...args) => {
    renders++;
    return renderPlaceholder(...args);
  });
  const first = cache.get('offline', 320, 240, 'restarting in 2 s');
  assert.equal(cache.get('offline', 320, 240, 'restarting in 2 s'), first); // the same Buffer instance
  assert.equal(renders, 1);
  assert.notEqual(cache.get('offline', 320, 240), first);
  assert.notEqual(cache.get('offline', 640, 480, 'restarting in 2 s'), first);
  cache.get('privacy', 320, 240);
  cache.get('starting', 320, 240);
  assert.equal(cache.size, 3);
  assert.equal(renders, 5);
  // The first entry was the least recently used, so it was evicted and is rendered again.
  assert.notEqual(cache.get('offline', 320, 240, 'restarting in 2 s'), first);
  assert.equal(renders, 6);
  assert.equal(cache.size, 3);
});
