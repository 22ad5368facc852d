import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appConfig, freePort, startApp, type RunningApp } from '../fakes/app.js';
import { waitFor } from '../fakes/wait.js';
import onvif, { type Cam } from 'onvif';

// The recorder credential against the real picamd: turned on by the owner, it logs in to ONVIF with
// a WS-Security UsernameToken PasswordDigest built here the way Home Assistant's client
// (onvif-zeep-async, through zeep's UsernameToken) builds it: a random nonce sent in Base64, Created
// in UTC, Base64(SHA-1(nonce + created + password)). It gets the profiles and the stream URI, and
// ffprobe plays the stream with it (RTSP Digest). A wrong password, a stale Created and a replayed
// nonce are refused; the recorder may not call an owner's operation or the page's API. A damaged
// credential file at start means no recorder login at all, and the page's API says so.

const OWNER = { user: 'owner', password: 'owner-password-1' };
const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  digest: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest',
  base64: 'http://docs.oasis-open.org/wss/2004/01/oasis-200404-wss-soap-message-security-1.0#Base64Binary',
};
const ownerBasic = `Basic ${Buffer.from(`${OWNER.user}:${OWNER.password}`).toString('base64')}`;

/** A UsernameToken header as zeep writes it (Created without fractions, in UTC). */
function digestToken(user: string, password: string, options: { created?: Date; nonce?: Buffer } = {}): string {
  const nonce = options.nonce ?? randomBytes(16);
  const created = (options.created ?? new Date()).toISOString().replace(/\.\d+Z$/, '+00:00');
  const digest = createHash('sha1').update(nonce).update(created).update(password).digest('base64');
  return (
    `<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}"><wsse:UsernameToken>` +
    `<wsse:Username>${user}</wsse:Username><wsse:Password Type="${NS.digest}">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${NS.base64}">${nonce.toString('base64')}</wsse:Nonce><wsu:Created>${created}</wsu:Created>` +
    `</wsse:UsernameToken></wsse:Security>`
  );
}

