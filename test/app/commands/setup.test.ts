import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parsePasswordHash, verifyPassword } from '../../../src/device/accounts/password.js';
import { CMDLINE, makeScratchRoot } from '../../fakes/scratch-root.js';
import { tempDir } from '../../fakes/temp-dir.js';

// `picamd apply-setup` and `picamd reset-owner` as the service and a person run them: the built
// dist/main.js in a child process, on a scratch root; the setup file travels through a real FAT
// file system image (mkfs.vfat, written and read with mtools as deploy/image/test-image.sh does,
// since mounting needs loop devices and the vfat module).

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const main = join(repo, 'dist/main.js');
const picamd = (args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 120_000 });

const tools = ['mkfs.vfat', 'mcopy', 'fsck.vfat'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const skipFat = tools.length > 0 && process.env.CI !== 'true' ? `needs ${tools.join(', ')} (apt-get install dosfstools mtools)` : false;
const mtoolsEnv = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
const sh = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: mtoolsEnv });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** A FAT32 boot partition image holding cmdline.txt and the setup file, like the card's first partition. */
async function fatImage(t: TestContext, setup: Buffer): Promise<string> {
  const dir = await tempDir(t, 'fat');
  const img = join(dir, 'boot.fat');
  sh('truncate', ['-s', '40M', img]);
  sh('mkfs.vfat', ['-F', '32', '-n', 'bootfs', img]);
  await writeFile(join(dir, 'picamd-setup.txt'), setup);
  await writeFile(join(dir, 'cmdline.txt'), CMDLINE);
  sh('mcopy', ['-i', img, join(dir, 'picamd-setup.txt'), join(dir, 'cmdline.txt'), '::/']);
  return img;
}

