// The signing half of deploy/bundle.sh, on the application's own update format (dist/device/update/sign-file.js):
//   node deploy/sign-update.mjs public-key DIST KEYFILE
//       prints the key id on the first line, then the public key in PEM (for the bundle's keys/)
//   node deploy/sign-update.mjs sign DIST KEYFILE BUNDLE OUT VERSION REPLACES_FROM DATE [ARCH]
//       writes OUT, the update file of BUNDLE (for ARCH, default arm64: the release bundle's), and
//       prints its manifest
// DIST is a built dist/ (bundle.sh's scratch build). KEYFILE: an Ed25519 private key in PEM.
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [command, dist, keyFile, ...rest] = process.argv.slice(2);
if (!dist || !keyFile || !['public-key', 'sign'].includes(command ?? '')) {
  process.stderr.write('usage: sign-update.mjs public-key DIST KEYFILE | sign DIST KEYFILE BUNDLE OUT VERSION REPLACES_FROM DATE [ARCH]\n');
  process.exit(2);
}
const keys = await import(pathToFileURL(join(dist, 'formats/update/keys.js')).href);
let privateKey;
try {
  privateKey = keys.privateKeyFromPem(readFileSync(keyFile, 'utf8'));
} catch (err) {
  process.stderr.write(`sign-update: ${keyFile}: ${err.message}\n`);
  process.exit(1);
}
if (command === 'public-key') {
  process.stdout.write(`${keys.keyIdOf(privateKey)}\n${createPublicKey(privateKey).export({ type: 'spki', format: 'pem' })}`);
} else {
  const [bundle, out, version, replacesFrom, date, architecture = 'arm64'] = rest;
  const { signUpdateFile } = await import(pathToFileURL(join(dist, 'device/update/sign-file.js')).href);
  const manifest = await signUpdateFile({ bundle, out, privateKey, version, replacesFrom, architecture, date });
  process.stdout.write(`${JSON.stringify(manifest)}\n`);
}
