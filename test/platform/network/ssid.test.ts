import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSsid, runCommand, ssidFromIwgetid, type CommandRunner } from '../../../src/platform/network/ssid.js';
import { writeIwgetid } from '../../fakes/net-root.js';
import { tempDir } from '../../fakes/temp-dir.js';

// iwgetid -r prints the ESSID's bytes and a newline (wireless-tools iwgetid.c, FORMAT_RAW), an empty
// line when not associated, and nothing with exit status 255 for an interface without wireless
// extensions (Debian's wireless-tools 30~pre9 on eth0 and on a name that does not exist).

const envWith = (dir: string) => ({ PATH: `${dir}:${process.env.PATH ?? ''}` });

test('iwgetid -r output: the name without its newline; an empty line is no network', () => {
  assert.equal(ssidFromIwgetid(Buffer.from('Home\n')), 'Home');
  assert.equal(ssidFromIwgetid(Buffer.from(' two  spaces \n')), ' two  spaces ');
  assert.equal(ssidFromIwgetid(Buffer.from('家里的网络\n')), '家里的网络');
  assert.equal(ssidFromIwgetid(Buffer.from('\n')), null);
  assert.equal(ssidFromIwgetid(Buffer.alloc(0)), null);
  // Raw bytes that are not UTF-8 stay visible as replacement characters.
  assert.equal(ssidFromIwgetid(Buffer.from([0x41, 0xff, 0x42, 0x0a])), 'A\uFFFDB');
});

test('readSsid runs the real iwgetid stand-in: the name for wlan0, null for eth0 (exit 255)', async (t) => {
  const dir = await tempDir(t, 'iwgetid');
  await writeIwgetid(dir, { ssid: 'Home: "5G" \\ net' });
  const options = { timeoutMs: 10_000, env: envWith(dir) };
  assert.equal(await readSsid('wlan0', runCommand, options), 'Home: "5G" \\ net');
  const why: string[] = [];
  assert.equal(await readSsid('eth0', runCommand, options, (w) => why.push(w)), null);
  assert.deepEqual(why, ['iwgetid -r eth0 exited with 255']);
});

test('readSsid: a missing tool and a tool over its time limit give null and say why, never throw', async (t) => {
  const dir = await tempDir(t, 'iwgetid-slow');
  const why: string[] = [];
  const missing = await readSsid('wlan0', runCommand, { timeoutMs: 10_000, env: { PATH: join(dir, 'nothing-here') } }, (w) => why.push(w));
  assert.equal(missing, null);
  assert.match(why[0]!, /^iwgetid: .*ENOENT/);
  await writeIwgetid(dir, { ssid: 'Home', sleepS: 30 });
  const slow = await readSsid('wlan0', runCommand, { timeoutMs: 200, env: envWith(dir) }, (w) => why.push(w));
  assert.equal(slow, null);
  assert.equal(why[1], 'iwgetid took longer than 200 ms');
});

test('readSsid: a runner that throws (cannot spawn) gives null', async () => {
  const run: CommandRunner = async () => {
    throw Object.assign(new Error('spawn EAGAIN'), { code: 'EAGAIN' });
  };
  assert.equal(await readSsid('wlan0', run, { timeoutMs: 1000, env: {} }), null);
});
