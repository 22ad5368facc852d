import assert from 'node:assert/strict';
import * as fsp from 'node:fs/promises';
import { readFile, readlink, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { applySetup, decodeSetupFile, type ApplyOutcome } from '../../src/setup/apply-setup.js';
import { connectionUuid } from '../../src/setup/network-keyfile.js';
import type { StagingFs } from '../../src/setup/staged-writes.js';
import { CLOUD_INIT_HOSTNAME_TEXT } from '../../src/setup/system-files.js';
import { CMDLINE, HOSTS, makeScratchRoot, snapshotTree } from '../fakes/scratch-root.js';

const NOW = new Date('2026-11-30T13:40:05.123Z');
const STAMP = '2026-11-30 13:40 UTC';
/** A stand-in hash: the real scrypt is tested in test/auth and end to end in test/cli. */
const HASH = '$scrypt$ln=13,r=8,p=10$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
const SETUP = 'boot/firmware/picamd-setup.txt';
/** Hashes an older version's settings.json held. */
const GUEST = '$scrypt$ln=13,r=8,p=10$c2FsdHNhbHRzYWx0c2FsdA$Z3Vlc3RndWVzdGd1ZXN0Z3Vlc3RndWVzdGd1ZXN0Z3U';
const OLD = '$scrypt$ln=13,r=8,p=10$c2FsdHNhbHRzYWx0c2FsdA$b2xkb2xkb2xkb2xkb2xkb2xkb2xkb2xkb2xkb2xkb2w';

async function run(t: TestContext, setup: string | Uint8Array | null, before?: (root: string) => Promise<void>, fs?: StagingFs) {
  const { root, cleanup } = await makeScratchRoot(setup);
  t.after(cleanup);
  if (before) await before(root);
  const log: string[] = [];
  const commands: string[][] = [];
  const snapshot = await snapshotTree(root);
  const outcome: ApplyOutcome = await applySetup({
    root,
    setupFile: '/boot/firmware/picamd-setup.txt',
    settingsFile: '/var/lib/picamd/settings.json',
    markerFile: '/run/picamd/setup-error',
    now: () => NOW,
    hashPassword: async (password) => (password === 'a long passphrase' ? HASH : 'unexpected password'),
    run: async (argv) => (commands.push(argv), { ok: true, message: '' }),
    log: (line) => log.push(line),
    fs,
  });
  const read = (path: string) => readFile(join(root, path), 'utf8');
  return { root, outcome, log, commands, read, before: snapshot, after: () => snapshotTree(root) };
}

function keyfile(ssid: string, ssidLine: string, psk: string | null): string {
  const security = psk === null ? '' : `[wifi-security]\nkey-mgmt=wpa-psk\npsk=${psk}\n\n`;
  return `[connection]\nid=${ssid}\nuuid=${connectionUuid(ssid)}\ntype=wifi\n\n[wifi]\nmode=infrastructure\nssid=${ssidLine}\n\n` +
    `${security}[ipv4]\nmethod=auto\n\n[ipv6]\naddr-gen-mode=default\nmethod=auto\n\n[proxy]\n`;
}

/** What changed between two snapshots: added or changed paths with their new value, removed ones as null. */
function changes(before: Record<string, string>, after: Record<string, string>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(after)) if (before[k] !== v) out[k] = v;
  for (const k of Object.keys(before)) if (!(k in after)) out[k] = null;
  return out;
}

