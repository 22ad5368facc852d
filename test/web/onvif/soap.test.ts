import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { hashPassword } from '../../../src/device/accounts/password.js';
import { NS, PASSWORD_DIGEST } from '../../../src/formats/soap/namespaces.js';
import { parseXml, child, type XmlElement } from '../../../src/formats/soap/xml.js';
import { OnvifAuth } from '../../../src/web/onvif/auth.js';
import type { OnvifFacts, VideoFacts } from '../../../src/web/onvif/facts.js';
import { OnvifSoap } from '../../../src/web/onvif/soap.js';
import { Authenticator } from '../../../src/web/server/auth/authenticator.js';
import { LoginLimiter } from '../../../src/web/server/auth/limiter.js';
import type { Response } from '../../../src/web/server/response.js';
import { makeRequest } from '../../fakes/request.js';
import { memoryLogger } from '../../fakes/logger.js';

const cheap = { ln: 10, r: 8, p: 1 };
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const passwords: Record<string, string> = { owner: 'owner password 1', guest: 'viewer password 2' };
const users = [
  { name: 'owner', passwordHash: await hashPassword(passwords.owner!, cheap), role: 'owner' as const },
  { name: 'guest', passwordHash: await hashPassword(passwords.guest!, cheap), role: 'viewer' as const },
];

function setup(over: { claimed?: boolean; openViewing?: boolean; video?: Partial<VideoFacts>; rtspPort?: number } = {}) {
  let clock = 1_000_000;
  const limiter = new LoginLimiter();
  const authenticator = new Authenticator({ users, limiter });
  const logger = memoryLogger();
  const video: VideoFacts = { codec: 'mjpeg', width: 1280, height: 720, framerate: 30, quality: 80, bitrateKbps: null, keyframeIntervalMs: 1000, h264Profile: 'high', ...over.video };
  const facts: OnvifFacts = {
    deviceName: () => 'Garden & gate',
    hostname: () => 'picamd',
    model: () => 'Raspberry Pi 4 Model B Rev 1.4',
    firmware: '0.1.0',
    serial: () => '10000000abcdef01',
    hardwareId: () => 'c03114',
    interfaces: () => [{ name: 'eth0', mac: 'dc:a6:32:00:00:01', ipv4: [{ address: '192.168.1.20', prefixLength: 24 }] }],
    httpPort: () => 80,
    secure: () => false,
    rtspPort: () => over.rtspPort ?? 554,
    video: () => video,
    users: () => users.map(({ name, role }) => ({ name, role })),
    discoverable: () => true,
    now: () => new Date(Date.UTC(2026, 11, 7, 5, 4, 3)),
  };
  const auth = new OnvifAuth({
    authenticator: () => authenticator,
    limiter,
    digest: () => ({ realm: 'picamd', ha1: (u) => (passwords[u] ? md5(`${u}:picamd:${passwords[u]}`) : undefined) }),
    roleOf: (u) => users.find((x) => x.name === u)?.role,
    logger,
    now: () => clock,
    random: (n) => Buffer.alloc(n, 1),
  });
  const soap = new OnvifSoap({ facts, auth, claimed: () => over.claimed ?? true, openViewing: () => over.openViewing ?? false, logger });
  return { soap, auth, limiter, logger, tick: (ms: number) => (clock += ms) };
}

