// POST /api/update against the real picamd (uWebSockets.js on an ephemeral port): the file streamed
// to picamd's state directory, checked by the running release and handed over as request.update;
// owners only; a bad file refused with its reason and nothing left; 409 while an update runs or for
// a downgrade nobody confirmed; the state in /api/status as the root updater moves on (played here
// by the test, which writes its status.json; the real updater is deploy/test-update.sh's).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appConfig, freePort, startApp, type RunningApp } from '../../fakes/app.js';
import { makeUpdateFile, testSigner } from '../../fakes/update-file.js';

const OWNER = { username: 'ann', password: 'a long passphrase' };
const VIEWER = { username: 'vic', password: 'vics long password' };
const basic = (c: { username: string; password: string }) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

describe('POST /api/update', { timeout: 120_000 }, () => {
  let dir = '';
  let app: RunningApp;
  let port = 0;
  let inbox = '';
  let statusFile = '';
  const files: Record<string, string> = {};
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const upload = (file: string, o: { auth?: typeof OWNER; query?: string } = {}) =>
    fetch(url(`/api/update${o.query ?? ''}`), {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', ...(o.auth ? { Authorization: basic(o.auth) } : {}) },
      body: readFileSync(file),
    });
  const status = async () => (await fetch(url('/api/status'), { headers: { Authorization: basic(OWNER) } })).json() as Promise<{ update: any }>;
  const inboxFiles = () => (existsSync(inbox) ? readdirSync(inbox).sort() : []);
  const updaterSays = (state: string, version: string, reason = '') =>
    writeFileSync(statusFile, `${JSON.stringify({ state, version, from: '0.1.0', reason, at: new Date().toISOString() })}\n`);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'picamd-update-route-'));
    const signer = testSigner(dir);
    const stranger = testSigner(join(dir, 'stranger'));
    // The running picamd is the repository's version, 0.1.0.
    files.good = await makeUpdateFile(dir, signer, { version: '0.2.0', padding: 3_000_000 });
    files.older = await makeUpdateFile(dir, signer, { version: '0.0.5' });
    files.tooNew = await makeUpdateFile(dir, signer, { version: '0.3.0', replacesFrom: '0.2.0' });
    files.stranger = await makeUpdateFile(join(dir, 'stranger'), stranger, { version: '0.2.0' });
    files.otherArch = await makeUpdateFile(dir, signer, { version: '0.2.0', architecture: process.arch === 'arm64' ? 'x64' : 'arm64', name: 'other-arch' });
    const tampered = readFileSync(files.good);
    tampered[tampered.length - 100]! ^= 1;
    writeFileSync((files.tampered = join(dir, 'tampered.update')), tampered);
    writeFileSync((files.truncated = join(dir, 'truncated.update')), readFileSync(files.good).subarray(0, 500_000));
    writeFileSync((files.text = join(dir, 'notes.txt')), 'just some text, not an update\n'.repeat(100));
    mkdirSync(join(dir, 'opt/releases/0.0.9'), { recursive: true });
    symlinkSync('releases/0.0.9', join(dir, 'opt/previous'));
    statusFile = join(dir, 'updater-status.json');
    inbox = join(dir, 'state', 'update');
    port = await freePort();
    app = await startApp(appConfig(port, dir, { firstRun: true }), {
      dir,
      port,
      env: { PICAMD_UPDATE_KEYS: signer.keysDir, PICAMD_UPDATE_STATUS: statusFile, PICAMD_INSTALL_ROOT: join(dir, 'opt') },
    });
    const post = (path: string, body: unknown, auth?: typeof OWNER) =>
      fetch(url(path), { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: basic(auth) } : {}) }, body: JSON.stringify(body) });
    assert.equal((await post('/api/setup', { user: OWNER.username, password: OWNER.password })).status, 200);
    assert.equal((await post('/api/users', { name: VIEWER.username, password: VIEWER.password, role: 'viewer' }, OWNER)).status, 200);
  });
  after(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is for owners only: 401 without a login, 403 for a viewer, and nothing is stored', async () => {
    assert.equal((await upload(files.older!)).status, 401);
    assert.equal((await upload(files.older!, { auth: VIEWER })).status, 403);
    assert.deepEqual(inboxFiles(), []);
  });

  it('refuses a bad file with its reason (400) and keeps nothing of it', async () => {
    const cases: Array<[string, RegExp]> = [
      [files.stranger!, /does not trust/],
      [files.otherArch!, /is built for/],
      [files.tampered!, /SHA-256/],
      [files.truncated!, /the file ends after/],
      [files.text!, /not a picamd update file/],
      [files.tooNew!, /replaces 0\.2\.0 and newer only; this camera runs 0\.1\.0/],
    ];
    for (const [file, reason] of cases) {
      const res = await upload(file, { auth: OWNER });
      const body = (await res.json()) as { error: string; message: string };
      assert.equal(res.status, 400, `${file}: ${body.message}`);
      assert.equal(body.error, 'bad-update');
      assert.match(body.message, reason);
      assert.deepEqual(inboxFiles(), [], `${file} left files`);
      const shown = (await status()).update;
      assert.equal(shown?.state, 'refused');
      assert.match(shown.reason, reason);
    }
  });

  it('a downgrade needs ?allowDowngrade=1 (409 without), and the confirmation is handed to the updater', async () => {
    const refused = await upload(files.older!, { auth: OWNER });
    assert.equal(refused.status, 409);
    const body = (await refused.json()) as { error: string; message: string };
    assert.equal(body.error, 'downgrade-not-confirmed');
    assert.match(body.message, /0\.0\.5 is older than the running 0\.1\.0/);
    assert.deepEqual(inboxFiles(), []);
    const confirmed = await upload(files.older!, { auth: OWNER, query: '?allowDowngrade=1' });
    assert.equal(confirmed.status, 202, await confirmed.clone().text());
    assert.deepEqual(inboxFiles(), ['request.allow-downgrade', 'request.update']);
    assert.equal(readFileSync(join(inbox, 'request.allow-downgrade'), 'utf8'), '0.0.5\n');
    // The updater takes both.
    rmSync(join(inbox, 'request.update'));
    rmSync(join(inbox, 'request.allow-downgrade'));
    updaterSays('refused', '', 'played by the test');
  });

  it('streams a good file to request.update, reports it handed over, then follows the updater; 409 meanwhile', async () => {
    const res = await upload(files.good!, { auth: OWNER });
    const body = (await res.json()) as { accepted: string; version: string; previous: string };
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.equal(body.accepted, '0.2.0');
    assert.equal(body.version, '0.1.0');
    assert.equal(body.previous, '0.0.9');
    assert.deepEqual(inboxFiles(), ['request.update']);
    assert.ok(readFileSync(join(inbox, 'request.update')).equals(readFileSync(files.good!)), 'the stored file is the uploaded one');
    assert.equal((await status()).update.state, 'verifying', 'handed over, the updater has not written yet');
    const busy = await upload(files.older!, { auth: OWNER, query: '?allowDowngrade=1' });
    assert.equal(busy.status, 409);
    assert.match(((await busy.json()) as { message: string }).message, /waiting for the updater/);
    rmSync(join(inbox, 'request.update'));
    updaterSays('installing', '0.2.0');
    assert.equal((await status()).update.state, 'installing');
    assert.equal((await upload(files.older!, { auth: OWNER, query: '?allowDowngrade=1' })).status, 409, 'busy while the updater installs');
    updaterSays('committed', '0.2.0');
    assert.deepEqual((await status()).update, { ...JSON.parse(readFileSync(statusFile, 'utf8')) });
  });

  it('refuses a declared body over the cap with 413 before reading it', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`POST /api/update HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${basic(OWNER)}\r\nContent-Length: 999999999999\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 413 /);
  });

  it('asks the updater to go back to the previous version', async () => {
    const res = await fetch(url('/api/update/rollback'), { method: 'POST', headers: { Authorization: basic(OWNER) } });
    assert.equal(res.status, 202);
    assert.deepEqual(inboxFiles(), ['request.rollback']);
    assert.equal(readFileSync(join(inbox, 'request.rollback'), 'utf8'), '0.0.9\n');
    const again = await fetch(url('/api/update/rollback'), { method: 'POST', headers: { Authorization: basic(OWNER) } });
    assert.equal(again.status, 409);
    rmSync(join(inbox, 'request.rollback'));
  });
});
