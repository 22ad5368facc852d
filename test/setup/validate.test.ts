import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSetupFile } from '../../src/setup/setup-file.js';
import { validateSetup, type DeviceFacts } from '../../src/setup/validate.js';

const facts: DeviceFacts = {
  countries: new Set(['GB', 'DE', 'US', 'FR']),
  zoneExists: (name) => ['Europe/Berlin', 'UTC', 'America/New_York'].includes(name),
};
const validate = (text: string) => validateSetup(parseSetupFile(text), facts);
const problems = (text: string) => {
  const r = validate(text);
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems;
};

test('Wi-Fi only: name, password and country', () => {
  assert.deepEqual(validate('wifi_name = Home\nwifi_password = 12345678\nwifi_country = gb\n'), {
    ok: true,
    request: { wifi: { ssid: 'Home', psk: '12345678', hidden: false }, country: 'GB', hostname: null, owner: null, timezone: null },
  });
});

test('WPA passphrases of 8 and 63 characters, a 64-hex-digit key, and an open network', () => {
  for (const psk of ['8charsOK', 'x'.repeat(63), 'aB'.repeat(32).replace(/B/g, 'b').replace(/a/g, 'f')]) {
    const r = validate(`wifi_name = N\nwifi_password = ${psk}\nwifi_country = DE\n`);
    assert.ok(r.ok && r.request.wifi?.psk === psk, psk);
  }
  const open = validate('wifi_name = Cafe Free\nwifi_country = FR\n');
  assert.ok(open.ok && open.request.wifi?.psk === null);
});

test('bad Wi-Fi passwords say why', () => {
  assert.deepEqual(problems('wifi_name = N\nwifi_password = short\nwifi_country = GB\n'), ['line 2: wifi_password: a Wi-Fi password needs at least 8 characters; this one has 5']);
  assert.deepEqual(problems(`wifi_name = N\nwifi_password = ${'y'.repeat(65)}\nwifi_country = GB\n`), ['line 2: wifi_password: a Wi-Fi password has at most 63 characters; this one has 65']);
  assert.match(problems(`wifi_name = N\nwifi_password = ${'g'.repeat(64)}\nwifi_country = GB\n`)[0]!, /64-character Wi-Fi key must be hex digits/);
  assert.match(problems('wifi_name = N\nwifi_password = pässwort123\nwifi_country = GB\n')[0]!, /plain ASCII/);
});

test('a bad country code, and a missing one, are problems', () => {
  assert.deepEqual(problems('wifi_name = N\nwifi_country = XX\n'), ['line 2: wifi_country: "XX" is not a two-letter ISO 3166 country code (e.g. GB, DE, US)']);
  assert.deepEqual(problems('wifi_name = N\nwifi_country = GBR\n'), ['line 2: wifi_country: "GBR" is not a two-letter ISO 3166 country code (e.g. GB, DE, US)']);
  assert.deepEqual(problems('wifi_name = N\n'), ['line 1: wifi_name needs wifi_country as well (Raspberry Pi OS keeps Wi-Fi switched off until its country is set)']);
  // Without the country list on the device, any two letters pass.
  assert.ok(validateSetup(parseSetupFile('wifi_country = XX\n'), { ...facts, countries: null }).ok);
});

test('SSIDs: spaces, quotes and non-ASCII letters pass; more than 32 bytes does not', () => {
  const r = validate('wifi_name = Bob\'s "Café" Net\nwifi_country = GB\n');
  assert.ok(r.ok && r.request.wifi?.ssid === 'Bob\'s "Café" Net');
  assert.deepEqual(problems(`wifi_name = ${'é'.repeat(17)}\nwifi_country = GB\n`), ['line 1: wifi_name: a Wi-Fi name has at most 32 bytes; this one has 34 (letters like é take 2)']);
});

test('owner: both parts, a password of at least 10 characters', () => {
  assert.deepEqual(problems('owner_name = admin\nowner_password = short1\n'), ['line 2: owner_password: the owner password needs at least 10 characters; this one has 6']);
  assert.deepEqual(problems('owner_name = admin\n'), ['line 1: owner_name needs owner_password as well (the owner logs in with both)']);
  assert.deepEqual(problems('owner_name = a:b\nowner_password = 0123456789\n'), ['line 1: owner_name: an owner name must not contain ":" or control characters']);
  const r = validate('owner_name = admin\nowner_password = 0123456789\n');
  assert.ok(r.ok && r.request.owner?.password === '0123456789');
});

test('host names and time zones', () => {
  assert.ok(validate('hostname = garden-cam\ntimezone = Europe/Berlin\n').ok);
  assert.match(problems('hostname = garden cam\n')[0]!, /only contain letters/);
  assert.match(problems('hostname = -cam\n')[0]!, /must not start or end/);
  assert.match(problems('timezone = Mars/Olympus\n')[0]!, /not a time zone this system knows/);
  assert.match(problems('timezone = ../../etc/passwd\n')[0]!, /looks like Europe\/Berlin/);
});

test('garbage: every problem at once, and nothing requested', () => {
  assert.deepEqual(problems('\u0000\u0001garbage\nwifi_password = x\n= y\n'), [
    'line 1: not a "name = value" line (comments start with #)',
    'line 3: not a "name = value" line (comments start with #)',
    'line 2: wifi_password: a Wi-Fi password needs at least 8 characters; this one has 1',
    'line 2: wifi_password needs wifi_name as well (the name of the network the password is for)',
  ]);
});

test('wifi_hidden: yes or no in the words people write; anything else, or no network, is a problem', () => {
  for (const [word, hidden] of [['yes', true], ['YES', true], ['true', true], ['on', true], ['no', false], ['False', false], ['off', false]] as const) {
    const r = validate(`wifi_name = Attic\nwifi_country = GB\nwifi_hidden = ${word}\n`);
    assert.ok(r.ok && r.request.wifi?.hidden === hidden, word);
  }
  assert.deepEqual(problems('wifi_name = Attic\nwifi_country = GB\nwifi_hidden = maybe\n'), ['line 3: wifi_hidden: "maybe" is not yes or no']);
  assert.deepEqual(problems('wifi_hidden = yes\n'), ['line 1: wifi_hidden needs wifi_name as well (the name of the hidden network)']);
});