const envelope = (body: string, header = '') => `<s:Envelope xmlns:s="${NS.soap}" xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" xmlns:tt="${NS.tt}"><s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;

function request(body: string, headers: Record<string, string> = {}, path = '/onvif/device_service') {
  return makeRequest({ method: 'post', path, body: Buffer.from(body), headers: { host: '192.168.1.20', ...headers }, remote: '10.0.0.5' });
}

async function call(soap: OnvifSoap, service: 'device' | 'media', body: string, headers: Record<string, string> = {}): Promise<{ res: Response; xml: XmlElement }> {
  const res = await soap.handle(service, request(body, headers, service === 'device' ? '/onvif/device_service' : '/onvif/media_service'));
  const parsed = parseXml(String(res.body));
  assert.ok(parsed.ok, `well-formed answer: ${res.body}`);
  return { res, xml: parsed.root };
}

const bodyOf = (xml: XmlElement) => child(xml, NS.soap, 'Body')!.children[0]!;
const faultCodes = (xml: XmlElement) => {
  const out: string[] = [];
  for (let code: XmlElement | undefined = child(bodyOf(xml), NS.soap, 'Code'); code; code = child(code, NS.soap, 'Subcode')) out.push(child(code, NS.soap, 'Value')!.text);
  return out;
};

/** Digest answer to a 401, computed the way a client does. */
function digestFor(res: Response, user: string, password: string, uri: string): string {
  const challenge = res.headers['WWW-Authenticate']!;
  const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
  const ha1 = md5(`${user}:picamd:${password}`);
  const response = md5(`${ha1}:${nonce}:00000001:c0ffee:auth:${md5(`POST:${uri}`)}`);
  return `Digest username="${user}", realm="picamd", nonce="${nonce}", uri="${uri}", qop=auth, nc=00000001, cnonce="c0ffee", response="${response}"`;
}

test('GetSystemDateAndTime needs no login and says UTC; everything else asks for HTTP Digest', async () => {
  const { soap } = setup();
  const time = await call(soap, 'device', envelope('<tds:GetSystemDateAndTime/>'));
  assert.equal(time.res.status, 200);
  assert.equal(time.res.headers['Content-Type'], 'application/soap+xml; charset=utf-8');
  const utc = child(child(bodyOf(time.xml), NS.tds, 'SystemDateAndTime'), NS.tt, 'UTCDateTime')!;
  assert.equal(child(child(utc, NS.tt, 'Date'), NS.tt, 'Year')!.text, '2026');
  assert.equal(child(child(utc, NS.tt, 'Time'), NS.tt, 'Hour')!.text, '5');
  const info = await call(soap, 'device', envelope('<tds:GetDeviceInformation/>'));
  assert.equal(info.res.status, 401);
  assert.match(info.res.headers['WWW-Authenticate']!, /^Digest realm="picamd", qop="auth"/);
  assert.deepEqual(faultCodes(info.xml), ['s:Sender', 'ter:NotAuthorized']);
});

test('HTTP Digest with the stored HA1 logs in; a wrong password is refused and counted by the shared limiter', async () => {
  const { soap, limiter, logger } = setup();
  const first = await call(soap, 'device', envelope('<tds:GetDeviceInformation/>'));
  const ok = await call(soap, 'device', envelope('<tds:GetDeviceInformation/>'), { authorization: digestFor(first.res, 'owner', passwords.owner!, '/onvif/device_service') });
  assert.equal(ok.res.status, 200, String(ok.res.body));
  const info = bodyOf(ok.xml);
  assert.equal(child(info, NS.tds, 'Manufacturer')!.text, 'picamd');
  assert.equal(child(info, NS.tds, 'SerialNumber')!.text, '10000000abcdef01');
  const wrong = await call(soap, 'device', envelope('<tds:GetDeviceInformation/>'), { authorization: digestFor(first.res, 'owner', 'not the password', '/onvif/device_service') });
  assert.equal(wrong.res.status, 401);
  assert.ok(limiter.hasFailures('10.0.0.5', 1_000_000), 'the failure is on record for the address');
  assert.ok(logger.lines.some((l) => /failed ONVIF login as "owner" from 10.0.0.5/.test(l)), logger.lines.join('\n'));
  const unknown = await call(soap, 'device', envelope('<tds:GetDeviceInformation/>'), { authorization: digestFor(first.res, 'nobody', 'x', '/onvif/device_service') });
  assert.equal(unknown.res.status, 401);
  const otherUri = await call(soap, 'device', envelope('<tds:GetDeviceInformation/>'), { authorization: digestFor(first.res, 'owner', passwords.owner!, '/onvif/media_service') });
  assert.equal(otherUri.res.status, 400, 'an answer for another URI is not accepted');
});

test('after the free failures the address must wait (429), whichever login it tries', async () => {
  const { soap } = setup();
  const first = await call(soap, 'device', envelope('<tds:GetScopes/>'));
  let last: Response | undefined;
  for (let i = 0; i < 7; i++) {
    last = (await call(soap, 'device', envelope('<tds:GetScopes/>'), { authorization: digestFor(first.res, 'owner', `guess ${i}`, '/onvif/device_service') })).res;
  }
  assert.equal(last!.status, 429);
  assert.ok(Number(last!.headers['Retry-After']) >= 1);
  const basic = await call(soap, 'device', envelope('<tds:GetScopes/>'), { authorization: `Basic ${Buffer.from(`owner:${passwords.owner}`).toString('base64')}` });
  assert.equal(basic.res.status, 429, 'the right password waits too');
});

test('UsernameToken: PasswordText is checked like the page\'s login; PasswordDigest is answered with the Digest challenge', async () => {
  const { soap } = setup();
  const token = (password: string, type = '') =>
    `<Security xmlns="${NS.wsse}"><UsernameToken><Username>guest</Username><Password${type ? ` Type="${type}"` : ''}>${password}</Password>` +
    `<Nonce>AAAA</Nonce><Created xmlns="${NS.wsu}">2026-12-07T05:04:03Z</Created></UsernameToken></Security>`;
  const text = await call(soap, 'media', envelope('<trt:GetProfiles/>', token(passwords.guest!)));
  assert.equal(text.res.status, 200, String(text.res.body));
  const wrongText = await call(soap, 'media', envelope('<trt:GetProfiles/>', token('nope nope nope')));
  assert.equal(wrongText.res.status, 401);
  const digest = await call(soap, 'media', envelope('<trt:GetProfiles/>', token('aGVsbG8=', PASSWORD_DIGEST)));
  assert.equal(digest.res.status, 401);
  assert.match(digest.res.headers['WWW-Authenticate']!, /^Digest /);
  assert.match(String(digest.res.body), /PasswordDigest cannot be checked/);
});

test('roles: GetUsers is the owners\'; a viewer may list profiles but not users', async () => {
  const { soap } = setup();
  const basic = (u: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${passwords[u]}`).toString('base64')}` });
  const asViewer = await call(soap, 'device', envelope('<tds:GetUsers/>'), basic('guest'));
  assert.equal(asViewer.res.status, 400);
  assert.deepEqual(faultCodes(asViewer.xml), ['s:Sender', 'ter:NotAuthorized']);
  const asOwner = await call(soap, 'device', envelope('<tds:GetUsers/>'), basic('owner'));
  assert.equal(asOwner.res.status, 200);
  assert.deepEqual(
    bodyOf(asOwner.xml).children.map((u) => [child(u, NS.tt, 'Username')!.text, child(u, NS.tt, 'UserLevel')!.text]),
    [['owner', 'Administrator'], ['guest', 'User']],
  );
  assert.doesNotMatch(String(asOwner.res.body), /scrypt|Password/);
});

test('profiles follow the codec: MJPEG is a JPEG encoder, H.264 an H264 one; stream and snapshot URIs use the host asked', async () => {
  const owner = { authorization: `Basic ${Buffer.from(`owner:${passwords.owner}`).toString('base64')}` };
  const mjpeg = setup();
  const profiles = await call(mjpeg.soap, 'media', envelope('<trt:GetProfiles/>'), owner);
  const vec = child(bodyOf(profiles.xml).children[0], NS.tt, 'VideoEncoderConfiguration')!;
  assert.equal(child(vec, NS.tt, 'Encoding')!.text, 'JPEG');
  assert.equal(child(child(vec, NS.tt, 'Resolution'), NS.tt, 'Width')!.text, '1280');
  const uri = await call(mjpeg.soap, 'media', envelope('<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>main</trt:ProfileToken></trt:GetStreamUri>'), owner);
  assert.equal(child(child(bodyOf(uri.xml), NS.trt, 'MediaUri'), NS.tt, 'Uri')!.text, 'rtsp://192.168.1.20/stream');
  const snap = await call(mjpeg.soap, 'media', envelope('<trt:GetSnapshotUri><trt:ProfileToken>main</trt:ProfileToken></trt:GetSnapshotUri>'), owner);
  assert.equal(child(child(bodyOf(snap.xml), NS.trt, 'MediaUri'), NS.tt, 'Uri')!.text, 'http://192.168.1.20/snapshot.jpg');
  const noProfile = await call(mjpeg.soap, 'media', envelope('<trt:GetStreamUri><trt:ProfileToken>other</trt:ProfileToken></trt:GetStreamUri>'), owner);
  assert.deepEqual(faultCodes(noProfile.xml), ['s:Sender', 'ter:InvalidArgVal', 'ter:NoProfile']);

  const h264 = setup({ video: { codec: 'h264' }, rtspPort: 8554 });
  const p2 = await call(h264.soap, 'media', envelope('<trt:GetVideoEncoderConfigurations/>'), owner);
  const conf = bodyOf(p2.xml).children[0]!;
  assert.equal(child(conf, NS.tt, 'Encoding')!.text, 'H264');
  assert.equal(child(child(conf, NS.tt, 'H264'), NS.tt, 'GovLength')!.text, '30');
  const uri2 = await call(h264.soap, 'media', envelope('<trt:GetStreamUri><trt:ProfileToken>main</trt:ProfileToken></trt:GetStreamUri>'), { ...owner });
  assert.equal(child(child(bodyOf(uri2.xml), NS.trt, 'MediaUri'), NS.tt, 'Uri')!.text, 'rtsp://192.168.1.20/stream'.replace('20/', '20:8554/'));
  const snap2 = await call(h264.soap, 'media', envelope('<trt:GetSnapshotUri><trt:ProfileToken>main</trt:ProfileToken></trt:GetSnapshotUri>'), owner);
  assert.equal(snap2.res.status, 500);
  assert.match(String(snap2.res.body), /H\.264 mode/);

  const off = setup({ rtspPort: 0 });
  const uri3 = await call(off.soap, 'media', envelope('<trt:GetStreamUri><trt:ProfileToken>main</trt:ProfileToken></trt:GetStreamUri>'), owner);
  assert.equal(uri3.res.status, 500);
  assert.match(String(uri3.res.body), /RTSP is off/);
});

test('open viewing opens the media URIs only; before an owner there is nothing at all', async () => {
  const open = setup({ openViewing: true });
  const uri = await call(open.soap, 'media', envelope('<trt:GetStreamUri><trt:ProfileToken>main</trt:ProfileToken></trt:GetStreamUri>'));
  assert.equal(uri.res.status, 200);
  assert.equal((await call(open.soap, 'media', envelope('<trt:GetProfiles/>'))).res.status, 401);
  assert.equal((await call(open.soap, 'device', envelope('<tds:GetDeviceInformation/>'))).res.status, 401);
  const unclaimed = setup({ claimed: false });
  const time = await call(unclaimed.soap, 'device', envelope('<tds:GetSystemDateAndTime/>'));
  assert.equal(time.res.status, 503);
  assert.deepEqual(faultCodes(time.xml), ['s:Receiver', 'ter:Action', 'ter:NotSetUp']);
});

test('unknown actions get ter:ActionNotSupported; hostile or malformed bodies a Sender fault', async () => {
  const { soap } = setup();
  const owner = { authorization: `Basic ${Buffer.from(`owner:${passwords.owner}`).toString('base64')}` };
  const reboot = await call(soap, 'device', envelope('<tds:SystemReboot/>'), owner);
  assert.equal(reboot.res.status, 500);
  assert.deepEqual(faultCodes(reboot.xml), ['s:Receiver', 'ter:ActionNotSupported']);
  const wrongService = await call(soap, 'device', envelope('<trt:GetProfiles/>'), owner);
  assert.deepEqual(faultCodes(wrongService.xml), ['s:Receiver', 'ter:ActionNotSupported'], 'a media operation at the device service');
  const proto = await call(soap, 'device', envelope('<tds:constructor/>'), owner);
  assert.deepEqual(faultCodes(proto.xml), ['s:Receiver', 'ter:ActionNotSupported'], 'no prototype lookups');
  assert.equal((await call(soap, 'device', envelope('<tds:SystemReboot/>'))).res.status, 401, 'unknown actions are behind the login too');
  for (const body of [
    '<!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>' + envelope('<tds:GetSystemDateAndTime>&b;</tds:GetSystemDateAndTime>'),
    envelope('<tds:GetSystemDateAndTime>' + '<x>'.repeat(50) + '</x>'.repeat(50) + '</tds:GetSystemDateAndTime>'),
    'not xml at all',
    envelope(''),
    `<s:Envelope xmlns:s="${NS.soap11}"><s:Body><tds:GetSystemDateAndTime xmlns:tds="${NS.tds}"/></s:Body></s:Envelope>`,
  ]) {
    const { res, xml } = await call(soap, 'device', body);
    assert.ok(res.status === 400 || res.status === 500, `${res.status} for ${body.slice(0, 50)}`);
    assert.equal(child(bodyOf(xml), NS.soap, 'Code') !== undefined, true);
  }
});

test('the device service names both services and the capabilities of the host asked', async () => {
  const { soap } = setup();
  const owner = { authorization: `Basic ${Buffer.from(`owner:${passwords.owner}`).toString('base64')}` };
  const services = await call(soap, 'device', envelope('<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>'), owner);
  assert.deepEqual(
    bodyOf(services.xml).children.map((s) => [child(s, NS.tds, 'Namespace')!.text, child(s, NS.tds, 'XAddr')!.text]),
    [[NS.tds, 'http://192.168.1.20/onvif/device_service'], [NS.trt, 'http://192.168.1.20/onvif/media_service']],
  );
  const caps = await call(soap, 'device', envelope('<tds:GetCapabilities><tds:Category>Media</tds:Category></tds:GetCapabilities>'), owner);
  assert.equal(child(child(child(bodyOf(caps.xml), NS.tds, 'Capabilities'), NS.tt, 'Media'), NS.tt, 'XAddr')!.text, 'http://192.168.1.20/onvif/media_service');
  const ptz = await call(soap, 'device', envelope('<tds:GetCapabilities><tds:Category>PTZ</tds:Category></tds:GetCapabilities>'), owner);
  assert.deepEqual(faultCodes(ptz.xml), ['s:Receiver', 'ter:ActionNotSupported', 'ter:NoSuchService']);
  const nics = await call(soap, 'device', envelope('<tds:GetNetworkInterfaces/>'), owner);
  assert.equal(child(child(bodyOf(nics.xml).children[0], NS.tt, 'Info'), NS.tt, 'HwAddress')!.text, 'dc:a6:32:00:00:01');
  const scopes = await call(soap, 'device', envelope('<tds:GetScopes/>'), owner);
  assert.ok(bodyOf(scopes.xml).children.some((s) => child(s, NS.tt, 'ScopeItem')!.text === 'onvif://www.onvif.org/name/Garden%20%26%20gate'));
});
