import assert from 'node:assert/strict';
import { after, before, describe, mock, test } from 'node:test';
import { openWs } from '../../fakes/ws-client.js';
import type { WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import {
  DEFAULT_EVENT_HUB_OPTIONS,
  deliveryFor,
  EventHub,
  EVENTS_PATH,
  type ClientData,
} from '../../../src/web/routes/events.js';
import { Router } from '../../../src/web/server/router.js';
import { memoryLogger } from '../../fakes/logger.js';
import { startServer, type TestServer } from '../../fakes/server.js';
import { waitFor } from '../../fakes/wait.js';

const options = DEFAULT_EVENT_HUB_OPTIONS;
const client = (): ClientData => ({ id: 1, remote: '127.0.0.1', slowSince: null, missed: false });

test('deliveryFor: send while the socket keeps up, skip while slow, close after slowCloseMs', () => {
  const c = client();
  assert.equal(deliveryFor(c, 0, 1_000, options), 'send');
  assert.equal(deliveryFor(c, options.slowBytes, 1_000, options), 'send');
  assert.equal(deliveryFor(c, options.slowBytes + 1, 2_000, options), 'skip');
  assert.equal(c.slowSince, 2_000);
  assert.equal(c.missed, true);
  assert.equal(deliveryFor(c, 1e6, 2_000 + options.slowCloseMs - 1, options), 'skip');
  assert.equal(deliveryFor(c, 1e6, 2_000 + options.slowCloseMs, options), 'close');
  // Catching up resets the clock.
  const d = client();
  deliveryFor(d, 1e6, 0, options);
  assert.equal(deliveryFor(d, 10, 20_000, options), 'send');
  assert.equal(d.slowSince, null);
  assert.equal(d.missed, false);
  assert.equal(deliveryFor(d, 1e6, 40_000, options), 'skip', 'slow again: a new 30 s allowance');
});

/** A uWebSockets.js WebSocket stand-in: records what is sent, with settable backpressure. */
class FakeSocket {
  sent: string[] = [];
  buffered = 0;
  ended: { code: number | undefined; message: string | undefined } | undefined;
  constructor(
    private readonly data: ClientData,
    private readonly behavior: WebSocketBehavior<ClientData>,
  ) {}
  getUserData = () => this.data;
  getBufferedAmount = () => this.buffered;
  cork = (fn: () => void) => {
    fn();
    return this;
  };
  send = (message: string) => {
    this.sent.push(message);
    return 1;
  };
  end = (code?: number, message?: string) => {
    this.ended = { code, message };
    this.behavior.close?.(this as unknown as WebSocket<ClientData>, code ?? 1005, new ArrayBuffer(0));
  };
  get statuses() {
    return this.sent.map((m) => JSON.parse(m) as { type: string; status: { n: number } });
  }
}

function fakeHub() {
  let n = 0;
  let clock = 0;
  const logger = memoryLogger();
  const hub = new EventHub({
    status: () => ({ n: ++n }),
    logger,
    timers: { setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (h) => clearInterval(h as NodeJS.Timeout) },
    now: () => clock,
  });
  const router = new Router({ authenticator: () => undefined, logger, now: () => clock, secure: false });
  hub.route(router);
  const behavior = router.findSocket(EVENTS_PATH)?.behavior as WebSocketBehavior<ClientData> | undefined;
  assert.ok(behavior, `${EVENTS_PATH} is registered`);
  hub.start();
  const open = (id: number) => {
    const ws = new FakeSocket({ id, remote: '10.0.0.2', slowSince: null, missed: false }, behavior!);
    void behavior!.open!(ws as unknown as WebSocket<ClientData>);
    return ws;
  };
  return {
    hub,
    logger,
    open,
    behavior: () => behavior!,
    setClock: (ms: number) => (clock = ms),
  };
}

describe('EventHub', () => {
  test('a new page gets the status at once; bursts of changes send one message, built last', async () => {
    const { hub, open } = fakeHub();
    const a = open(1);
    const b = open(2);
    assert.deepEqual(a.statuses, [{ type: 'status', status: { n: 1 } }]);
    assert.deepEqual(b.statuses, [{ type: 'status', status: { n: 2 } }]);
    hub.publishStatus();
    hub.publishStatus();
    hub.publishStatus();
    assert.equal(a.sent.length, 1, 'nothing before the current turn ends');
    await Promise.resolve();
    assert.deepEqual(a.statuses.slice(1), [{ type: 'status', status: { n: 3 } }]);
    assert.deepEqual(b.statuses.slice(1), [{ type: 'status', status: { n: 3 } }], 'one document for every page');
    hub.stop();
  });

  test('stats every 2 s only while someone listens', (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { hub, open } = fakeHub();
    t.mock.timers.tick(10_000);
    const a = open(1);
    t.mock.timers.tick(1_999);
    assert.equal(a.sent.length, 1);
    t.mock.timers.tick(1);
    assert.equal(a.sent.length, 2);
    t.mock.timers.tick(4_000);
    assert.equal(a.sent.length, 4);
    a.end(1000);
    assert.equal(hub.clientCount, 0);
    const b = open(2);
    t.mock.timers.tick(2_000);
    assert.equal(b.sent.length, 2, 'one timer, restarted for the new listener');
    hub.stop();
    t.mock.timers.tick(10_000);
    assert.equal(b.sent.length, 2, 'no stats after stop()');
  });

  test('a slow socket is skipped, catches up on drain, and is closed when it stays slow', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { hub, open, behavior, setClock, logger } = fakeHub();
    const fast = open(1);
    const slow = open(2);
    slow.buffered = 100_000;
    setClock(1_000);
    t.mock.timers.tick(2_000);
    hub.publishStatus();
    await Promise.resolve();
    assert.equal(fast.sent.length, 3);
    assert.equal(slow.sent.length, 1, 'stats and change skipped while 100 KB are queued');
    slow.buffered = 0;
    behavior().drain!(slow as unknown as WebSocket<ClientData>);
    assert.equal(slow.sent.length, 2, 'the newest state once drained');
    assert.equal(JSON.parse(slow.sent[1]!).status.n, 5);
    behavior().drain!(slow as unknown as WebSocket<ClientData>);
    assert.equal(slow.sent.length, 2, 'nothing more to catch up');

    slow.buffered = 100_000;
    setClock(10_000);
    t.mock.timers.tick(2_000);
    setClock(10_000 + DEFAULT_EVENT_HUB_OPTIONS.slowCloseMs);
    t.mock.timers.tick(2_000);
    assert.equal(slow.ended?.code, 1008);
    assert.equal(hub.clientCount, 1);
    assert.ok(logger.lines.some((l) => /events: closing client 2 \(10\.0\.0\.2\): 100000 bytes unsent for 30 s/.test(l)), logger.lines.join('\n'));
    hub.stop();
    assert.equal(fast.ended?.code, 1001, 'stop() says going away, so pages reconnect at once');
    hub.stop();
  });
});