function ffprobe(url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', url]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the recorder credential', () => {
  let app: RunningApp;
  let port: number;
  let rtspPort: number;
  let dir: string;
  let config: object;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'picamd-recorder-'));
    port = await freePort();
    rtspPort = await freePort();
    config = { ...appConfig(port, dir, { firstRun: true, rtsp: { port: rtspPort } }), onvif: { enabled: true, discovery: false } };
    app = await startApp(config, { dir, port });
    const claim = await fetch(`http://127.0.0.1:${port}/api/setup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: OWNER.user, password: OWNER.password, deviceName: 'Garden' }),
    });
    assert.equal(claim.status, 200, await claim.text());
  });

  after(async () => {
    await app?.stop();
  });

  const api = (method: string, path: string, authorization = ownerBasic, body?: unknown) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { Authorization: authorization, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  const soap = (service: 'device' | 'media', header: string, body: string, authorization?: string) =>
    fetch(`http://127.0.0.1:${port}/onvif/${service}_service`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', ...(authorization ? { Authorization: authorization } : {}) },
      body:
        `<s:Envelope xmlns:s="${NS.soap}" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">` +
        `<s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`,
    });

  const getStreamUri =
    '<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>main</trt:ProfileToken></trt:GetStreamUri>';

  test('off by default: no file, the owner sees it off, and a PasswordDigest for "recorder" gets the HTTP Digest challenge', async () => {
    const res = await api('GET', '/api/recorder');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { state: 'off' });
    const refused = await soap('media', digestToken('recorder', 'anything-at-all-1'), '<trt:GetProfiles/>');
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Digest /);
  });

  test('turned on by the owner, it logs in with PasswordDigest, gets the profiles and the stream URI, and ffprobe plays it', async () => {
    const on = await api('POST', '/api/recorder', ownerBasic, { enabled: true });
    assert.equal(on.status, 200);
    const recorder = (await on.json()) as { state: string; user: string; password: string };
    assert.equal(recorder.state, 'on');
    assert.equal(recorder.user, 'recorder');
    assert.match(recorder.password, /^[A-Za-z0-9]{20}$/);
    assert.equal(statSync(join(dir, 'state', 'recorder.json')).mode & 0o777, 0o600);

    const profiles = await soap('media', digestToken(recorder.user, recorder.password), '<trt:GetProfiles/>');
    const profilesText = await profiles.text();
    assert.equal(profiles.status, 200, profilesText);
    assert.match(profilesText, /<trt:Profiles[^>]*token="main"/);
    const uri = await soap('media', digestToken(recorder.user, recorder.password), getStreamUri);
    const uriText = await uri.text();
    assert.equal(uri.status, 200, uriText);
    const streamUri = /<tt:Uri>([^<]+)<\/tt:Uri>/.exec(uriText)?.[1];
    assert.equal(streamUri, `rtsp://127.0.0.1:${rtspPort}/stream`);

    const probed = await ffprobe(streamUri!.replace('rtsp://', `rtsp://${recorder.user}:${recorder.password}@`));
    assert.equal(probed.code, 0, probed.stderr);
    assert.deepEqual(JSON.parse(probed.stdout).streams, [{ codec_name: 'mjpeg', width: 320, height: 240 }]);
  });

  test('the onvif npm client logs in with the recorder login and gets the stream URI; a wrong password is refused', async () => {
    const { user, password } = (await (await api('GET', '/api/recorder')).json()) as { user: string; password: string };
    const connect = (pass: string) =>
      new Promise<{ cam: Cam; err: Error | null }>((resolve) => {
        const cam: Cam = new onvif.Cam({ hostname: '127.0.0.1', port, username: user, password: pass, timeout: 10_000, autoconnect: false });
        cam.connect((err) => resolve({ cam, err }));
      });
    const { cam, err } = await connect(password);
    assert.equal(err, null, `${err?.message}\n${app.output()}`);
    const stream = await new Promise<{ err: Error | null; uri?: string }>((resolve) => cam.getStreamUri({ protocol: 'RTSP', profileToken: 'main' }, (e, v) => resolve({ err: e, uri: (v as { uri?: string } | undefined)?.uri })));
    assert.equal(stream.err, null);
    assert.equal(stream.uri, `rtsp://127.0.0.1:${rtspPort}/stream`);
    assert.ok((await connect(`${password}x`)).err, 'a wrong password is refused');
  });

  test('HTTP Digest with the recorder login on ONVIF (its HA1 in the picamd realm)', async () => {
    const { user, password } = (await (await api('GET', '/api/recorder')).json()) as { user: string; password: string };
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    const challenge = await soap('media', '', '<trt:GetProfiles/>');
    assert.equal(challenge.status, 401);
    const header = challenge.headers.get('www-authenticate') ?? '';
    const nonce = /nonce="([^"]+)"/.exec(header)?.[1];
    assert.ok(nonce, header);
    const answer = (pass: string) => {
      const uri = '/onvif/media_service';
      const response = md5(`${md5(`${user}:picamd:${pass}`)}:${nonce}:00000001:0a4f113b:auth:${md5(`POST:${uri}`)}`);
      return `Digest username="${user}", realm="picamd", nonce="${nonce}", uri="${uri}", qop=auth, nc=00000001, cnonce="0a4f113b", response="${response}", algorithm=MD5`;
    };
    const ok = await soap('media', '', '<trt:GetProfiles/>', answer(password));
    assert.equal(ok.status, 200, await ok.text());
    assert.equal((await soap('media', '', '<trt:GetProfiles/>', answer(`${password}x`))).status, 401);
  });

  test('a wrong password, a stale Created and a replayed nonce are refused', async () => {
    const { password } = (await (await api('GET', '/api/recorder')).json()) as { password: string };
    const wrong = await soap('media', digestToken('recorder', `${password}x`), '<trt:GetProfiles/>');
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /Wrong user name or password/);

    const stale = await soap('media', digestToken('recorder', password, { created: new Date(Date.now() - 10 * 60_000) }), '<trt:GetProfiles/>');
    assert.equal(stale.status, 401);
    assert.match(await stale.text(), /more than 5 minutes off/);
    const ahead = await soap('media', digestToken('recorder', password, { created: new Date(Date.now() + 10 * 60_000) }), '<trt:GetProfiles/>');
    assert.equal(ahead.status, 401);

    const header = digestToken('recorder', password);
    assert.equal((await soap('media', header, '<trt:GetProfiles/>')).status, 200);
    const replayed = await soap('media', header, '<trt:GetProfiles/>');
    assert.equal(replayed.status, 401);
    assert.match(await replayed.text(), /already used/);
    assert.match(app.output(), /failed ONVIF login as "recorder" from 127\.0\.0\.1/);
  });

  test("the recorder only watches: no owner's ONVIF call, none of the page's API, and Basic/Digest elsewhere as a viewer", async () => {
    const { user, password } = (await (await api('GET', '/api/recorder')).json()) as { user: string; password: string };
    const users = await soap('device', digestToken(user, password), '<tds:GetUsers/>');
    assert.equal(users.status, 400);
    assert.match(await users.text(), /Only an owner/);
    const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    // PasswordText-free HTTP Basic on ONVIF: a viewer's read-only call works.
    assert.equal((await soap('device', '', '<tds:GetDeviceInformation/>', basic)).status, 200);
    // The still image GetSnapshotUri names does take it (a recorder fetches it with its ONVIF login).
    const snapshot = await waitFor('a snapshot for the recorder', async () => {
      const answer = await api('GET', '/snapshot.jpg', basic);
      return answer.status === 200 ? answer : undefined;
    }, 30_000, 200);
    assert.equal(snapshot.headers.get('content-type'), 'image/jpeg');
    const jpeg = Buffer.from(await snapshot.arrayBuffer());
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
    // The page's login never takes it: not an account.
    for (const path of ['/api/recorder', '/api/settings', '/api/users']) {
      assert.equal((await api('GET', path, basic)).status, 401, path);
    }
    assert.equal((await api('POST', '/api/recorder/rotate', basic)).status, 401);
    assert.equal((await api('POST', '/api/privacy', basic, { enabled: true })).status, 401);
  });

  test('rotate: the old password stops at once, the new one works', async () => {
    const before = (await (await api('GET', '/api/recorder')).json()) as { user: string; password: string };
    const rotated = await api('POST', '/api/recorder/rotate');
    assert.equal(rotated.status, 200);
    const after = (await rotated.json()) as { user: string; password: string };
    assert.equal(after.user, before.user);
    assert.notEqual(after.password, before.password);
    assert.equal((await soap('media', digestToken(before.user, before.password), '<trt:GetProfiles/>')).status, 401);
    assert.equal((await soap('media', digestToken(after.user, after.password), '<trt:GetProfiles/>')).status, 200);
  });

  test("rotating ends the recorder's RTSP connections that logged in with the old password", async () => {
    const { user, password } = (await (await api('GET', '/api/recorder')).json()) as { user: string; password: string };
    const ffmpeg = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-stats', '-rtsp_transport', 'tcp', '-i', `rtsp://${user}:${password}@127.0.0.1:${rtspPort}/stream`, '-t', '120', '-f', 'null', '-']);
    let stderr = '';
    ffmpeg.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => ffmpeg.on('close', (code) => resolve(code)));
    try {
      await waitFor('ffmpeg reading frames', () => /frame=\s*[1-9]/.test(stderr), 30_000, 100);
      assert.equal((await api('POST', '/api/recorder/rotate')).status, 200);
      // It ends long before its 120 s: the server closed its connection.
      await Promise.race([exited, new Promise((_, reject) => setTimeout(() => reject(new Error(`ffmpeg still reading:\n${stderr}`)), 60_000).unref())]);
      assert.match(app.output(), /the access of recorder ended, closing/);
    } finally {
      ffmpeg.kill('SIGKILL');
    }
  });

  test('a damaged credential file at start: no recorder login at all, and the owner is told', async () => {
    const { user, password } = (await (await api('GET', '/api/recorder')).json()) as { user: string; password: string };
    await app.stop();
    writeFileSync(join(dir, 'state', 'recorder.json'), `{"format": 1, "user": "${user}", "password": "${password}"`, { mode: 0o600 });
    app = await startApp(config, { dir, port });
    const status = (await (await api('GET', '/api/recorder')).json()) as { state: string; message: string };
    assert.equal(status.state, 'damaged');
    assert.match(status.message, /cannot be used/);
    assert.equal((await soap('media', digestToken(user, password), '<trt:GetProfiles/>')).status, 401);
    const probed = await ffprobe(`rtsp://${user}:${password}@127.0.0.1:${rtspPort}/stream`);
    assert.notEqual(probed.code, 0);
    assert.match(app.output(), /recorder credential unusable/);
    // Turning it on again writes a new file and password.
    const on = (await (await api('POST', '/api/recorder', ownerBasic, { enabled: true })).json()) as { state: string; password: string };
    assert.equal(on.state, 'on');
    assert.notEqual(on.password, password);
  });
});
