// deploy/picamd-update.sh's room for a new release: before unpacking, the updater compares the
// release's unpacked size (from the running release's real `verify-update`) with the card's free
// space; when short it removes the releases other than the running one, and when even that would
// not do it refuses with the sizes, removing nothing. On scratch trees (PICAMD_ROOT) with a real
// signed update file; `df` and `systemctl` are small stand-in scripts (PICAMD_DF, PICAMD_SYSTEMCTL).
// The virtual Pi (deploy/vpi/check-update.sh) meets the same on its small root partition.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signUpdateFile } from '../../src/device/update/sign-file.js';

const repo = join(import.meta.dirname, '../..');
const script = join(repo, 'deploy/picamd-update.sh');
const missing = [];
if (!existsSync(join(repo, 'dist/main.js'))) missing.push('a built dist/ (npm run build)');
if (spawnSync('sh', ['-c', 'command -v flock']).status !== 0) missing.push('flock (util-linux)');
const skip = missing.length > 0 && process.env.CI !== 'true' ? `needs ${missing.join(', ')}` : false;

describe('picamd-update: room for a new release', { skip }, () => {
  let work: string;
  let updateFile: string;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'picamd-update-space-'));
    // Release 2.0.0: small, but a whole bundle as far as the updater checks (node/bin/node, dist/main.js).
    const build = join(work, 'build/picamd-2.0.0');
    mkdirSync(join(build, 'node/bin'), { recursive: true });
    mkdirSync(join(build, 'dist'), { recursive: true });
    writeFileSync(join(build, 'node/bin/node'), '#!/bin/sh\n');
    chmodSync(join(build, 'node/bin/node'), 0o755);
    writeFileSync(join(build, 'dist/main.js'), '// 2.0.0\n');
    writeFileSync(join(build, 'package.json'), '{ "version": "2.0.0" }\n');
    const tar = spawnSync('tar', ['--owner=0', '--group=0', '-C', join(work, 'build'), '-czf', join(work, 'bundle.tar.gz'), 'picamd-2.0.0']);
    assert.equal(tar.status, 0, String(tar.stderr));
    updateFile = join(work, '2.0.0.update');
    await signUpdateFile({ bundle: join(work, 'bundle.tar.gz'), out: updateFile, privateKey, version: '2.0.0', replacesFrom: '1.0.0', architecture: process.arch, date: '2026-12-07T00:00:00Z' });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** A device running 1.0.0 (this repository's dist/ with a node wrapper, trusting the test key), 0.9.0 as previous, 2.0.0 requested. */
  function device(name: string, df: string): string {
    const root = join(work, name);
    const running = join(root, 'opt/picamd/releases/1.0.0');
    mkdirSync(join(running, 'node/bin'), { recursive: true });
    writeFileSync(join(running, 'node/bin/node'), `#!/bin/sh\nexec '${process.execPath}' "$@"\n`);
    chmodSync(join(running, 'node/bin/node'), 0o755);
    cpSync(join(repo, 'dist'), join(running, 'dist'), { recursive: true });
    symlinkSync(join(repo, 'node_modules'), join(running, 'node_modules'));
    writeFileSync(join(running, 'package.json'), '{ "version": "1.0.0", "type": "module" }\n');
    mkdirSync(join(running, 'keys'));
    writeFileSync(join(running, 'keys/test.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    mkdirSync(join(root, 'opt/picamd/releases/0.9.0/dist'), { recursive: true });
    writeFileSync(join(root, 'opt/picamd/releases/0.9.0/dist/main.js'), '// 0.9.0\n'.repeat(32 * 1024));
    symlinkSync('releases/1.0.0', join(root, 'opt/picamd/current'));
    symlinkSync('releases/0.9.0', join(root, 'opt/picamd/previous'));
    mkdirSync(join(root, 'var/lib/private/picamd/update'), { recursive: true });
    cpSync(updateFile, join(root, 'var/lib/private/picamd/update/request.update'));
    // df as the updater reads it (`df -B1 --output=avail DIR`): a header, then the free bytes.
    writeFileSync(join(root, 'df'), `#!/bin/sh\necho Avail\n${df}\n`);
    chmodSync(join(root, 'df'), 0o755);
    // systemctl: picamd is a new instance, active and with its camera's first frame, once current is 2.0.0.
    writeFileSync(
      join(root, 'systemctl'),
      `#!/bin/sh
case "$*" in *StatusText*) echo 'camera: first frame'; exit 0 ;; esac
[ "$1" = show ] || exit 0
id=old; [ "$(readlink '${root}/opt/picamd/current')" = releases/2.0.0 ] && id=new
case "$*" in *--value*) echo $id ;; *) printf 'ActiveState=active\\nSubState=running\\nNRestarts=0\\nInvocationID=%s\\n' $id ;; esac
`,
    );
    chmodSync(join(root, 'systemctl'), 0o755);
    return root;
  }

  /** The updater's run; reserveMb: what it keeps free beyond the release (32 MB on a device). */
  function run(root: string, reserveMb = 32) {
    const r = spawnSync('bash', [script, 'run'], {
      encoding: 'utf8',
      env: { ...process.env, PICAMD_ROOT: root, PICAMD_UPDATE_RESERVE_MB: String(reserveMb), PICAMD_DF: join(root, 'df'), PICAMD_SYSTEMCTL: join(root, 'systemctl'), PICAMD_TRIAL_SETTLE_SECONDS: '0', PICAMD_TRIAL_READY_SECONDS: '60' },
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  }
  const status = (root: string) => JSON.parse(readFileSync(join(root, 'var/lib/picamd-update/status.json'), 'utf8')) as Record<string, string>;

  it('installs beside the previous release when the card has room for it', () => {
    const root = device('room', 'echo 10000000000');
    const r = run(root);
    assert.equal(r.status, 0, r.out);
    assert.equal(status(root).state, 'committed', r.out);
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/2.0.0');
    assert.equal(readlinkSync(join(root, 'opt/picamd/previous')), 'releases/1.0.0');
    assert.doesNotMatch(r.out, /to make room/);
  });

  it('removes the releases besides the running one when that makes room, then installs', () => {
    // Short while 0.9.0 (256 KB) is on the card, plenty once it is gone; no reserve, so 2.0.0
    // (a few KB) needs less than 0.9.0 frees.
    const root = device('make-room', `[ -d "$PICAMD_ROOT/opt/picamd/releases/0.9.0" ] && echo 1000 || echo 10000000000`);
    const r = run(root, 0);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /removed release 0\.9\.0 to make room for 2\.0\.0/);
    assert.equal(status(root).state, 'committed', r.out);
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/2.0.0');
    assert.equal(readlinkSync(join(root, 'opt/picamd/previous')), 'releases/1.0.0');
    assert.ok(!existsSync(join(root, 'opt/picamd/releases/0.9.0')));
  });

  it('refuses, with the sizes and nothing removed, when even that would not make room', () => {
    const root = device('full', 'echo 1000');
    const r = run(root);
    assert.equal(r.status, 0, r.out);
    const s = status(root);
    assert.equal(s.state, 'refused', r.out);
    assert.match(s.reason!, /^not enough space on the card: 2\.0\.0 needs 3[23] MB, 0 MB are free \(0 MB more in the releases besides 1\.0\.0\)$/);
    assert.equal(readlinkSync(join(root, 'opt/picamd/current')), 'releases/1.0.0');
    assert.equal(readlinkSync(join(root, 'opt/picamd/previous')), 'releases/0.9.0', 'the previous release stays');
    assert.ok(existsSync(join(root, 'opt/picamd/releases/0.9.0/dist/main.js')));
    assert.ok(!existsSync(join(root, 'opt/picamd/releases/2.0.0')) && !existsSync(join(root, 'opt/picamd/releases/.staging')));
    assert.ok(!existsSync(join(root, 'var/lib/private/picamd/update/request.update')), 'the request is taken');
    assert.ok(!existsSync(join(root, 'var/lib/picamd-update/work')), "the updater's copy is removed");
  });
});
