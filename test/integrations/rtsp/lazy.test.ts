import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { LazyRtsp } from '../../../src/integrations/rtsp/lazy.js';
import type { RtspServiceDeps } from '../../../src/integrations/rtsp/service.js';
import { realTimers } from '../../../src/platform/clock.js';
import { memoryLogger } from '../../fakes/logger.js';

function deps(logger = memoryLogger()): Omit<RtspServiceDeps, 'port'> {
  const output = { full: false, group: [], add: () => true, remove: () => {}, allocateId: () => 1 };
  return {
    media: { codec: () => 'h264', camera: () => ({ width: 640, height: 360, framerate: 30 }), h264: output, jpeg: output },
    login: {
      accounts: { locked: false, digestHa1: () => undefined, checkPassword: async () => false },
      claimed: () => true,
      openViewing: () => true,
      limiter: { check: () => ({ allowed: true }), fail: () => ({ failures: 1, delayMs: 0 }), succeed: () => {} },
      clientKey: (a) => a,
    },
    host: '127.0.0.1',
    deviceName: () => 'cam',
    now: () => performance.now(),
    timers: realTimers,
    logger,
  };
}

test('rtsp.port 0: the server module is never loaded', async () => {
  let loads = 0;
  const lazy = new LazyRtsp({ port: 0 }, deps(), async () => {
    loads++;
    return import('../../../src/integrations/rtsp/service.js');
  });
  await lazy.start();
  await lazy.stop();
  assert.equal(loads, 0);
  assert.equal(lazy.loaded, false);
  assert.deepEqual(lazy.status(), { port: 0, state: 'off', message: 'RTSP is off (rtsp.port 0)' });
});

test('a port another program holds: logged, RTSP off, picamd carries on', async (t) => {
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  t.after(() => holder.close());
  const port = (holder.address() as { port: number }).port;
  const logger = memoryLogger();
  const lazy = new LazyRtsp({ port }, deps(logger));
  await lazy.start();
  assert.equal(lazy.loaded, true);
  const status = lazy.status();
  assert.ok('state' in status && status.state === 'error');
  assert.match(logger.lines.join('\n'), new RegExp(`RTSP is off: cannot listen on port ${port} \\(.*EADDRINUSE`));
  await lazy.stop();
});
