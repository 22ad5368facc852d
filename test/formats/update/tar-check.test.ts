// The bundle's tar listing check: real archives from GNU tar (as deploy/bundle.sh makes them, in
// GNU and POSIX formats, with long names and links inside), and hand-made headers for everything a
// hostile or broken archive could hold.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, linkSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { TarCheckError, TarChecker, type TarCheckOptions, type TarEntry } from '../../../src/formats/update/tar-check.js';

const options: TarCheckOptions = { root: 'picamd-1.0.0', maxBytes: 1 << 20, maxEntries: 1000 };

interface Spec {
  name: string;
  type?: string;
  size?: number;
  mode?: number;
  link?: string;
  data?: Buffer;
  magic?: 'gnu' | 'ustar';
  prefix?: string;
}

/** One header block (and its data), written field by field as tar(5) describes them. */
function member(s: Spec): Buffer {
  const h = Buffer.alloc(512);
  const data = s.data ?? Buffer.alloc(s.size ?? 0);
  h.write(s.name, 0, 100, 'utf8');
  h.write(`${(s.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(`${(s.size ?? data.length).toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.write(s.type ?? '0', 156, 'latin1');
  h.write(s.link ?? '', 157, 100, 'utf8');
  h.write(s.magic === 'ustar' ? 'ustar\x0000' : 'ustar  \0', 257, 'latin1');
  if (s.prefix) h.write(s.prefix, 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad]);
}

function archive(...members: Spec[]): Buffer {
  return Buffer.concat([...members.map(member), Buffer.alloc(1024)]);
}

const dir = (name: string): Spec => ({ name: `${name}/`, type: '5', mode: 0o755 });
const file = (name: string, text = 'x'): Spec => ({ name, data: Buffer.from(text) });

function check(tar: Buffer, cuts: number[] = [], o: TarCheckOptions = options): TarEntry[] | string {
  const checker = new TarChecker(o);
  let at = 0;
  try {
    for (const cut of [...cuts.filter((c) => c > 0 && c < tar.length).sort((a, b) => a - b), tar.length]) {
      checker.push(tar.subarray(at, cut));
      at = cut;
    }
    return checker.end();
  } catch (err) {
    if (err instanceof TarCheckError) return err.message;
    throw err;
  }
}

function refused(tar: Buffer, pattern: RegExp): void {
  const got = check(tar);
  assert.equal(typeof got, 'string', 'accepted');
  assert.match(got as string, pattern);
}

describe('bundle tar check: hand-made archives', () => {
  const R = 'picamd-1.0.0';
  const base = [dir(R), dir(`${R}/dist`), file(`${R}/dist/main.js`, 'console.log(1)\n')];

  it('accepts folders, files and links that stay inside, split at any offset', () => {
    const tar = archive(...base, { name: `${R}/node_modules/.bin/x`, type: '2', link: '../pkg/x.js' }, { name: `${R}/dist/again.js`, type: '1', link: `${R}/dist/main.js` });
    const entries = check(tar);
    assert.ok(Array.isArray(entries), String(entries));
    assert.deepEqual(entries.map((e) => [e.path, e.type]), [
      [R, 'directory'], [`${R}/dist`, 'directory'], [`${R}/dist/main.js`, 'file'], [`${R}/node_modules/.bin/x`, 'symlink'], [`${R}/dist/again.js`, 'hardlink'],
    ]);
    fc.assert(fc.property(fc.array(fc.nat({ max: tar.length }), { maxLength: 8 }), (cuts) => assert.deepEqual(check(tar, cuts), entries)));
  });

  it('refuses path traversal and absolute paths', () => {
    refused(archive(...base, file(`${R}/../evil`)), /not a plain relative path/);
    refused(archive(...base, file(`${R}/dist/../../evil`)), /not a plain relative path/);
    refused(archive(...base, file('/etc/passwd')), /an absolute path/);
    refused(archive(...base, file(`${R}//x`)), /not a plain relative path/);
    refused(archive(...base, file(`${R}/./x`)), /not a plain relative path/);
    refused(archive(...base, file('elsewhere/x')), /outside the folder picamd-1\.0\.0\//);
    refused(archive(...base, { name: 'x', prefix: `${R}/../..`, magic: 'ustar', data: Buffer.from('x') }), /not a plain relative path/);
  });

  it('refuses links that point out, and entries written through a link', () => {
    refused(archive(...base, { name: `${R}/etc`, type: '2', link: '/etc' }), /a link to the absolute path \/etc/);
    refused(archive(...base, { name: `${R}/up`, type: '2', link: '..' }), /a link to \.\., outside/);
    refused(archive(...base, { name: `${R}/dist/up`, type: '2', link: '../../x' }), /outside/);
    refused(archive(...base, { name: `${R}/dist/ok`, type: '2', link: '.' }, file(`${R}/dist/ok/x`)), /goes through picamd-1\.0\.0\/dist\/ok, which is a symlink/);
    refused(archive(...base, { name: `${R}/hard`, type: '1', link: 'etc/shadow' }), /outside the folder/);
    refused(archive(...base, { name: `${R}/hard`, type: '1', link: `${R}/dist/later.js` }), /not a file listed before it/);
    refused(archive(...base, { name: `${R}/hard`, type: '1', link: `${R}/../../etc/shadow` }), /not a plain relative path/);
    refused(archive(...base, { name: `${R}/empty`, type: '2', link: '' }), /a link to nothing/);
  });

  it('refuses devices, FIFOs, other entry types, set-id bits and anyone-writable files', () => {
    refused(archive(...base, { name: `${R}/tty`, type: '3' }), /a device file/);
    refused(archive(...base, { name: `${R}/sda`, type: '4' }), /a device file/);
    refused(archive(...base, { name: `${R}/fifo`, type: '6' }), /a FIFO/);
    refused(archive(...base, { name: `${R}/g`, type: 'g' }), /of type "g"/);
    refused(archive(...base, { ...file(`${R}/suid`), mode: 0o4755 }), /set-user-ID/);
    refused(archive(...base, { ...file(`${R}/w`), mode: 0o666 }), /writable by anyone/);
  });

  it('refuses the same path twice, and a link where an earlier entry made a folder', () => {
    refused(archive(...base, file(`${R}/dist/main.js`, 'again')), /appears twice/);
    refused(archive(file(`${R}/a/b`), { name: `${R}/a`, type: '2', link: '.' }), /a symlink where an earlier entry put a folder/);
    assert.ok(Array.isArray(check(archive(file(`${R}/a/b`), dir(`${R}/a`), dir(R)))));
  });

  it('applies GNU long names and pax paths as tar does', () => {
    const long = `${R}/${'n'.repeat(150)}/file.js`;
    const gnuLong = (name: string): Spec => ({ name: '././@LongLink', type: 'L', data: Buffer.from(`${name}\0`) });
    assert.ok(Array.isArray(check(archive(...base, gnuLong(long), file(long.slice(0, 99))))));
    refused(archive(...base, gnuLong(`${R}/../../etc/cron.d/x`), file(`${R}/harmless`)), /not a plain relative path/);
    const pax = (records: Record<string, string>): Spec => {
      const body = Object.entries(records).map(([k, v]) => {
        const rest = ` ${k}=${v}\n`;
        let n = rest.length + 1;
        while (`${n}${rest}`.length !== n) n++;
        return `${n}${rest}`;
      }).join('');
      return { name: 'PaxHeaders/x', type: 'x', data: Buffer.from(body) };
    };
    refused(archive(...base, pax({ path: '/etc/passwd' }), file(`${R}/harmless`)), /an absolute path/);
    refused(archive(...base, pax({ linkpath: '/' }), { name: `${R}/l`, type: '2', link: 'ok' }), /absolute path \//);
    // A pax size overrides the header's, exactly as tar reads it: the data is skipped by that size.
    const sized = archive(...base, pax({ size: '600' }), { name: `${R}/big`, size: 0, data: Buffer.alloc(600, 0x61) }, file(`${R}/after`));
    const entries = check(sized);
    assert.ok(Array.isArray(entries), String(entries));
    assert.deepEqual(entries.slice(-2).map((e) => [e.path, e.size]), [[`${R}/big`, 600], [`${R}/after`, 1]]);
    refused(archive(...base, pax({ 'GNU.sparse.map': '0,1' }), file(`${R}/s`)), /sparse/);
  });

  it('refuses damaged, truncated, trailing and oversized archives', () => {
    const good = archive(...base);
    const damaged = Buffer.from(good);
    damaged[600]! ^= 1;
    refused(damaged, /damaged header \(checksum\)/);
    for (const length of [0, 100, 512, 1024, good.length - 512]) refused(good.subarray(0, length), /cut short|empty/);
    refused(Buffer.concat([good, Buffer.from('junk')]), /data after the end/);
    assert.ok(Array.isArray(check(Buffer.concat([good, Buffer.alloc(8192)]))), 'zero padding to the record size is fine');
    assert.match(String(check(archive(...base, file(`${R}/big`, 'y'.repeat(100))), [], { ...options, maxBytes: 100 })), /more than 100 bytes unpacked/);
    assert.match(String(check(archive(...base), [], { ...options, maxEntries: 2 })), /more than 2 entries/);
    refused(archive(...base, { ...dir(`${R}/d`), size: 10, data: Buffer.alloc(10) }), /a directory with 10 bytes of data/);
    refused(archive(dir('picamd-1.0.0')).subarray(0, 1024), /cut short/);
    assert.match(String(check(Buffer.alloc(1024))), /empty/);
  });
});

describe('bundle tar check: archives from GNU tar', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'picamd-tarcheck-'));
    const R = join(work, 'picamd-1.0.0');
    const deep = join(R, 'node_modules', 'a'.repeat(60), 'b'.repeat(60), 'lib');
    mkdirSync(join(R, 'node_modules/.bin'), { recursive: true });
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'index.js'), 'module.exports = 1;\n');
    chmodSync(join(deep, 'index.js'), 0o755);
    symlinkSync(`../${'a'.repeat(60)}/${'b'.repeat(60)}/lib/index.js`, join(R, 'node_modules/.bin/tool'));
    writeFileSync(join(R, 'one'), 'same\n');
    linkSync(join(R, 'one'), join(R, 'two'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const format of ['gnu', 'posix']) {
    it(`accepts a ${format} archive with long names, a symlink and a hard link inside`, () => {
      const r = spawnSync('tar', [`--format=${format}`, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mode=u+rwX,go+rX,go-w', '-C', work, '-cf', '-', 'picamd-1.0.0'], { maxBuffer: 1 << 24 });
      assert.equal(r.status, 0, String(r.stderr));
      const entries = check(r.stdout);
      assert.ok(Array.isArray(entries), String(entries));
      const byPath = new Map(entries.map((e) => [e.path, e]));
      assert.equal(byPath.get('picamd-1.0.0/node_modules/.bin/tool')?.type, 'symlink');
      assert.equal(byPath.get('picamd-1.0.0/two')?.type, 'hardlink');
      assert.ok(entries.some((e) => e.path.endsWith('/lib/index.js') && e.path.length > 100 && e.type === 'file'));
    });
  }

  it('refuses a GNU tar archive whose member names climb out (tar -P keeps them)', () => {
    writeFileSync(join(work, 'outside'), 'x');
    const r = spawnSync('tar', ['-P', '-C', work, '-cf', '-', 'picamd-1.0.0/one', 'picamd-1.0.0/../outside'], { maxBuffer: 1 << 24 });
    assert.equal(r.status, 0, String(r.stderr));
    assert.match(String(check(r.stdout)), /not a plain relative path/);
  });
});