test('Wi-Fi only: the keyfile (0600), the country in cmdline.txt, the radio unblocked; the file says so', async (t) => {
  const r = await run(t, '# my notes\nwifi_name = Home\nwifi_password = 12345678\nwifi_country = gb\n');
  assert.equal(r.outcome.status, 'applied');
  const path = 'etc/NetworkManager/system-connections/Home.nmconnection';
  assert.deepEqual(changes(r.before, await r.after()), {
    'boot/firmware/cmdline.txt': `755 ${CMDLINE.trimEnd()} cfg80211.ieee80211_regdom=GB\n`,
    [SETUP]: `755 # my notes\n# applied on ${STAMP}: wifi_name = Home\n# applied on ${STAMP}: wifi_password (removed)\n# applied on ${STAMP}: wifi_country = gb\n`,
    [path]: `600 ${keyfile('Home', 'Home', '12345678')}`,
    'var/lib/systemd/rfkill/platform-3f300000.mmcnr:wlan': '644 0\n',
    'var/lib/systemd/rfkill/platform-fe300000.mmcnr:wlan': '644 0\n',
    // pi-gen's "WirelessEnabled=false": NetworkManager would block the radio again when it starts.
    'var/lib/NetworkManager/NetworkManager.state': '644 [main]\nWirelessEnabled=true\n',
  });
  assert.equal((await stat(join(r.root, path))).mode & 0o777, 0o600);
  assert.deepEqual(r.commands, [], 'commands run only on the live system');
  assert.deepEqual(r.log, [
    "picamd-setup: applied Wi-Fi country GB (radio unblocked, NetworkManager's Wi-Fi switched on)",
    'picamd-setup: applied Wi-Fi "Home" (WPA-PSK) in /etc/NetworkManager/system-connections/Home.nmconnection',
  ]);
});

test('everything: Wi-Fi, host name, owner into the accounts file (with the users an older settings.json held), time zone', async (t) => {
  const existing = `${JSON.stringify({ format: 1, savedAt: '2026-01-01T00:00:00.000Z', settings: {
    camera: { width: 1920 },
    server: { deviceName: 'Garden', auth: { users: [{ name: 'guest', passwordHash: GUEST }, { name: 'admin', passwordHash: OLD }] } },
  } }, null, 2)}\n`;
  const r = await run(t, [
    '# everything',
    'wifi_name = My Home Network',
    'wifi_password = correct horse battery staple',
    'wifi_country = DE',
    'hostname = garden-cam',
    'owner_name = admin',
    'owner_password = a long passphrase',
    'timezone = Europe/Berlin',
    '',
  ].join('\n'), async (root) => {
    await mkdir(join(root, 'var/lib/picamd'), { recursive: true });
    await writeFile(join(root, 'var/lib/picamd/settings.json'), existing, { mode: 0o600 });
  });
  assert.equal(r.outcome.status, 'applied');
  // settings.json is the settings module's: picamd drops the old users from it at its next start.
  const accounts = {
    format: 1,
    savedAt: NOW.toISOString(),
    users: [{ name: 'guest', passwordHash: GUEST, role: 'owner' }, { name: 'admin', passwordHash: HASH, role: 'owner' }],
  };
  assert.deepEqual(changes(r.before, await r.after()), {
    'boot/firmware/cmdline.txt': `755 ${CMDLINE.trimEnd()} cfg80211.ieee80211_regdom=DE\n`,
    [SETUP]: `755 # everything\n${[
      'wifi_name = My Home Network', 'wifi_password (removed)', 'wifi_country = DE', 'hostname = garden-cam',
      'owner_name = admin', 'owner_password (removed)', 'timezone = Europe/Berlin',
    ].map((l) => `# applied on ${STAMP}: ${l}\n`).join('')}`,
    'etc/NetworkManager/system-connections/My Home Network.nmconnection': `600 ${keyfile('My Home Network', 'My Home Network', 'correct horse battery staple')}`,
    'etc/hostname': '644 garden-cam\n',
    'etc/hosts': `644 ${HOSTS.replace('127.0.1.1\tpicamd', '127.0.1.1\tgarden-cam')}`,
    'etc/timezone': '644 Europe/Berlin\n',
    'etc/localtime': '-> /usr/share/zoneinfo/Europe/Berlin',
    'var/lib/picamd/accounts.json': `600 ${JSON.stringify(accounts, null, 2)}\n`,
    'var/lib/systemd/rfkill/platform-3f300000.mmcnr:wlan': '644 0\n',
    'var/lib/systemd/rfkill/platform-fe300000.mmcnr:wlan': '644 0\n',
    'var/lib/NetworkManager/NetworkManager.state': '644 [main]\nWirelessEnabled=true\n',
  });
  assert.ok(!(await r.read(SETUP)).includes('correct horse'), 'no password left in the setup file');
  assert.ok(!(await r.read(SETUP)).includes('a long passphrase'));
});

