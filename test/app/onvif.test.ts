import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket, Socket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import onvif, { type Cam } from 'onvif';
import { appConfig, freePort, startApp, type RunningApp } from '../fakes/app.js';
import { waitFor } from '../fakes/wait.js';

// The real picamd with ONVIF on, and the `onvif` npm client (the one Node recorders use) against it:
// it finds the device by a Probe sent unicast to picamd's discovery port on loopback, logs in (its
// WS-Security PasswordDigest is answered with the Digest challenge, which it then answers with the
// owner's password), lists the profile, and asks for the stream and snapshot URIs; ffprobe then
// reads the stream URI it got, from picamd's RTSP server, with the owner's login.

const OWNER = { user: 'owner', password: 'owner-password-1' };

/** A UDP port that was free a moment ago. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * The npm client only probes the multicast group on port 3702; the test machine has no multicast
 * route to rely on. Its Probe goes, unchanged, to picamd's discovery port on loopback instead: a
 * unicast Probe, which WS-Discovery also allows.
 */
function redirectProbes(toPort: number): () => void {
  const original = Socket.prototype.send;
  Socket.prototype.send = function (this: Socket, ...args: unknown[]) {
    // send(msg, offset, length, port, address, cb): the form the client uses.
    if (args[3] === 3702 && args[4] === '239.255.255.250') {
      args[3] = toPort;
      args[4] = '127.0.0.1';
    }
    return (original as (...a: unknown[]) => void).apply(this, args);
  } as typeof original;
  return () => {
    Socket.prototype.send = original;
  };
}

function probe(): Promise<Cam[]> {
  return new Promise((resolve) => onvif.Discovery.probe({ timeout: 1_500 }, (_err, cams) => resolve((cams ?? []) as Cam[])));
}

function connect(port: number, password: string): Promise<{ cam: Cam; err: Error | null }> {
  return new Promise((resolve) => {
    const cam: Cam = new onvif.Cam({ hostname: '127.0.0.1', port, username: OWNER.user, password, timeout: 10_000, autoconnect: false });
    cam.connect((err) => resolve({ cam, err }));
  });
}

const call = <T>(fn: (cb: (err: Error | null, value?: T) => void) => void) =>
  new Promise<{ err: Error | null; value: T | undefined }>((resolve) => fn((err, value) => resolve({ err, value })));

/** ffprobe (Debian's) on an RTSP URL over TCP: the first video stream's codec and size. */
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

describe('ONVIF with the onvif npm client', () => {
  let app: RunningApp;
  let port: number;
  let discoveryPort: number;
  let rtspPort: number;
  let restore: () => void;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'picamd-onvif-'));
    port = await freePort();
    discoveryPort = await freeUdpPort();
    rtspPort = await freePort();
    app = await startApp({ ...appConfig(port, dir, { firstRun: true, rtsp: { port: rtspPort } }), onvif: { enabled: true, discovery: true, discoveryPort } }, { dir, port });
    restore = redirectProbes(discoveryPort);
  });

  after(async () => {
    restore?.();
    await app?.stop();
  });

  const soap = (body: string, authorization?: string) =>
    fetch(`http://127.0.0.1:${port}/onvif/device_service`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', ...(authorization ? { Authorization: authorization } : {}) },
      body: `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body>${body}</s:Body></s:Envelope>`,
    });

  test('before the device has an owner: no answer to a Probe, and a fault for every ONVIF request', async () => {
    assert.deepEqual(await probe(), []);
    const res = await soap('<tds:GetSystemDateAndTime/>');
    assert.equal(res.status, 503);
    assert.match(await res.text(), /ter:NotSetUp/);
  });

  test('found by a unicast Probe, logs in, lists the profile, gets the URIs; a wrong password is refused', async () => {
    const claim = await fetch(`http://127.0.0.1:${port}/api/setup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: OWNER.user, password: OWNER.password, deviceName: 'Garden' }),
    });
    assert.equal(claim.status, 200, await claim.text());

    let cams: Cam[] = [];
    await waitFor('a ProbeMatch from picamd', async () => (cams = await probe()).length > 0, 20_000, 100);
    assert.equal(cams.length, 1);
    assert.equal(cams[0]!.hostname, '127.0.0.1');
    assert.equal(Number(cams[0]!.port), port);

    const { cam, err } = await connect(port, OWNER.password);
    assert.equal(err, null, `${err?.message}\n${app.output()}`);
    const info = await call<{ manufacturer?: string }>((cb) => cam.getDeviceInformation(cb));
    assert.equal(info.err, null);
    assert.equal(info.value?.manufacturer, 'picamd');
    const profiles = (cam as unknown as { profiles: Array<{ $: { token: string }; videoEncoderConfiguration: { encoding: string; resolution: { width: number } } }> }).profiles;
    assert.equal(profiles.length, 1);
    assert.equal(profiles[0]!.$.token, 'main');
    assert.equal(profiles[0]!.videoEncoderConfiguration.encoding, 'JPEG');
    assert.equal(Number(profiles[0]!.videoEncoderConfiguration.resolution.width), 320);

    const snapshot = await call<{ uri: string }>((cb) => cam.getSnapshotUri({ profileToken: 'main' }, cb));
    assert.equal(snapshot.err, null);
    assert.equal(snapshot.value?.uri, `http://127.0.0.1:${port}/snapshot.jpg`);
    const stream = await call<{ uri: string }>((cb) => cam.getStreamUri({ protocol: 'RTSP', profileToken: 'main' }, cb));
    assert.equal(stream.err, null);
    assert.equal(stream.value?.uri, `rtsp://127.0.0.1:${rtspPort}/stream`);
    const probed = await ffprobe(stream.value!.uri.replace('rtsp://', `rtsp://${OWNER.user}:${OWNER.password}@`));
    assert.equal(probed.code, 0, probed.stderr);
    assert.deepEqual(JSON.parse(probed.stdout).streams, [{ codec_name: 'mjpeg', width: 320, height: 240 }]);

    const wrong = await connect(port, 'not the password');
    assert.ok(wrong.err, 'refused');
    assert.match(wrong.err.message, /Digest authentication failed 401/);
    assert.match(app.output(), /failed ONVIF login as "owner" from 127\.0\.0\.1/);
  });

  test('an unknown action is a SOAP fault behind the login; GetSystemDateAndTime needs none', async () => {
    const basic = `Basic ${Buffer.from(`${OWNER.user}:${OWNER.password}`).toString('base64')}`;
    const unknown = await soap('<tds:SystemReboot/>', basic);
    assert.equal(unknown.status, 500);
    assert.match(await unknown.text(), /ter:ActionNotSupported/);
    assert.equal((await soap('<tds:SystemReboot/>')).status, 401);
    const time = await soap('<tds:GetSystemDateAndTime/>');
    assert.equal(time.status, 200);
    assert.match(await time.text(), /<tt:UTCDateTime>/);
    const huge = await soap(`<tds:GetSystemDateAndTime>${'x'.repeat(20_000)}</tds:GetSystemDateAndTime>`);
    assert.equal(huge.status, 413);
  });
});
