/// <reference lib="dom" />
// The status connection under Node: fake WebSockets, a fake fetch for /api/status, fake timers.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { POLL_MS, SILENCE_MS, StatusFeed, type Link } from '../../../src/web/client/status-feed.js';
import type { DeviceStatus } from '../../../src/web/client/view.js';
import { FakeFetch, FakeSockets, globalTimers, json, refused, settle } from '../../fakes/browser.js';

function deviceStatus(name = 'Front door'): DeviceStatus {
  return {
    device: { name, version: '0.1.0', uptimeSeconds: 10 },
    camera: { state: 'streaming', detail: '', width: 1280, height: 720, framerate: 30, fps: 30 },
    stream: { viewers: 1, maxViewers: 16 },
    privacy: { enabled: false, source: 'boot', since: '2026-11-26T11:00:00Z' },
  };
}

/** Where the page was opened: with the owner's credentials in the URL. */
const PAGE = new URL('http://admin:secret@camera.local:8080/');
const STATUS_URL = 'http://camera.local:8080/api/status';

function harness(fetch: FakeFetch, location: { protocol: string; host: string } = PAGE) {
  const sockets = new FakeSockets();
  const statuses: string[] = [];
  const links: Link[] = [];
  const feed = new StatusFeed({
    location,
    fetch: fetch.fetch,
    openSocket: sockets.open,
    timers: globalTimers,
    random: () => 0.5,
    onStatus: (s) => statuses.push(s.device.name),
    onLink: (l) => links.push(l),
  });
  return { feed, sockets, statuses, links };
}

const message = (name: string) => JSON.stringify({ type: 'status', status: deviceStatus(name) });

describe('StatusFeed', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('the WebSocket pushes status documents; anything else is ignored', async () => {
    const fetch = new FakeFetch();
    const { feed, sockets, statuses, links } = harness(fetch);
    feed.start();
    assert.equal(sockets.opened.length, 1);
    assert.equal(sockets.last.url, 'ws://camera.local:8080/api/events');
    sockets.last.open();
    assert.deepEqual(links, ['live']);
    sockets.last.send(message('A'));
    sockets.last.send('not json');
    sockets.last.send('null');
    sockets.last.send(JSON.stringify({ type: 'status', status: { device: 'broken' } }));
    sockets.last.send(JSON.stringify({ type: 'other', status: deviceStatus('B') }));
    sockets.last.send(message('C'));
    assert.deepEqual(statuses, ['A', 'C']);
    assert.equal(fetch.calls.length, 0, 'no polling while the socket is up');
  });

  test('https pages use wss and https', async () => {
    const fetch = new FakeFetch(() => json(deviceStatus()));
    const { feed, sockets } = harness(fetch, new URL('https://owner:pw@cam.example/settings#x'));
    feed.start();
    assert.equal(sockets.last.url, 'wss://cam.example/api/events');
    sockets.last.drop();
    await settle();
    assert.deepEqual(fetch.urls(), ['https://cam.example/api/status']);
  });

  test('a closed socket: polling every 2 s at once, the socket reopened with backoff', async () => {
    const fetch = new FakeFetch(refused);
    const { feed, sockets, links } = harness(fetch);
    feed.start();
    sockets.last.open();
    sockets.last.drop();
    assert.deepEqual(links, ['live', 'polling']);
    await settle();
    assert.deepEqual(fetch.urls(), [STATUS_URL], 'polls at once, from the host, never with the credentials');
    assert.deepEqual(links, ['live', 'polling', 'offline'], 'a failed poll: the device is unreachable');
    mock.timers.tick(499);
    assert.equal(sockets.opened.length, 1);
    mock.timers.tick(1);
    assert.equal(sockets.opened.length, 2, 'socket retried after 0.5 s');
    sockets.last.drop(); // t = 0.5 s
    mock.timers.tick(1_000);
    assert.equal(sockets.opened.length, 3, 'and 1 s after the second failure');
    sockets.last.drop(); // t = 1.5 s: next try at 3.5 s
    mock.timers.tick(500);
    await settle();
    assert.equal(fetch.calls.length, 2, 'the next poll 2 s after the first');
    mock.timers.tick(1_500);
    assert.equal(sockets.opened.length, 4, '2 s after the third');
    sockets.last.drop(); // t = 3.5 s: next try at 7.5 s
    // The device answers a poll (t = 4 s): its status shows, and the socket is tried at once.
    fetch.next(() => json(deviceStatus('polled')));
    mock.timers.tick(500);
    await settle();
    assert.equal(fetch.calls.length, 3);
    assert.equal(links.at(-1), 'polling');
    assert.equal(sockets.opened.length, 5, 'opened again without waiting out the 4 s backoff');
    // Once the socket is open, polling stops.
    sockets.last.open();
    assert.equal(links.at(-1), 'live');
    const polls = fetch.calls.length;
    mock.timers.tick(SILENCE_MS - 1); // (and then the silence timer would drop it)
    await settle();
    assert.equal(fetch.calls.length, polls);
  });

  test(`${SILENCE_MS / 1000} s without a message drops the socket, closes it and polls`, async () => {
    const fetch = new FakeFetch(() => json(deviceStatus('polled')));
    const { feed, sockets, statuses, links } = harness(fetch);
    feed.start();
    const socket = sockets.last;
    socket.open();
    mock.timers.tick(SILENCE_MS - 1_000);
    socket.send(message('pushed'));
    mock.timers.tick(SILENCE_MS - 1);
    assert.equal(socket.closed, false, 'each message restarts the silence timer');
    mock.timers.tick(1);
    assert.equal(socket.closed, true);
    await settle();
    assert.deepEqual(statuses, ['pushed', 'polled']);
    assert.deepEqual(links, ['live', 'polling']);
    assert.equal(sockets.opened.length, 2, 'the poll answered: the socket is tried again at once');
    // A late close event from the dropped socket changes nothing.
    socket.drop();
    assert.equal(sockets.opened.length, 2);
  });

  test('a socket that cannot even be constructed falls back to polling', async () => {
    const fetch = new FakeFetch(() => json(deviceStatus('polled')));
    const { feed, sockets, statuses } = harness(fetch);
    sockets.refuse = true;
    feed.start();
    await settle();
    assert.deepEqual(statuses, ['polled']);
    assert.equal(fetch.calls.length, 1);
    mock.timers.tick(POLL_MS);
    await settle();
    assert.deepEqual(statuses, ['polled', 'polled']);
    sockets.refuse = false;
    feed.retryNow();
    sockets.last.open();
    mock.timers.tick(POLL_MS * 3);
    await settle();
    assert.equal(fetch.calls.length, 2, 'no polls once the socket is up');
  });

  test('a poll that hangs is given up after 4 s', async () => {
    const fetch = new FakeFetch(({ init }) => new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))));
    const { feed, sockets, links } = harness(fetch);
    feed.start();
    sockets.last.drop();
    await settle();
    assert.deepEqual(links, ['polling']);
    mock.timers.tick(4_000);
    await settle();
    assert.deepEqual(links, ['polling', 'offline']);
  });
});
