// `picamd verify-update`: the manifest on a good file, and one clear line and exit 1 for each way a
// file is refused; through main.js as a shell user runs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runVerifyUpdate } from '../../../src/app/commands/verify-update.js';
import { keyIdOf } from '../../../src/formats/update/keys.js';
import { signUpdateFile } from '../../../src/device/update/sign-file.js';

const repo = join(import.meta.dirname, '../../..');
const release = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');

describe('picamd verify-update', () => {
  let work: string;
  let installed: string;
  const files: Record<string, string> = {};

  async function make(name: string, o: { key?: typeof release; architecture?: string; version?: string; folder?: string } = {}): Promise<string> {
    const version = o.version ?? '1.0.0';
    const src = join(work, `src-${name}`);
    const folder = o.folder ?? `picamd-${version}`;
    mkdirSync(join(src, folder, 'dist'), { recursive: true });
    writeFileSync(join(src, folder, 'dist/main.js'), `// ${name}\n`);
    const tarball = join(work, `${name}.tar.gz`);
    const tar = spawnSync('tar', ['--owner=0', '--group=0', '--mode=go-w', '-C', src, '-czf', tarball, folder]);
    assert.equal(tar.status, 0, String(tar.stderr));
    const out = join(work, `${name}.update`);
    await signUpdateFile({ bundle: tarball, out, privateKey: (o.key ?? release).privateKey, version, replacesFrom: '0.1.0', architecture: o.architecture ?? 'arm64', date: '2026-12-07T01:00:00Z' });
    return out;
  }

  async function run(file: string, keysDir?: string, bundleOut?: string, allowDowngrade?: boolean) {
    let output = '';
    let messages = '';
    const code = await runVerifyUpdate(
      { file, ...(keysDir ? { keysDir } : {}), ...(bundleOut ? { bundleOut } : {}), ...(allowDowngrade ? { allowDowngrade } : {}) },
      { output: { write: (t: string) => (output += t) }, messages: { write: (t: string) => (messages += t) }, packageRoot: installed, architecture: 'arm64' },
    );
    return { code, output, messages };
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'picamd-verify-cli-'));
    installed = join(work, 'installed');
    mkdirSync(join(installed, 'keys'), { recursive: true });
    writeFileSync(join(installed, 'keys/release.pem'), release.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(installed, 'package.json'), '{"version":"0.9.0"}');
    files.good = await make('good');
    files.stranger = await make('stranger', { key: stranger });
    files.x64 = await make('x64', { architecture: 'x64' });
    files.escape = await make('escape', { folder: 'picamd-0.0.1' });
    const tampered = readFileSync(files.good);
    tampered[tampered.length - 30]! ^= 1;
    writeFileSync((files.tampered = join(work, 'tampered.update')), tampered);
    writeFileSync((files.truncated = join(work, 'truncated.update')), readFileSync(files.good).subarray(0, 200));
    writeFileSync((files.text = join(work, 'notes.txt')), 'just some text\n');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('prints the manifest of a good file, with what was checked and how it relates to this version', async () => {
    const r = await run(files.good!);
    assert.equal(r.code, 0, r.messages);
    const manifest = JSON.parse(r.output) as { version: string; keyId: string; architecture: string };
    assert.equal(manifest.version, '1.0.0');
    assert.equal(manifest.keyId, keyIdOf(release.publicKey));
    assert.match(r.messages, /picamd 1\.0\.0 for arm64, signed 2026-12-07T01:00:00Z with key [0-9a-f]{16}; the bundle's hash holds; 3 entries/);
    assert.match(r.messages, /this picamd is 0\.9\.0: the update may replace it/);
  });

  it('refuses with the reason and exit 1, printing no manifest', async () => {
    const cases: [string, RegExp][] = [
      [files.stranger!, new RegExp(`signed with key ${keyIdOf(stranger.publicKey)}, which this device does not trust`)],
      [files.x64!, /picamd 1\.0\.0 is built for x64; this device is arm64/],
      [files.tampered!, /the bundle's SHA-256 is [0-9a-f]+, the signed manifest says/],
      [files.truncated!, /the file ends inside its manifest/],
      [files.text!, /not a picamd update file/],
      [files.escape!, /the bundle's contents: "picamd-0\.0\.1\/": outside the folder picamd-1\.0\.0\//],
      [join(work, 'absent.update'), /cannot read it \(ENOENT\)/],
    ];
    for (const [file, reason] of cases) {
      const r = await run(file);
      assert.equal(r.code, 1, file);
      assert.equal(r.output, '', file);
      assert.match(r.messages, new RegExp(`^picamd: ${file.replaceAll('.', '\\.')} is refused: (?:${reason.source})`), file);
    }
  });

  it('trusts the keys of --keys instead, and refuses everything when no key is trusted', async () => {
    const keys = join(work, 'other-keys');
    mkdirSync(keys);
    writeFileSync(join(keys, 'stranger.pem'), stranger.publicKey.export({ type: 'spki', format: 'pem' }));
    assert.equal((await run(files.stranger!, keys)).code, 0);
    assert.equal((await run(files.good!, keys)).code, 1);
    const empty = join(work, 'empty-keys');
    mkdirSync(empty);
    assert.match((await run(files.good!, empty)).messages, /is refused: no update key is trusted \(no \*\.pem in/);
  });

  it('--bundle-out: writes the checked bundle, and refuses the same, an older or a too old installed version', async () => {
    const copy = join(work, 'copy.tar.gz');
    const ok = await run(files.good!, undefined, copy);
    assert.equal(ok.code, 0, ok.messages);
    assert.ok(readFileSync(copy).equals(readFileSync(join(work, 'good.tar.gz'))), 'the copy is the bundle');
    rmSync(copy);
    const refusedWith = async (installedVersion: string, file: string, reason: RegExp) => {
      writeFileSync(join(installed, 'package.json'), JSON.stringify({ version: installedVersion }));
      try {
        const r = await run(file, undefined, copy);
        assert.equal(r.code, 1);
        assert.match(r.messages, reason);
        assert.equal(existsSync(copy), false, 'no copy is left');
        // Without --bundle-out it is only a note.
        assert.equal((await run(file)).code, 0);
      } finally {
        writeFileSync(join(installed, 'package.json'), '{"version":"0.9.0"}');
      }
    };
    await refusedWith('1.0.0', files.good!, /is refused: this picamd is 1\.0\.0: the update is the same version/);
    await refusedWith('1.2.0', files.good!, /is refused: this picamd is 1\.2\.0: the update is older \(a downgrade\)/);
    await refusedWith('0.0.9', files.good!, /is refused: this picamd is 0\.0\.9: the update replaces 0\.1\.0 and newer only/);
    const bad = await run(files.tampered!, undefined, copy);
    assert.equal(bad.code, 1);
    assert.equal(existsSync(copy), false);
  });

  it('--allow-downgrade: an older version once the owner confirmed it, never the same or a too old installed one', async () => {
    const copy = join(work, 'copy-downgrade.tar.gz');
    const as = async (installedVersion: string) => {
      writeFileSync(join(installed, 'package.json'), JSON.stringify({ version: installedVersion }));
      try {
        const r = await run(files.good!, undefined, copy, true);
        rmSync(copy, { force: true });
        return r;
      } finally {
        writeFileSync(join(installed, 'package.json'), '{"version":"0.9.0"}');
      }
    };
    const older = await as('1.2.0');
    assert.equal(older.code, 0, older.messages);
    assert.match(older.messages, /this picamd is 1\.2\.0: the update is older \(a downgrade\)/);
    assert.match((await as('1.0.0')).messages, /is refused: this picamd is 1\.0\.0: the update is the same version/);
    assert.match((await as('0.0.9')).messages, /is refused: this picamd is 0\.0\.9: the update replaces 0\.1\.0 and newer only/);
  });

  it('runs from main.js: exit 0 with the manifest, exit 1 with the reason', async () => {
    const native = await make('native', { architecture: process.arch });
    const keys = join(installed, 'keys');
    const ok = spawnSync(process.execPath, [join(repo, 'dist/main.js'), 'verify-update', native, '--keys', keys], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { architecture: string }).architecture, process.arch);
    const bad = spawnSync(process.execPath, [join(repo, 'dist/main.js'), 'verify-update', files.text!, '--keys', keys], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /is refused: not a picamd update file/);
    const usage = spawnSync(process.execPath, [join(repo, 'dist/main.js'), 'verify-update'], { encoding: 'utf8' });
    assert.equal(usage.status, 64);
  });
});
