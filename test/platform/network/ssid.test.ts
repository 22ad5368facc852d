import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { IWGETID, readSsid, runCommand, ssidFromIwgetid, ssidFromIwLink, type CommandRunner } from '../../../src/platform/network/ssid.js';
import { iwLinkOutput, writeIw, writeIwgetid } from '../../fakes/net-root.js';
import { tempDir } from '../../fakes/temp-dir.js';

// iwgetid -r prints the ESSID's bytes and a newline (wireless-tools iwgetid.c, FORMAT_RAW), an empty
// line when not associated, and nothing with exit status 255 for an interface without wireless
// extensions (Debian's wireless-tools 30~pre9 on eth0 and on a name that does not exist).
// iw dev <if> link: iw link.c, with the SSID escaped by util.c print_ssid_escaped().

// Only the stand-ins' directory and the shell's tools: a real iw or iwgetid on the test machine never answers.
const envWith = (dir: string) => ({ PATH: `${dir}:/usr/bin:/bin` });

test('iwgetid -r output: the name without its newline; an empty line is no network', () => {
  assert.equal(ssidFromIwgetid(Buffer.from('Home\n')), 'Home');
  assert.equal(ssidFromIwgetid(Buffer.from(' two  spaces \n')), ' two  spaces ');
  assert.equal(ssidFromIwgetid(Buffer.from('家里的网络\n')), '家里的网络');
  assert.equal(ssidFromIwgetid(Buffer.from('\n')), null);
  assert.equal(ssidFromIwgetid(Buffer.alloc(0)), null);
  // Raw bytes that are not UTF-8 stay visible as replacement characters.
  assert.equal(ssidFromIwgetid(Buffer.from([0x41, 0xff, 0x42, 0x0a])), 'A\uFFFDB');
});

test('iw dev <if> link output: the SSID line unescaped (UTF-8 as \\xNN, edge spaces, backslashes); "Not connected." is none', () => {
  assert.equal(ssidFromIwLink(Buffer.from(iwLinkOutput('wlan0', 'Home'))), 'Home');
  assert.equal(ssidFromIwLink(Buffer.from(iwLinkOutput('wlan0', '家里的网络'))), '家里的网络');
  assert.match(iwLinkOutput('wlan0', '家'), /SSID: \\xe5\\xae\\xb6\n/, 'the stand-in escapes as iw does');
  assert.equal(ssidFromIwLink(Buffer.from(iwLinkOutput('wlan0', ' a\\b c '))), ' a\\b c ');
  assert.equal(ssidFromIwLink(Buffer.from(iwLinkOutput('wlan0', null))), null);
  assert.equal(ssidFromIwLink(Buffer.from('Connected to 02:00:00:00:01:00 (on wlan0)\n\tfreq: 2437\n')), null, 'no SSID element');
  assert.equal(ssidFromIwLink(Buffer.alloc(0)), null);
});

test('readSsid runs the real iwgetid stand-in: the name for wlan0; for eth0 (exit 255) it falls back to iw, which fails too', async (t) => {
  const dir = await tempDir(t, 'iwgetid');
  await writeIwgetid(dir, { ssid: 'Home: "5G" \\ net' });
  const options = { timeoutMs: 10_000, env: envWith(dir) };
  assert.equal(await readSsid('wlan0', runCommand, options), 'Home: "5G" \\ net');
  const why: string[] = [];
  assert.equal(await readSsid('eth0', runCommand, options, (w) => why.push(w)), null);
  assert.equal(why.length, 1);
  assert.match(why[0]!, /^iwgetid -r eth0 exited with 255; iw: .*ENOENT/);
});

test('readSsid: without iwgetid (the virtual Pi), iw answers', async (t) => {
  const dir = await tempDir(t, 'iw');
  await writeIw(dir, { ssid: 'picamd-test' });
  const options = { timeoutMs: 10_000, env: envWith(dir) };
  assert.equal(await readSsid('wlan0', runCommand, options), 'picamd-test');
  await writeIw(dir, { ssid: null });
  assert.equal(await readSsid('wlan0', runCommand, options), null);
});

test('readSsid: missing tools and a tool over its time limit give null and say why, never throw', async (t) => {
  const dir = await tempDir(t, 'iwgetid-slow');
  const why: string[] = [];
  const missing = await readSsid('wlan0', runCommand, { timeoutMs: 10_000, env: { PATH: join(dir, 'nothing-here') } }, (w) => why.push(w));
  assert.equal(missing, null);
  assert.match(why[0]!, /^iwgetid: .*ENOENT; iw: .*ENOENT$/);
  await writeIwgetid(dir, { ssid: 'Home', sleepS: 30 });
  const slow = await readSsid('wlan0', runCommand, { timeoutMs: 200, env: envWith(dir) }, (w) => why.push(w), [IWGETID]);
  assert.equal(slow, null);
  assert.equal(why[1], 'iwgetid took longer than 200 ms');
});

test('readSsid: a runner that throws (cannot spawn) gives null', async () => {
  const run: CommandRunner = async () => {
    throw Object.assign(new Error('spawn EAGAIN'), { code: 'EAGAIN' });
  };
  assert.equal(await readSsid('wlan0', run, { timeoutMs: 1000, env: {} }), null);
});
