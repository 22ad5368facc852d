import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Broadcaster } from '../../../src/media/broadcaster.js';
import { ViewerLimit } from '../../../src/media/output.js';
import { VideoFeed } from '../../../src/media/video-feed.js';
import type { MjpegViewer } from '../../../src/web/streaming/mjpeg-route.js';
import type { Mp4Viewer } from '../../../src/web/streaming/mp4-route.js';
import { get, openMjpeg } from '../../fakes/mjpeg-client.js';
import { startServer } from '../../fakes/server.js';
import { waitFor } from '../../fakes/wait.js';

// server.maxViewers is one limit for /stream.mjpg and /stream.mp4 together: two viewers of each
// stream would otherwise make twice the configured number. The appliance gives both outputs one
// ViewerLimit (src/app/appliance.ts); the server refuses whichever stream finds it full.

test('the viewer limit counts /stream.mjpg and /stream.mp4 viewers together', async (t) => {
  const now = () => performance.now();
  const limit = new ViewerLimit(2);
  const feed = new VideoFeed<Mp4Viewer>(now, limit, 1024 * 1024);
  const broadcaster = new Broadcaster<MjpegViewer>(now, limit);
  // A stream has started (an init segment and a keyframe), so /stream.mp4 would take a viewer.
  feed.publish(Buffer.from('keyframe'), true, Buffer.from('init segment'));
  const test = await startServer({
    server: { maxViewers: 2 },
    deps: { broadcaster, video: { feed, codec: () => 'h264', privacy: () => false, maxPendingBytes: 1024 * 1024 } },
  });
  t.after(() => test.stop());
  const port = test.port;

  // Two MJPEG viewers fill the limit: /stream.mp4 is refused.
  const mjpeg = [openMjpeg(port), openMjpeg(port)];
  t.after(() => mjpeg.forEach((c) => c.close()));
  await waitFor('2 MJPEG viewers', () => test.broadcaster.viewerCount === 2);
  const mp4 = await get(port, '/stream.mp4');
  assert.equal(mp4.status, 503);
  assert.equal(JSON.parse(mp4.body.toString()).error, 'too-many-viewers');

  // One MJPEG and one H.264 viewer: /stream.mjpg is refused too.
  mjpeg[1]!.close();
  await waitFor('1 MJPEG viewer', () => test.broadcaster.viewerCount === 1);
  const h264 = { id: feed.allocateId(), start() {}, offer() {}, close() {} } as unknown as Mp4Viewer;
  assert.equal(feed.add(h264), true);
  t.after(() => feed.remove(h264));
  const third = await get(port, '/stream.mjpg');
  assert.equal(third.status, 503);
  assert.equal(JSON.parse(third.body.toString()).error, 'too-many-viewers');
  // A slot frees up: served again.
  feed.remove(h264);
  const again = openMjpeg(port);
  t.after(() => again.close());
  await again.ready;
  assert.equal(again.status, 200);
});
