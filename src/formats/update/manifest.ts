// The manifest of an update file: what the signature vouches for. A JSON object with exactly these
// keys; anything else (a missing key, an unknown one, a value out of shape) is refused, so a file
// never means more than its signer wrote.
import { isVersion } from './version.js';

export interface UpdateManifest {
  /** The manifest's own layout; this module reads 1. */
  format: 1;
  /** The version the update installs (package.json's). */
  version: string;
  /** The CPU architecture of the bundle's native code, in Node's naming (`arm64`). */
  architecture: string;
  /** The lowest installed version this update may replace (older ones need an intermediate update). */
  replacesFrom: string;
  /** When it was signed, ISO 8601 in UTC. */
  date: string;
  /** The signing key's id (keyIdOf): which trusted key must verify the signature. */
  keyId: string;
  /** The bundle that follows the manifest in the file: its exact size and SHA-256. */
  bundle: { size: number; sha256: string };
}

const KEYS = ['format', 'version', 'architecture', 'replacesFrom', 'date', 'keyId', 'bundle'];
const BUNDLE_KEYS = ['size', 'sha256'];
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** Why a manifest is not acceptable; every problem, as `key: message`. */
export function manifestProblems(value: unknown): string[] {
  if (!isPlainObject(value)) return ['the manifest is not a JSON object'];
  const problems = exactKeys(value, KEYS, '');
  if (value.format !== 1) problems.push(`format: ${JSON.stringify(value.format)} is not 1`);
  for (const key of ['version', 'replacesFrom'] as const) {
    if (typeof value[key] !== 'string' || !isVersion(value[key])) problems.push(`${key}: not a version (MAJOR.MINOR.PATCH)`);
  }
  if (typeof value.architecture !== 'string' || !/^[a-z0-9_]{1,16}$/.test(value.architecture)) problems.push('architecture: not an architecture name');
  if (typeof value.date !== 'string' || !DATE.test(value.date) || Number.isNaN(Date.parse(value.date))) problems.push('date: not an ISO 8601 UTC time');
  if (typeof value.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(value.keyId)) problems.push('keyId: not 16 lowercase hex digits');
  const bundle = value.bundle;
  if (!isPlainObject(bundle)) {
    problems.push('bundle: not an object');
  } else {
    problems.push(...exactKeys(bundle, BUNDLE_KEYS, 'bundle.'));
    if (typeof bundle.size !== 'number' || !Number.isSafeInteger(bundle.size) || bundle.size < 1) problems.push('bundle.size: not a positive whole number');
    if (typeof bundle.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(bundle.sha256)) problems.push('bundle.sha256: not 64 lowercase hex digits');
  }
  return problems;
}

/** The manifest in the bytes, or the reasons it is not one. */
export function parseManifest(bytes: Uint8Array): { manifest: UpdateManifest } | { problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { problems: ['the manifest is not UTF-8 JSON'] };
  }
  const problems = manifestProblems(value);
  return problems.length > 0 ? { problems } : { manifest: value as UpdateManifest };
}

/** The manifest's bytes as the signer writes them: keys in a fixed order, no white space. */
export function serializeManifest(manifest: UpdateManifest): Uint8Array {
  const problems = manifestProblems(manifest);
  if (problems.length > 0) throw new Error(`invalid manifest: ${problems.join('; ')}`);
  const { format, version, architecture, replacesFrom, date, keyId, bundle } = manifest;
  const ordered = { format, version, architecture, replacesFrom, date, keyId, bundle: { size: bundle.size, sha256: bundle.sha256 } };
  return new TextEncoder().encode(JSON.stringify(ordered));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function exactKeys(value: Record<string, unknown>, keys: readonly string[], prefix: string): string[] {
  const problems = Object.keys(value).filter((k) => !keys.includes(k)).map((k) => `${prefix}${k}: unknown key`);
  for (const k of keys) if (!(k in value)) problems.push(`${prefix}${k}: missing`);
  return problems;
}
