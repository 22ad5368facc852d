import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rtspUrl } from '../../../src/web/client/rtsp-link.js';

test('the RTSP URL uses the page\'s host, leaves out port 554, and is absent while RTSP is off or unknown', () => {
  assert.equal(rtspUrl({ rtsp: { port: 554, path: '/stream' } }, 'garden.local'), 'rtsp://garden.local/stream');
  assert.equal(rtspUrl({ rtsp: { port: 8554, path: '/stream' } }, '192.168.1.20'), 'rtsp://192.168.1.20:8554/stream');
  assert.equal(rtspUrl({ rtsp: { port: 8554, path: '/stream' } }, '[fd00::2]'), 'rtsp://[fd00::2]:8554/stream');
  assert.equal(rtspUrl({ rtsp: { port: 0, path: '/stream' } }, 'garden.local'), undefined);
  assert.equal(rtspUrl({}, 'garden.local'), undefined);
});
