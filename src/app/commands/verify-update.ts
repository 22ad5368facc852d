// `picamd verify-update FILE [--keys DIR]`: checks an update file as the device will before it
// installs one (the signature with the trusted keys, the bundle's hash, then its listing) and prints
// the manifest, or the reason the file is refused (exit 1). Nothing is unpacked.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UpdateFileError } from '../../formats/update/container.js';
import { TarCheckError } from '../../formats/update/tar-check.js';
import { replaceVerdict } from '../../device/update/replace-rule.js';
import { loadKeysDir } from '../../device/update/keys-dir.js';
import { bundleRoot, UPDATE_LIMITS } from '../../device/update/limits.js';
import { checkBundleListing, verifyUpdateFile } from '../../device/update/verify-file.js';

export interface VerifyUpdateIo {
  /** The manifest, as JSON. */
  output: { write(text: string): unknown };
  /** What was checked, or why the file is refused. */
  messages: { write(text: string): unknown };
  /** The installed release (keys/ and package.json are read from here). */
  packageRoot: string;
  architecture: string;
}

export async function runVerifyUpdate(options: { file?: string; keysDir?: string; bundleOut?: string; allowDowngrade?: boolean }, io: VerifyUpdateIo): Promise<number> {
  const file = options.file!;
  const keysDir = options.keysDir ?? join(io.packageRoot, 'keys');
  const refuse = (reason: string) => {
    io.messages.write(`picamd: ${file} is refused: ${reason}\n`);
    return 1;
  };
  let keys;
  try {
    keys = loadKeysDir(keysDir);
  } catch (err) {
    return refuse((err as Error).message);
  }
  if (keys.size === 0) return refuse(`no update key is trusted (no *.pem in ${keysDir})`);
  const { bundleOut } = options;
  try {
    const readerOptions = { keys, architecture: io.architecture, maxBundleBytes: UPDATE_LIMITS.maxBundleBytes };
    const { manifest, bundleOffset } = await verifyUpdateFile(file, readerOptions, bundleOut);
    // The installer's mode lists its own copy: the bytes it will unpack, not a file picamd can still change.
    const listed = bundleOut ?? file;
    const entries = await checkBundleListing(listed, { root: bundleRoot(manifest.version), maxBytes: UPDATE_LIMITS.maxUnpackedBytes, maxEntries: UPDATE_LIMITS.maxEntries }, bundleOut ? 0 : bundleOffset);
    const unpacked = entries.reduce((sum, e) => sum + e.size, 0);
    const installed = installedVersion(io.packageRoot);
    const verdict = installed ? replaceVerdict(installed, manifest.version, manifest.replacesFrom) : undefined;
    const note = verdict && NOTES[verdict](manifest.replacesFrom);
    // A downgrade only when the owner confirmed it (the page's upload leaves request.allow-downgrade).
    if (bundleOut && verdict !== 'upgrade' && !(verdict === 'downgrade' && options.allowDowngrade)) {
      rmSync(bundleOut, { force: true });
      return refuse(`this picamd is ${installed ?? 'of an unknown version'}: ${note ?? 'nothing to compare with'}`);
    }
    io.output.write(`${JSON.stringify(manifest, null, 2)}\n`);
    io.messages.write(`picamd: ${file}: picamd ${manifest.version} for ${manifest.architecture}, signed ${manifest.date} with key ${manifest.keyId}; the bundle's hash holds; ${entries.length} entries, ${(unpacked / 1e6).toFixed(1)} MB unpacked\n`);
    if (note) io.messages.write(`picamd: this picamd is ${installed}: ${note}\n`);
    return 0;
  } catch (err) {
    if (bundleOut) rmSync(bundleOut, { force: true });
    if (err instanceof UpdateFileError) return refuse(err.message);
    if (err instanceof TarCheckError) return refuse(`the bundle's contents: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return refuse(`cannot read it (${code})`);
    if (code?.startsWith('Z_')) return refuse(`the bundle is not a valid gzip stream (${(err as Error).message})`);
    throw err;
  }
}

function installedVersion(packageRoot: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

const NOTES: Record<ReturnType<typeof replaceVerdict>, (replacesFrom: string) => string> = {
  upgrade: () => 'the update may replace it',
  same: () => 'the update is the same version',
  downgrade: () => 'the update is older (a downgrade)',
  'too-old': (replacesFrom) => `the update replaces ${replacesFrom} and newer only`,
  incomparable: () => 'its version cannot be compared',
};
