import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpUrl, socketUrl } from '../../../src/web/client/net.js';

test('request URLs come from the protocol and host, never with the credentials of the page URL', () => {
  const page = new URL('http://owner:s3cret@192.168.1.20:8080/?x=1#settings');
  assert.equal(page.href.includes('s3cret'), true);
  assert.equal(httpUrl(page, '/stream.mjpg'), 'http://192.168.1.20:8080/stream.mjpg');
  assert.equal(socketUrl(page, '/api/events'), 'ws://192.168.1.20:8080/api/events');
  const tls = new URL('https://a%40b:p%3Aw@[fe80::1]/');
  assert.equal(httpUrl(tls, '/api/settings'), 'https://[fe80::1]/api/settings');
  assert.equal(socketUrl(tls, '/api/events'), 'wss://[fe80::1]/api/events');
  for (const url of [httpUrl(page, '/a'), httpUrl(tls, '/a'), socketUrl(page, '/a'), socketUrl(tls, '/a')]) {
    const parsed = new URL(url);
    assert.equal(parsed.username + parsed.password, '', url);
  }
});