describe('picamd apply-setup through a FAT partition', { skip: skipFat }, () => {
  test('Notepad file (BOM, CRLF) with everything: applied, secrets gone from the card, the owner can log in', async (t) => {
    const setup = Buffer.from('\uFEFF# from Windows\r\nwifi_name = Bob\'s "Café"\r\nwifi_password = correct horse battery\r\nwifi_country = GB\r\n' +
      'hostname = garden-cam\r\nowner_name = admin\r\nowner_password = a long passphrase\r\ntimezone = Europe/Berlin\r\n');
    const img = await fatImage(t, setup);
    const { root, cleanup } = await makeScratchRoot(null);
    t.after(cleanup);
    const boot = join(root, 'boot/firmware');
    sh('mcopy', ['-n', '-o', '-i', img, '::/picamd-setup.txt', '::/cmdline.txt', `${boot}/`]);
    assert.deepEqual(await readFile(join(boot, 'picamd-setup.txt')), setup, 'the FAT file system gives back the bytes as written');

    const run = picamd(['apply-setup', '--root', root]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /picamd-setup: applied owner admin \(password set\)/);

    sh('mcopy', ['-o', '-i', img, join(boot, 'picamd-setup.txt'), join(boot, 'cmdline.txt'), '::/']);
    sh('fsck.vfat', ['-n', img]);
    const back = sh('mcopy', ['-n', '-i', img, '::/picamd-setup.txt', '-']);
    const stamp = /# applied on (\d{4}-\d\d-\d\d \d\d:\d\d UTC): wifi_name/.exec(back)?.[1];
    assert.ok(stamp, back);
    assert.equal(back, `\uFEFF# from Windows\r\n${['wifi_name = Bob\'s "Café"', 'wifi_password (removed)', 'wifi_country = GB', 'hostname = garden-cam',
      'owner_name = admin', 'owner_password (removed)', 'timezone = Europe/Berlin'].map((l) => `# applied on ${stamp}: ${l}\r\n`).join('')}`);
    assert.equal(sh('mcopy', ['-n', '-i', img, '::/cmdline.txt', '-']), `${CMDLINE.trimEnd()} cfg80211.ieee80211_regdom=GB\n`);

    const accounts = JSON.parse(await readFile(join(root, 'var/lib/picamd/accounts.json'), 'utf8'));
    const [user] = accounts.users;
    assert.equal(user.name, 'admin');
    assert.equal(user.role, 'owner');
    const hash = parsePasswordHash(user.passwordHash);
    assert.ok(typeof hash !== 'string', 'a valid scrypt hash');
    assert.equal(await verifyPassword('a long passphrase', hash), true);
    assert.equal(await verifyPassword('a long passphrasf', hash), false);
    assert.equal(await readFile(join(root, 'etc/hostname'), 'utf8'), 'garden-cam\n');

    // The next boot: nothing to apply.
    const again = picamd(['apply-setup', '--root', root]);
    assert.equal(again.status, 0);
    assert.equal(again.stderr, 'picamd-setup: nothing to apply\n');
  });

  test('a bad file: exit 1, the reasons on stderr, in the file on the card and in the marker', async (t) => {
    const setup = Buffer.from('wifi_name = Home\r\nwifi_password = 1234567\r\nwifi_country = GB\r\n');
    const img = await fatImage(t, setup);
    const { root, cleanup } = await makeScratchRoot(null);
    t.after(cleanup);
    const boot = join(root, 'boot/firmware');
    sh('mcopy', ['-n', '-o', '-i', img, '::/picamd-setup.txt', `${boot}/`]);
    const run = picamd(['apply-setup', '--root', root]);
    assert.equal(run.status, 1);
    const reason = 'line 4: wifi_password: a Wi-Fi password needs at least 8 characters; this one has 7';
    assert.equal(run.stderr, `picamd-setup: error: ${reason}\npicamd-setup: nothing applied from /boot/firmware/picamd-setup.txt; the reasons are also written into the file\n`);
    sh('mcopy', ['-o', '-i', img, join(boot, 'picamd-setup.txt'), '::/']);
    sh('fsck.vfat', ['-n', img]);
    assert.equal(sh('mcopy', ['-n', '-i', img, '::/picamd-setup.txt', '-']),
      `# error: nothing was applied. Fix the lines below, then start the camera again.\r\n# error: ${reason}\r\n${setup.toString()}`);
    assert.equal(await readFile(join(root, 'run/picamd/setup-error'), 'utf8'), `${reason}\n`);
    assert.equal(await readFile(join(root, 'etc/NetworkManager/system-connections/Home.nmconnection'), 'utf8').catch(() => 'absent'), 'absent');
  });
});

test('picamd reset-owner: the users go (from a damaged accounts file too), privacy comes on, and it says what to do next', async (t) => {
  const { root, cleanup } = await makeScratchRoot(null);
  t.after(cleanup);
  await mkdir(join(root, 'var/lib/picamd'), { recursive: true });
  const hash = '$scrypt$ln=13,r=8,p=10$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
  await writeFile(join(root, 'var/lib/picamd/accounts.json'), JSON.stringify({ format: 1, users: [{ name: 'admin', passwordHash: hash, role: 'owner' }] }));
  await writeFile(join(root, 'var/lib/picamd/settings.json'), JSON.stringify({ format: 1, savedAt: 'x', settings: { server: { openViewing: true } } }));
  const config = join(root, 'config.json');
  await writeFile(config, '{}');
  const run = picamd(['reset-owner', '--root', root, '--config', config]);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'picamd: removed the user(s) "admin"; privacy is on.\n' +
    'Restart picamd (sudo systemctl restart picamd), open its page and choose the new owner; then switch privacy off.\n');
  assert.deepEqual(JSON.parse(await readFile(join(root, 'var/lib/picamd/accounts.json'), 'utf8')).users, []);
  assert.deepEqual(JSON.parse(await readFile(join(root, 'var/lib/picamd/settings.json'), 'utf8')).settings, {});
  assert.equal(JSON.parse(await readFile(join(root, 'var/lib/picamd/privacy.json'), 'utf8')).enabled, true);
  assert.equal(await readFile(join(root, 'var/lib/picamd/settings.json.prev'), 'utf8').catch(() => 'absent'), 'absent', 'no copy of the old users');

  await writeFile(join(root, 'var/lib/picamd/accounts.json'), 'garbage');
  const locked = picamd(['reset-owner', '--root', root, '--config', config]);
  assert.equal(locked.status, 0, locked.stderr);
  assert.deepEqual(JSON.parse(await readFile(join(root, 'var/lib/picamd/accounts.json'), 'utf8')).users, []);
});

test('picamd reset-owner warns when the config file itself lists users (they would still log in)', async (t) => {
  const { root, cleanup } = await makeScratchRoot(null);
  t.after(cleanup);
  const config = join(root, 'config.json');
  const hash = '$scrypt$ln=13,r=8,p=10$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
  await writeFile(config, JSON.stringify({ server: { auth: { users: [{ name: 'root-admin', passwordHash: hash }] } } }));
  const run = picamd(['reset-owner', '--root', root, '--config', config]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /itself lists users in server\.auth \(root-admin\); remove them there too/);
});