test("NetworkManager's state file as NetworkManager writes it: Wi-Fi switched on, the other keys kept", async (t) => {
  const r = await run(t, 'wifi_name = Home\nwifi_password = 12345678\nwifi_country = DE\n', async (root) => {
    await writeFile(join(root, 'var/lib/NetworkManager/NetworkManager.state'), '[main]\nNetworkingEnabled=true\nWirelessEnabled=false\nWWANEnabled=false\n');
  });
  assert.equal(r.outcome.status, 'applied');
  assert.equal(await r.read('var/lib/NetworkManager/NetworkManager.state'), '[main]\nNetworkingEnabled=true\nWirelessEnabled=true\nWWANEnabled=false\n');
});

test('no state file yet (NetworkManager never ran): one that switches Wi-Fi on', async (t) => {
  const r = await run(t, 'wifi_name = Home\nwifi_country = DE\n', (root) => rm(join(root, 'var/lib/NetworkManager'), { recursive: true }));
  assert.equal(r.outcome.status, 'applied');
  assert.equal(await r.read('var/lib/NetworkManager/NetworkManager.state'), '[main]\nWirelessEnabled=true\n');
});

test('a host name alone leaves the radio and NetworkManager as they are', async (t) => {
  const r = await run(t, 'hostname = cam\n');
  assert.equal(r.outcome.status, 'applied');
  const after = await r.after();
  assert.equal(after['var/lib/NetworkManager/NetworkManager.state'], r.before['var/lib/NetworkManager/NetworkManager.state']);
});

// Which host name wins when Imager's customisation names one too: the setup file's (docs/install.md).
// On a cloud-init image (Trixie from late 2025) cloud-init would set Imager's user-data name on the
// first boot; the drop-in stops it (Imager leaves preserve_hostname out of its user-data).
test('a host name on a cloud-init image: cloud-init is told to keep it', async (t) => {
  const r = await run(t, 'hostname = garden-cam\n', async (root) => void (await mkdir(join(root, 'etc/cloud/cloud.cfg.d'), { recursive: true })));
  assert.equal(r.outcome.status, 'applied');
  assert.deepEqual(changes(r.before, await r.after()), {
    [SETUP]: `755 # applied on ${STAMP}: hostname = garden-cam\n`,
    'etc/hostname': '644 garden-cam\n',
    'etc/hosts': `644 ${HOSTS.replace('127.0.1.1\tpicamd', '127.0.1.1\tgarden-cam')}`,
    'etc/cloud/cloud.cfg.d/99-picamd-hostname.cfg': `644 ${CLOUD_INIT_HOSTNAME_TEXT}`,
  });
  assert.match(CLOUD_INIT_HOSTNAME_TEXT, /^preserve_hostname: true$/m);
  assert.deepEqual(r.log, ['picamd-setup: applied host name garden-cam (http://garden-cam.local/), kept by cloud-init']);
});

test('no host name in the file: cloud-init is left to do what Imager asked', async (t) => {
  const r = await run(t, 'timezone = UTC\n', async (root) => void (await mkdir(join(root, 'etc/cloud/cloud.cfg.d'), { recursive: true })));
  assert.equal(r.outcome.status, 'applied');
  assert.equal((await r.after())['etc/cloud/cloud.cfg.d/99-picamd-hostname.cfg'], undefined);
});

test('a second boot finds nothing to do and writes nothing', async (t) => {
  const r = await run(t, `# applied on ${STAMP}: hostname = cam\n#hostname = other\n`);
  assert.deepEqual(r.outcome, { status: 'nothing' });
  assert.deepEqual(changes(r.before, await r.after()), {});
});

test('Notepad: CRLF and a UTF-8 BOM are applied, and the rewritten file keeps both', async (t) => {
  const r = await run(t, '\uFEFF# Notepad\r\nhostname = garden-cam\r\nowner_name = admin\r\nowner_password = a long passphrase\r\n');
  assert.equal(r.outcome.status, 'applied');
  assert.equal(await r.read(SETUP), `\uFEFF# Notepad\r\n# applied on ${STAMP}: hostname = garden-cam\r\n# applied on ${STAMP}: owner_name = admin\r\n# applied on ${STAMP}: owner_password (removed)\r\n`);
  assert.equal(await r.read('etc/hostname'), 'garden-cam\n');
  assert.deepEqual(JSON.parse(await r.read('var/lib/picamd/accounts.json')).users, [{ name: 'admin', passwordHash: HASH, role: 'owner' }]);
});