describe('GET /api/events on a real server', () => {
  let state = 'streaming';
  const hub = new EventHub({
    status: () => ({ camera: { state } }),
    logger: memoryLogger(),
    timers: { setInterval, clearInterval: (h) => clearInterval(h as NodeJS.Timeout) },
    now: () => performance.now(),
  });
  let server: TestServer | undefined;
  let port = 0;
  before(async () => {
    hub.start();
    server = await startServer({ deps: { routes: [hub.route] } });
    port = server.port;
  });
  after(() => {
    hub.stop();
    server?.stop();
  });

  test('pushes the status on open and on every change; stop() closes with 1001', async () => {
    const ws = await openWs(port, { Origin: `http://127.0.0.1:${port}`, Host: `127.0.0.1:${port}` });
    assert.equal(ws.status, 101);
    await waitFor('the first message', () => ws.messages.length === 1);
    assert.deepEqual(JSON.parse(ws.messages[0]!), { type: 'status', status: { camera: { state: 'streaming' } } });
    assert.equal(hub.clientCount, 1);
    state = 'paused';
    hub.publishStatus();
    await waitFor('the change', () => ws.messages.length === 2);
    assert.equal(JSON.parse(ws.messages[1]!).status.camera.state, 'paused');
    hub.stop();
    await waitFor('a close frame', () => ws.closeCode !== undefined);
    assert.equal(ws.closeCode, 1001);
    ws.socket!.destroy();
    hub.start();
  });

  test('a page of another site is refused', async () => {
    const ws = await openWs(port, { Origin: 'http://evil.example', Host: `127.0.0.1:${port}` });
    assert.equal(ws.status, 403);
    assert.equal(hub.clientCount, 0);
  });
});
