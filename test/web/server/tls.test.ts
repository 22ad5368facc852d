import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import { Authenticator } from '../../../src/web/server/auth/authenticator.js';
import { hashPassword } from '../../../src/device/accounts/password.js';
import type { MjpegViewer } from '../../../src/web/streaming/mjpeg-route.js';
import { checkTlsFiles } from '../../../src/web/server/tls.js';
import { Broadcaster } from '../../../src/media/broadcaster.js';
import { loadFixtures } from '../../fixtures/jpeg/index.js';
import { mainJs, projectRoot } from '../../fakes/app.js';
import { startServer, type TestServer } from '../../fakes/server.js';
import { waitFor } from '../../fakes/wait.js';

const openssl = ['/usr/bin/openssl', '/bin/openssl'].find(existsSync);
const dir = mkdtempSync(join(tmpdir(), 'picamd-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate the way docs/security.md makes one. */
function selfSigned(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(openssl!, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
    '-subj', '/CN=picamd.local', '-addext', 'subjectAltName=DNS:picamd.local,IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { cert, key };
}

function get(port: number, path: string, ca: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS', { skip: !openssl && 'openssl not installed' }, () => {
  let pair: { cert: string; key: string };
  let other: { cert: string; key: string };
  before(() => {
    pair = selfSigned('device');
    other = selfSigned('other');
  });

  test('usable files pass the check', () => {
    assert.deepEqual(checkTlsFiles(pair), []);
    assert.deepEqual(checkTlsFiles(null), []);
  });

  test('missing, wrong, encrypted or mismatched files are config problems', () => {
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    const encrypted = join(dir, 'encrypted.key');
    execFileSync(openssl!, ['pkey', '-in', pair.key, '-aes256', '-passout', 'pass:x', '-out', encrypted], { stdio: 'ignore' });
    assert.deepEqual(checkTlsFiles({ cert: join(dir, 'nope.crt'), key: pair.key }), [`server.tls.cert: cannot read ${join(dir, 'nope.crt')} (ENOENT)`]);
    assert.deepEqual(checkTlsFiles({ cert: garbage, key: garbage }), [
      `server.tls.cert: ${garbage} is not a PEM certificate`,
      `server.tls.key: ${garbage} is not a PEM private key`,
    ]);
    assert.deepEqual(checkTlsFiles({ cert: pair.cert, key: encrypted }), [`server.tls.key: ${encrypted} is encrypted (picamd needs it without a passphrase)`]);
    assert.deepEqual(checkTlsFiles({ cert: pair.cert, key: other.key }), [`server.tls.key: ${other.key} does not belong to the certificate ${pair.cert}`]);
  });

  test('picamd refuses to start with an unreadable certificate: exit 78 naming the field', () => {
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ server: { tls: { cert: join(dir, 'missing.crt'), key: pair.key } } }));
    for (const args of [['--config', config], ['--check-config', '--config', config]]) {
      const r = spawnSync(process.execPath, [mainJs, ...args], { cwd: projectRoot, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 78, r.stderr);
      assert.match(r.stderr, /config\.json: server\.tls\.cert: cannot read .*missing\.crt \(ENOENT\)/);
    }
  });

  describe('HTTPS server', () => {
    const fixtures = loadFixtures().map((f) => f.bytes);
    const broadcaster = new Broadcaster<MjpegViewer>(() => performance.now(), 4);
    let server: TestServer;
    let port = 0;
    let ca = '';
    before(async () => {
      ca = readFileSync(pair.cert, 'utf8');
      const users = [{ name: 'admin', passwordHash: await hashPassword('s3cret', { ln: 10, r: 8, p: 1 }) }];
      server = await startServer({
        server: { tls: pair, auth: { users }, allowedHosts: ['picamd.local'] },
        deps: {
          broadcaster,
          snapshot: () => ({ jpeg: fixtures[0]! }),
          routes: [(router) => router.get('/', () => ({ status: 200, headers: {}, body: 'page' }))],
          authenticator: new Authenticator({ users }),
        },
      });
      port = server.port;
      assert.ok(server.logger.lines.some((l) => l.includes(`listening on https://127.0.0.1:${port}/ (login required: 1 user)`)));
    });
    after(() => server.stop());

    test('serves over TLS with a certificate the client can pin; the session cookie is Secure', async () => {
      assert.equal((await get(port, '/healthz', ca)).status, 200);
      assert.equal((await get(port, '/snapshot.jpg', ca)).status, 401);
      const auth = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;
      const page = await get(port, '/', ca, { Authorization: auth, 'Sec-Fetch-Dest': 'document' });
      assert.equal(page.status, 200);
      assert.match(page.headers['set-cookie']![0]!, /; HttpOnly; SameSite=Strict; Secure$/);
      assert.equal(page.headers['strict-transport-security'], 'max-age=15552000');
      assert.equal((await get(port, '/healthz', ca)).headers['strict-transport-security'], 'max-age=15552000');
    });

    test('TLS 1.2 offers forward-secret AEAD suites only: CBC and static-RSA clients are refused', async () => {
      const handshake = (ciphers: string) =>
        new Promise<string>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port, ca, servername: 'picamd.local', maxVersion: 'TLSv1.2', ciphers });
          socket.on('secureConnect', () => {
            resolve(socket.getCipher().name);
            socket.destroy();
          });
          socket.on('error', () => resolve('refused'));
        });
      assert.equal(await handshake('ECDHE-ECDSA-AES128-GCM-SHA256'), 'ECDHE-ECDSA-AES128-GCM-SHA256');
      for (const cbc of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-SHA256']) {
        assert.equal(await handshake(cbc), 'refused', cbc);
      }
    });

    test('the MJPEG stream flows over TLS', async () => {
      const socket = connect({ host: '127.0.0.1', port, ca, servername: 'picamd.local' });
      let received = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
      socket.on('secureConnect', () => {
        socket.write(`GET /stream.mjpg HTTP/1.1\r\nHost: picamd.local\r\nAuthorization: Basic ${Buffer.from('admin:s3cret').toString('base64')}\r\n\r\n`);
      });
      await waitFor('viewer', () => broadcaster.viewerCount === 1);
      broadcaster.publish(fixtures[2]!, true);
      await waitFor('the frame', () => received.includes(fixtures[2]!));
      assert.match(received.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
      socket.destroy();
      await waitFor('viewer gone', () => broadcaster.viewerCount === 0);
    });
  });
});