test('an SSID with spaces, quotes and non-ASCII letters', async (t) => {
  const ssid = 'Bob\'s "Café" Net';
  const r = await run(t, `wifi_name = ${ssid}\nwifi_password = "  spaced  "\nwifi_country = FR\n`);
  assert.equal(r.outcome.status, 'applied');
  assert.equal(
    await r.read('etc/NetworkManager/system-connections/Bob_s _Caf__ Net.nmconnection'),
    keyfile(ssid, '66;111;98;39;115;32;34;67;97;102;195;169;34;32;78;101;116;', '\\s\\sspaced  '),
  );
});

for (const [label, psk] of [['8 characters', 'abcdefgh'], ['63 characters', 'p'.repeat(63)], ['a 64-hex-digit key', 'ab'.repeat(32)]] as const) {
  test(`a WPA passphrase of ${label}`, async (t) => {
    const r = await run(t, `wifi_name = N\nwifi_password = ${psk}\nwifi_country = US\n`);
    assert.equal(r.outcome.status, 'applied');
    assert.equal(await r.read('etc/NetworkManager/system-connections/N.nmconnection'), keyfile('N', 'N', psk));
  });
}

test('a hidden network: hidden=true in the keyfile, and the line marked applied', async (t) => {
  const r = await run(t, 'wifi_name = Attic\nwifi_password = 12345678\nwifi_country = GB\nwifi_hidden = yes\n');
  assert.equal(r.outcome.status, 'applied');
  assert.equal(
    await r.read('etc/NetworkManager/system-connections/Attic.nmconnection'),
    keyfile('Attic', 'Attic', '12345678').replace('[wifi]\n', '[wifi]\nhidden=true\n'),
  );
  assert.ok((await r.read(SETUP)).endsWith(`# applied on ${STAMP}: wifi_hidden = yes\n`));
  assert.ok(r.log.includes('picamd-setup: applied Wi-Fi "Attic" (WPA-PSK, hidden) in /etc/NetworkManager/system-connections/Attic.nmconnection'), r.log.join('\n'));
});

test('an open network: no [wifi-security]', async (t) => {
  const r = await run(t, 'wifi_name = Cafe Free\nwifi_country = GB\n');
  assert.equal(r.outcome.status, 'applied');
  assert.equal(await r.read('etc/NetworkManager/system-connections/Cafe Free.nmconnection'), keyfile('Cafe Free', 'Cafe Free', null));
});

/**
 * A failed apply: nothing else changes; the reasons go to the log, the marker and the top of the
 * file, with line numbers counted in the rewritten file (below the error lines).
 */
async function assertNothingApplied(r: Awaited<ReturnType<typeof run>>, original: string, problems: string[]) {
  assert.deepEqual(r.outcome, { status: 'failed', problems });
  const expectedFile = `# error: nothing was applied. Fix the lines below, then start the camera again.\n${problems.map((p) => `# error: ${p}\n`).join('')}${original}`;
  assert.deepEqual(changes(r.before, await r.after()), {
    [SETUP]: `755 ${expectedFile}`,
    'run/picamd/setup-error': `644 ${problems.join('\n')}\n`,
  });
  assert.deepEqual(r.log, [...problems.map((p) => `picamd-setup: error: ${p}`),
    'picamd-setup: nothing applied from /boot/firmware/picamd-setup.txt; the reasons are also written into the file']);
}

test('a bad country code applies nothing, not even the valid host name', async (t) => {
  const original = 'hostname = garden-cam\nwifi_name = Home\nwifi_password = 12345678\nwifi_country = UK\n';
  const r = await run(t, original);
  await assertNothingApplied(r, original, ['line 6: wifi_country: "UK" is not a two-letter ISO 3166 country code (e.g. GB, DE, US)']);
});

test('a Wi-Fi password too short applies nothing', async (t) => {
  const original = 'wifi_name = Home\nwifi_password = 1234567\nwifi_country = GB\n';
  const r = await run(t, original);
  await assertNothingApplied(r, original, ['line 4: wifi_password: a Wi-Fi password needs at least 8 characters; this one has 7']);
});

