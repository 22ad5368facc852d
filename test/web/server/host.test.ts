import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceHostNames, hostAllowed, hostOf } from '../../../src/web/server/host.js';

test('the names a device answers to', () => {
  assert.deepEqual(deviceHostNames('picamd', []).sort(), ['localhost', 'picamd', 'picamd.local']);
  assert.deepEqual(deviceHostNames('Cam.lan.', ['Camera.Example.org']).sort(), ['cam.lan', 'cam.local', 'camera.example.org', 'localhost']);
});

test('Host headers: IP literals always, names only when they are the device', () => {
  const names = deviceHostNames('picamd', ['cam.example.org']);
  for (const ok of ['192.168.1.20', '192.168.1.20:8080', '[fe80::1]:80', '[::1]', 'PICAMD.local', 'picamd.local.', 'picamd:8080', 'localhost:8080', 'cam.example.org'])
    assert.equal(hostAllowed(ok, names), true, ok);
  for (const bad of ['evil.example', 'picamd.local.evil.example', '', 'rebind.1.2.3.4.nip.io', '[::1', 'x'])
    assert.equal(hostAllowed(bad, names), false, bad);
  assert.equal(hostAllowed('anything.example', ['*']), true, '* for a reverse proxy that rewrites Host');
  assert.equal(hostOf('[::1]:8080'), '::1');
  assert.equal(hostOf('Cam.Local:80'), 'cam.local');
});
