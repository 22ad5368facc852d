// deploy/install.sh against scratch system trees (--root): what it writes, what it keeps, what it
// refuses, and that a second run and --uninstall leave the tree as they should. The bundle here is
// a host-architecture stand-in (this repository's dist/ and node_modules, a node wrapper), so the
// test needs neither the arm64 bundle nor an emulator; deploy/ci-packaging.sh also installs the
// real bundle.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const repo = join(import.meta.dirname, '../..');
const missing = ['bash', 'systemctl'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (!existsSync(join(repo, 'dist/main.js'))) missing.push('a built dist/ (npm run build)');
const skip = missing.length > 0 && process.env.CI !== 'true' ? `needs ${missing.join(', ')}` : false;

// Raspberry Pi OS's config.txt ends in model sections; this one also lacks its final newline.
const CONFIG_TXT = '# For more options see http://rptl.io/configtxt\ncamera_auto_detect=1\ndtoverlay=vc4-kms-v3d\n\n[cm4]\notg_mode=1\n\n[pi5]\ndtoverlay=nospi10';

let work: string;

function write(path: string, content: string, mode?: number) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  if (mode !== undefined) chmodSync(path, mode);
}

/** A bundle laid out like the release one, but runnable on this machine. */
function makeBundle(tag: string, version = '0.1.0'): string {
  const dir = join(work, `bundle-${tag}`);
  cpSync(join(repo, 'dist'), join(dir, 'dist'), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  write(join(dir, 'node/bin/node'), `#!/bin/sh\nexec "${process.execPath}" "$@"\n`, 0o755);
  write(join(dir, 'package.json'), read(repo, 'package.json').replace(/^  "version": ".*",$/m, `  "version": "${version}",`));
  cpSync(join(repo, 'config/default.json'), join(dir, 'config/default.json'));
  cpSync(join(repo, 'systemd/picamd.service'), join(dir, 'systemd/picamd.service'));
  cpSync(join(repo, 'systemd/picamd-setup.service'), join(dir, 'systemd/picamd-setup.service'));
  for (const f of ['picamd-update.service', 'picamd-update.path', 'picamd-timezone.service', 'picamd-timezone.path', 'picamd-wifi-rejoin.service']) cpSync(join(repo, 'systemd', f), join(dir, 'systemd', f));
  for (const f of ['config-facts.mjs', 'check-stream.mjs', 'avahi/picamd.service', 'sysctl/60-picamd.conf', 'picamd-update.sh', 'picamd-timezone.sh', 'picamd-wifi-rejoin.sh']) cpSync(join(repo, 'deploy', f), join(dir, 'deploy', f));
  cpSync(join(repo, 'deploy/install.sh'), join(dir, 'install.sh'));
  write(join(dir, 'BUILD-INFO'), `picamd ${tag}\n`);
  return dir;
}

interface RootOptions {
  arch?: 'arm64' | 'armhf';
  model?: string | null;
  codename?: string;
  rpicam?: boolean;
}

/** A system tree with just what the installer looks at. */
function makeRoot(name: string, o: RootOptions = {}): string {
  const root = join(work, `root-${name}`);
  write(join(root, `var/lib/dpkg/info/libc6:${o.arch ?? 'arm64'}.list`), '');
  if (o.model !== null) write(join(root, 'proc/device-tree/model'), `${o.model ?? 'Raspberry Pi 4 Model B Rev 1.5'}\0`);
  write(join(root, 'etc/os-release'), `PRETTY_NAME="Debian GNU/Linux"\nID=debian\nVERSION_CODENAME=${o.codename ?? 'bookworm'}\n`);
  if (o.rpicam !== false) write(join(root, 'usr/bin/rpicam-vid'), '#!/bin/sh\n', 0o755);
  mkdirSync(join(root, 'etc/avahi'), { recursive: true });
  write(join(root, 'boot/firmware/config.txt'), CONFIG_TXT);
  return root;
}

function install(bundle: string, root: string, ...args: string[]) {
  const r = spawnSync('bash', [join(bundle, 'install.sh'), '--root', root, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');
const picamdBlocks = (text: string) => text.split('\n').filter((l) => l.startsWith('# BEGIN picamd')).length;

describe('install.sh --root', { skip }, () => {
  let bundleA: string;
  let bundleB: string;
  let bundleC: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'picamd-install-'));
    bundleA = makeBundle('A', '1.0.0');
    bundleB = makeBundle('B', '1.1.0');
    bundleC = makeBundle('C', '1.2.0');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('installs the bundle, the default config, the unit (enabled), Avahi and the pull-up line', () => {
    const root = makeRoot('fresh');
    const r = install(bundleA, root);
    assert.equal(r.status, 0, r.out);
    assert.equal(read(root, 'opt/picamd/current/BUILD-INFO'), 'picamd A\n');
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/1.0.0');
    assert.ok(existsSync(join(root, 'opt/picamd/releases/1.0.0/node/bin/node')));
    assert.ok(!existsSync(join(root, 'opt/picamd/previous')), 'nothing to go back to yet');
    assert.ok(!existsSync(join(root, 'opt/picamd.install')));
    // The updater sits outside the releases, with its units (the path unit watches picamd's state directory).
    assert.equal(read(root, 'opt/picamd/bin/picamd-update'), read(repo, 'deploy/picamd-update.sh'));
    for (const [unit, wants] of [['picamd-update.service', 'multi-user.target.wants'], ['picamd-update.path', 'paths.target.wants']]) {
      assert.equal(read(root, `etc/systemd/system/${unit}`), read(repo, `systemd/${unit}`));
      assert.equal(readlinkSync(join(root, `etc/systemd/system/${wants}/${unit}`)), `/etc/systemd/system/${unit}`);
    }
    assert.equal(read(root, 'etc/picamd/config.json'), read(repo, 'config/default.json'));
    assert.equal(read(root, 'etc/systemd/system/picamd.service'), read(repo, 'systemd/picamd.service'));
    assert.equal(
      readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/picamd.service')),
      '/etc/systemd/system/picamd.service',
    );
    // The setup file service, enabled too: it runs before the network when picamd-setup.txt has settings.
    assert.equal(read(root, 'etc/systemd/system/picamd-setup.service'), read(repo, 'systemd/picamd-setup.service'));
    assert.equal(
      readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/picamd-setup.service')),
      '/etc/systemd/system/picamd-setup.service',
    );
    // Slow viewers are skipped by picamd, not buffered by the kernel: the unsent data per socket is bounded.
    assert.match(read(root, 'etc/sysctl.d/60-picamd.conf'), /^net\.ipv4\.tcp_notsent_lowat = 131072$/m);
    // The time zone from the page: the root helper's path unit, enabled; its service started by it.
    assert.equal(read(root, 'etc/systemd/system/picamd-timezone.service'), read(repo, 'systemd/picamd-timezone.service'));
    assert.equal(readlinkSync(join(root, 'etc/systemd/system/paths.target.wants/picamd-timezone.path')), '/etc/systemd/system/picamd-timezone.path');
    // The Wi-Fi helper (deploy/picamd-wifi-rejoin.sh), enabled: it starts at boot.
    assert.equal(read(root, 'etc/systemd/system/picamd-wifi-rejoin.service'), read(repo, 'systemd/picamd-wifi-rejoin.service'));
    assert.equal(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/picamd-wifi-rejoin.service')), '/etc/systemd/system/picamd-wifi-rejoin.service');
    const avahi = read(root, 'etc/avahi/services/picamd.service');
    assert.match(avahi, /<type>_http\._tcp<\/type>/);
    assert.match(avahi, /<port>80<\/port>/);
    const configTxt = read(root, 'boot/firmware/config.txt');
    assert.ok(configTxt.startsWith(`${CONFIG_TXT}\n`), 'the original lines are kept as they were');
    // The line must apply to every model, not just the [pi5] section the file ended in.
    assert.match(configTxt, /\n# BEGIN picamd[^\n]*\n\[all\]\ngpio=27=ip,pu\n# END picamd\n$/);
    assert.match(r.out, /wrote the default config/);
  });

  it('is idempotent, keeps a user config and follows its port and privacy pin', () => {
    const root = makeRoot('rerun');
    assert.equal(install(bundleA, root).status, 0);
    const userConfig = JSON.stringify({ server: { port: 8080 }, gpio: { privacy: { pin: 22 } } }, null, 2);
    write(join(root, 'etc/picamd/config.json'), userConfig);
    const r = install(bundleB, root);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /keeping your config/);
    assert.equal(read(root, 'etc/picamd/config.json'), userConfig);
    assert.equal(read(root, 'opt/picamd/current/BUILD-INFO'), 'picamd B\n');
    assert.equal(readlinkSync(join(root, 'opt/picamd/previous')), 'releases/1.0.0', 'A is kept to go back to');
    assert.match(read(root, 'etc/avahi/services/picamd.service'), /<port>8080<\/port>/);
    const configTxt = read(root, 'boot/firmware/config.txt');
    assert.equal(picamdBlocks(configTxt), 1);
    assert.match(configTxt, /\ngpio=22=ip,pu\n/);
    assert.doesNotMatch(configTxt, /gpio=27/);

    const before = configTxt;
    assert.equal(install(bundleB, root).status, 0);
    assert.equal(read(root, 'boot/firmware/config.txt'), before, 'a third run changes nothing');

    // The updater links the units to /opt/picamd/current/systemd/ (here relative, to stay in this tree):
    // a run over such links replaces them with copies, and leaves the release's files behind them alone.
    for (const unit of ['picamd.service', 'picamd-timezone.path']) {
      rmSync(join(root, 'etc/systemd/system', unit));
      symlinkSync(`../../../opt/picamd/current/systemd/${unit}`, join(root, 'etc/systemd/system', unit));
    }
    const overLinks = install(bundleB, root);
    assert.equal(overLinks.status, 0, overLinks.out);
    for (const unit of ['picamd.service', 'picamd-timezone.path']) {
      assert.throws(() => readlinkSync(join(root, 'etc/systemd/system', unit)), /EINVAL/, `${unit} is a file again`);
      assert.equal(read(root, `etc/systemd/system/${unit}`), read(repo, `systemd/${unit}`));
      assert.equal(read(root, `opt/picamd/current/systemd/${unit}`), read(repo, `systemd/${unit}`));
    }
  });

  it('refuses an invalid config and leaves the installed version alone', () => {
    const root = makeRoot('invalid');
    assert.equal(install(bundleA, root).status, 0);
    write(join(root, 'etc/picamd/config.json'), '{ "server": { "prot": 80 } }');
    const r = install(bundleB, root);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /server\.prot: unknown key/);
    assert.match(r.out, /not valid.*nothing was changed/);
    assert.equal(read(root, 'opt/picamd/current/BUILD-INFO'), 'picamd A\n');
    assert.deepEqual(readdirSync(join(root, 'opt/picamd/releases')), ['1.0.0']);
    assert.ok(!existsSync(join(root, 'opt/picamd.install')));
  });

  it('keeps the running and the previous release only, and repairs in place when run from the installed copy', () => {
    const root = makeRoot('releases');
    for (const bundle of [bundleA, bundleB, bundleC]) assert.equal(install(bundle, root).status, 0);
    assert.deepEqual(readdirSync(join(root, 'opt/picamd/releases')).sort(), ['1.1.0', '1.2.0']);
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/1.2.0');
    assert.equal(readlinkSync(join(root, 'opt/picamd/previous')), 'releases/1.1.0');
    // A leftover trial of an update ends with a manual install: this version is the one wanted.
    write(join(root, 'var/lib/picamd-update/trial'), 'version=1.2.0\nfrom=1.1.0\nstarts=1\n');
    const r = install(join(root, 'opt/picamd/current'), root);
    assert.equal(r.status, 0, r.out);
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/1.2.0');
    assert.equal(read(root, 'opt/picamd/current/BUILD-INFO'), 'picamd C\n');
    assert.ok(!existsSync(join(root, 'var/lib/picamd-update/trial')));
  });

  it('moves an install from before the releases layout into it, and that version becomes the previous one', () => {
    const root = makeRoot('flat');
    // /opt/picamd as the installer of before put it there: the bundle's files directly in it.
    cpSync(bundleA, join(root, 'opt/picamd'), { recursive: true, verbatimSymlinks: true });
    write(join(root, 'etc/systemd/system/picamd.service'), 'ExecStart=/opt/picamd/node/bin/node /opt/picamd/dist/main.js\n');
    const r = install(bundleB, root);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /moved the installed picamd 1\.0\.0 to \/opt\/picamd\/releases\/1\.0\.0/);
    assert.deepEqual(readdirSync(join(root, 'opt/picamd')).sort(), ['bin', 'current', 'previous', 'releases']);
    assert.equal(read(root, 'opt/picamd/previous/BUILD-INFO'), 'picamd A\n');
    assert.equal(read(root, 'opt/picamd/current/BUILD-INFO'), 'picamd B\n');
    assert.equal(read(root, 'etc/systemd/system/picamd.service'), read(repo, 'systemd/picamd.service'));
    // A cut between the two renames of the move: the next run finishes it.
    const cut = makeRoot('flat-cut');
    mkdirSync(join(cut, 'opt/picamd.migrate/releases'), { recursive: true });
    cpSync(bundleA, join(cut, 'opt/picamd.migrate/releases/1.0.0'), { recursive: true, verbatimSymlinks: true });
    const again = install(bundleB, cut);
    assert.equal(again.status, 0, again.out);
    assert.equal(readlinkSync(join(cut, 'opt/picamd/previous')), 'releases/1.0.0');
    assert.ok(!existsSync(join(cut, 'opt/picamd.migrate')));
  });

  it('refuses a 32-bit system, a non-Pi board and an old release with a clear message', () => {
    const armhf = makeRoot('armhf', { arch: 'armhf' });
    let r = install(bundleA, armhf);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /32-bit Raspberry Pi OS.*64-bit/);
    assert.ok(!existsSync(join(armhf, 'opt/picamd')) && !existsSync(join(armhf, 'etc/picamd')));

    const board = makeRoot('board', { model: 'QEMU Virt Machine' });
    r = install(bundleA, board);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /not a Raspberry Pi \(device tree model: 'QEMU Virt Machine'\)/);
    assert.equal(install(bundleA, board, '--no-hw-check').status, 0);

    const old = makeRoot('bullseye', { codename: 'bullseye' });
    r = install(bundleA, old);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /bullseye is too old/);

    const trixie = makeRoot('trixie', { codename: 'trixie', rpicam: false });
    r = install(bundleA, trixie);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /trixie/);
    assert.match(r.out, /rpicam-vid is missing/);
  });

  // rpicam-apps-lite (Raspberry Pi OS Lite) has no libav encoder, and the Pi 5 family no hardware
  // one: H.264 there needs rpicam-apps (rpicam-apps#735, #761). A live install puts it in place with
  // apt; into a --root tree nothing is installed, so it says what is missing.
  it('the Pi 5 family wants rpicam-apps (libav) in place of rpicam-apps-lite; other boards keep the lite one', () => {
    const status = (...pkgs: Array<[string, string]>) => pkgs.map(([p, st]) => `Package: ${p}\nStatus: ${st}\nArchitecture: arm64\nVersion: 1.9.0\n`).join('\n');
    const cases: Array<{ name: string; model: string; dpkg: string | null; warns: boolean }> = [
      { name: 'pi5-lite', model: 'Raspberry Pi 5 Model B Rev 1.0', dpkg: status(['rpicam-apps-lite', 'install ok installed']), warns: true },
      { name: 'pi500-lite', model: 'Raspberry Pi 500 Rev 1.0', dpkg: status(['rpicam-apps-lite', 'install ok installed']), warns: true },
      { name: 'cm5-lite', model: 'Raspberry Pi Compute Module 5 Rev 1.0', dpkg: status(['rpicam-apps-lite', 'install ok installed']), warns: true },
      { name: 'pi5-full', model: 'Raspberry Pi 5 Model B Rev 1.0', dpkg: status(['rpicam-apps-lite', 'deinstall ok config-files'], ['rpicam-apps', 'install ok installed']), warns: false },
      { name: 'pi5-source-build', model: 'Raspberry Pi 5 Model B Rev 1.0', dpkg: null, warns: false },
      { name: 'zero2-lite', model: 'Raspberry Pi Zero 2 W Rev 1.0', dpkg: status(['rpicam-apps-lite', 'install ok installed']), warns: false },
    ];
    for (const c of cases) {
      const root = makeRoot(c.name, { model: c.model });
      if (c.dpkg !== null) write(join(root, 'var/lib/dpkg/status'), c.dpkg);
      const r = install(bundleA, root);
      assert.equal(r.status, 0, `${c.name}: ${r.out}`);
      const warned = /install the rpicam-apps package in .* \(it replaces rpicam-apps-lite\) for H\.264; picamd refuses camera\.codec "h264" until then/.test(r.out);
      assert.equal(warned, c.warns, `${c.name}: ${r.out}`);
    }
    const pi5Bare = makeRoot('pi5-bare', { model: 'Raspberry Pi 5 Model B Rev 1.1', rpicam: false });
    const r = install(bundleA, pi5Bare);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /install the rpicam-apps package/);
  });

  it('--uninstall removes picamd but keeps the config and the state', () => {
    const root = makeRoot('uninstall');
    assert.equal(install(bundleA, root).status, 0);
    write(join(root, 'var/lib/private/picamd/privacy.json'), '{"private":true}');
    write(join(root, 'var/lib/picamd-update/trial'), 'version=1.0.0\n');
    const r = install(bundleA, root, '--uninstall');
    assert.equal(r.status, 0, r.out);
    for (const gone of ['opt/picamd', 'var/lib/picamd-update', 'etc/systemd/system/picamd-update.service', 'etc/systemd/system/picamd-update.path',
      'etc/systemd/system/paths.target.wants/picamd-update.path', 'etc/systemd/system/picamd.service', 'etc/systemd/system/multi-user.target.wants/picamd.service',
      'etc/systemd/system/picamd-setup.service', 'etc/systemd/system/multi-user.target.wants/picamd-setup.service', 'etc/avahi/services/picamd.service',
      'etc/sysctl.d/60-picamd.conf', 'etc/systemd/system/picamd-timezone.service', 'etc/systemd/system/picamd-timezone.path', 'etc/systemd/system/paths.target.wants/picamd-timezone.path',
      'etc/systemd/system/picamd-wifi-rejoin.service', 'etc/systemd/system/multi-user.target.wants/picamd-wifi-rejoin.service']) {
      assert.ok(!existsSync(join(root, gone)), `${gone} is removed`);
    }
    assert.equal(read(root, 'boot/firmware/config.txt'), CONFIG_TXT + '\n');
    assert.ok(existsSync(join(root, 'etc/picamd/config.json')));
    assert.ok(existsSync(join(root, 'var/lib/private/picamd/privacy.json')));
    assert.equal(install(bundleA, root, '--uninstall').status, 0, 'a second uninstall is harmless');
  });
});