test('an owner password too short applies nothing', async (t) => {
  const original = 'owner_name = admin\nowner_password = 123456789\ntimezone = Europe/Berlin\n';
  const r = await run(t, original);
  await assertNothingApplied(r, original, ['line 4: owner_password: the owner password needs at least 10 characters; this one has 9']);
});

test('garbage applies nothing and says which lines', async (t) => {
  const original = 'PK\u0003\u0004 binary junk\nwifi name = Home\n=\n';
  const r = await run(t, original);
  await assertNothingApplied(r, original, [
    'line 5: not a "name = value" line (comments start with #)',
    'line 6: not a "name = value" line (comments start with #)',
    'line 7: not a "name = value" line (comments start with #)',
  ]);
  // The next boot meets the same file: the same reasons, the same bytes.
  const again = await applySetup({
    root: r.root, setupFile: '/boot/firmware/picamd-setup.txt', settingsFile: '/var/lib/picamd/settings.json',
    markerFile: '/run/picamd/setup-error', now: () => NOW, hashPassword: async () => HASH, run: async () => ({ ok: true, message: '' }), log: () => {},
  });
  assert.equal(again.status, 'failed');
  assert.equal(await r.read(SETUP), `# error: nothing was applied. Fix the lines below, then start the camera again.\n${(r.outcome as { problems: string[] }).problems.map((p) => `# error: ${p}\n`).join('')}${original}`);
});

test('a file saved as UTF-16 or in a legacy code page is refused with a hint, and left as it is', async (t) => {
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hostname = cam\r\n', 'utf16le')]);
  const r = await run(t, utf16);
  assert.equal(r.outcome.status, 'failed');
  assert.deepEqual(changes(r.before, await r.after()), {
    'run/picamd/setup-error': '644 the file is saved as UTF-16 ("Unicode"); save it as UTF-8 (Notepad: Save as, Encoding: UTF-8)\n',
  });
  assert.deepEqual(decodeSetupFile(Buffer.from('hostname = caf\xe9\n', 'latin1')), { ok: false, problem: 'the file is not UTF-8 text; save it as UTF-8 (Notepad: Save as, Encoding: UTF-8)' });
});

test('a corrupt settings file stops the owner part, and so everything', async (t) => {
  const original = 'hostname = garden-cam\nowner_name = admin\nowner_password = a long passphrase\n';
  const r = await run(t, original, async (root) => {
    await mkdir(join(root, 'var/lib/picamd'), { recursive: true });
    await writeFile(join(root, 'var/lib/picamd/settings.json'), '{"format": 1, "sett');
  });
  await assertNothingApplied(r, original, ['owner: /var/lib/picamd/settings.json cannot be read, so its users cannot be carried over. Move it away to start from defaults.']);
  assert.equal(await readlink(join(r.root, 'etc/localtime')), '/usr/share/zoneinfo/Etc/UTC');
});

test('a successful apply removes the marker an earlier failure left', async (t) => {
  const r = await run(t, 'hostname = cam\n', async (root) => {
    await mkdir(join(root, 'run/picamd'), { recursive: true });
    await writeFile(join(root, 'run/picamd/setup-error'), 'old\n');
  });
  assert.equal(r.outcome.status, 'applied');
  assert.equal((await r.after())['run/picamd/setup-error'], undefined);
});

test('time zones: a linked zone (UTC) is one; another tzdata file is not', async (t) => {
  const ok = await run(t, 'timezone = UTC\n');
  assert.equal(ok.outcome.status, 'applied');
  assert.equal(await readlink(join(ok.root, 'etc/localtime')), '/usr/share/zoneinfo/UTC');
  assert.equal(await ok.read('etc/timezone'), 'UTC\n');
  const bad = await run(t, 'timezone = leapseconds\n');
  assert.deepEqual(bad.outcome, { status: 'failed', problems: ['line 3: timezone: "leapseconds" is not a time zone this system knows (e.g. Europe/London, America/Chicago, UTC)'] });
});

test('an owner for a device whose accounts file is damaged applies nothing and names the owner reset', async (t) => {
  const original = 'hostname = garden-cam\nowner_name = admin\nowner_password = a long passphrase\n';
  const r = await run(t, original, async (root) => {
    await mkdir(join(root, 'var/lib/picamd'), { recursive: true });
    await writeFile(join(root, 'var/lib/picamd/accounts.json'), '{"format": 1, "us');
  });
  await assertNothingApplied(r, original, ['owner: /var/lib/picamd/accounts.json cannot be read: not valid JSON. Run `picamd reset-owner` to start without users.']);
});

const EVERYTHING_BUT_OWNER = 'wifi_name = Home\nwifi_password = 12345678\nwifi_country = GB\nhostname = garden-cam\ntimezone = Europe/Berlin\n';

/** node:fs/promises, except that `rename` fails when `fails(from, to)` says so. */
function failingRenames(fails: (from: string, to: string) => boolean): StagingFs {
  return {
    ...(fsp as unknown as StagingFs),
    rename: async (from, to) => {
      if (fails(from, to)) throw Object.assign(new Error(`EIO: i/o error, rename '${from}' -> '${to}'`), { code: 'EIO' });
      return fsp.rename(from, to);
    },
  };
}

test('all or nothing: a file that cannot be written stops the apply before anything is changed', async (t) => {
  // /etc/timezone is a directory: its write fails after the Wi-Fi, the country and the host name are staged.
  const r = await run(t, EVERYTHING_BUT_OWNER, async (root) => {
    await fsp.rm(join(root, 'etc/timezone'));
    await mkdir(join(root, 'etc/timezone/stray'), { recursive: true });
  });
  assert.equal(r.outcome.status, 'failed');
  const changed = changes(r.before, await r.after());
  assert.deepEqual(Object.keys(changed).sort(), [SETUP, 'run/picamd/setup-error'], JSON.stringify(changed, null, 1));
  assert.match(r.log.at(-1)!, /^picamd-setup: nothing applied from/);
  assert.match(await r.read(SETUP), /^# error: nothing was applied\./);
  assert.match(await r.read(SETUP), /etc\/timezone is not a regular file; nothing was changed/);
  assert.equal((await fsp.readdir(join(r.root, 'etc'))).filter((n) => n.endsWith('.tmp')).length, 0, 'no temporary file left');
});

test('all or nothing: a rename that fails while committing undoes the ones before it, and the file and journal say so', async (t) => {
  const r = await run(t, EVERYTHING_BUT_OWNER, undefined, failingRenames((from, to) => to.endsWith('/etc/hosts') && from.includes('.new-')));
  assert.equal(r.outcome.status, 'failed');
  const changed = changes(r.before, await r.after());
  assert.deepEqual(Object.keys(changed).sort(), [SETUP, 'run/picamd/setup-error'], JSON.stringify(changed, null, 1));
  assert.equal((await r.after())['etc/hostname'], r.before['etc/hostname'], 'the host name written before is back');
  assert.match((r.outcome as { problems: string[] }).problems[0]!, /etc\/hosts: EIO.*; every change already made was undone/);
  assert.match(r.log.at(-1)!, /^picamd-setup: nothing applied from/);
  assert.match(await r.read(SETUP), /^# error: nothing was applied\./);
  assert.match(await r.read(SETUP), /wifi_password = 12345678/, 'the settings stay for the next boot');
});

test('all or nothing: when even the undo fails, the file and the journal say that part was applied', async (t) => {
  const r = await run(t, EVERYTHING_BUT_OWNER, undefined, failingRenames((from, to) =>
    (to.endsWith('/etc/hosts') && from.includes('.new-')) || (to.endsWith('/etc/hostname') && from.includes('.old-'))));
  assert.equal(r.outcome.status, 'failed');
  const after = await r.after();
  assert.equal(after['etc/hostname'], '644 garden-cam\n', 'the one that could not be undone');
  assert.equal(after['etc/hosts'], r.before['etc/hosts']);
  assert.equal(after['boot/firmware/cmdline.txt'], r.before['boot/firmware/cmdline.txt'], 'the others are undone');
  assert.match((r.outcome as { problems: string[] }).problems[0]!, /could not undo: .*etc\/hostname/);
  assert.match(r.log.at(-1)!, /^picamd-setup: PART of \/boot\/firmware\/picamd-setup\.txt was applied and could not be undone/);
  assert.match(await r.read(SETUP), /^# error: PART of this file was applied/);
  assert.ok(Object.keys(after).some((p) => /^etc\/\.hostname\.old-[0-9a-f]+\.tmp$/.test(p)), 'the old host name is kept beside it');
});
