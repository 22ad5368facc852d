import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SCRYPT, hashPassword } from '../../src/device/accounts/password.js';
import { MAX_USERS, userNameSchema } from '../../src/device/accounts/rules.js';
import { MAX_ACCOUNTS_BYTES, parseAccountsText, serializeAccounts } from '../../src/device/accounts/store.js';
import { bindingOf, digestHa1For, parseDigestText, serializeDigest } from '../../src/device/accounts/digest.js';
import { settingsJsonSchema } from '../../src/device/settings/settable.js';
import { MAX_SETTINGS_BYTES, serializeSettings } from '../../src/device/settings/settings-file.js';

// Nothing picamd writes on the card grows by itself (docs/install.md#what-picamd-writes-on-the-card):
// each state file has a shape its schema bounds, and its largest possible text stays under the size
// picamd reads back (a larger file would lock the device out of its own state at the next start).

type Schema = Record<string, unknown>;

/** The largest value a JSON Schema node allows, or a problem when it allows any size. */
function largest(node: Schema, path: string, problems: string[]): unknown {
  const options = [
    ...(Array.isArray(node.anyOf) ? (node.anyOf as Schema[]) : []),
    ...(Array.isArray(node.type) ? (node.type as string[]).map((type) => ({ ...node, type })) : []),
  ];
  if (options.length > 0) {
    // The longest text among the choices.
    const values = options.filter((o) => o.type !== 'null').map((o) => largest(o, path, problems));
    return values.sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length)[0] ?? null;
  }
  if (Array.isArray(node.enum)) return (node.enum as unknown[]).sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length)[0];
  switch (node.type) {
    case 'string':
      if (typeof node.maxLength !== 'number') problems.push(`${path}: a string without maxLength`);
      // U+0001 is the longest character in JSON text: six bytes (\u0001).
      return '\u0001'.repeat(typeof node.maxLength === 'number' ? node.maxLength : 0);
    case 'integer':
    case 'number':
      return -Number.MAX_VALUE;
    case 'boolean':
      return false;
    case 'array':
      if (typeof node.maxItems !== 'number') problems.push(`${path}: an array without maxItems`);
      return Array.from({ length: typeof node.maxItems === 'number' ? node.maxItems : 1 }, () => largest(node.items as Schema, `${path}[]`, problems));
    case 'object': {
      if (node.additionalProperties !== false) problems.push(`${path}: an object that takes any key`);
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) out[key] = largest(child, `${path}.${key}`, problems);
      return out;
    }
    default:
      problems.push(`${path}: a value of no known size (${JSON.stringify(node).slice(0, 80)})`);
      return null;
  }
}

test('settings.json: every setting the page may save has a size bound, and the largest file is well under what picamd reads back', () => {
  const problems: string[] = [];
  const tree = largest(settingsJsonSchema(), 'settings', problems) as Record<string, unknown>;
  assert.deepEqual(problems, []);
  const bytes = Buffer.byteLength(serializeSettings(tree, new Date()));
  // settings.json.prev and a format copy are the same size; a quarter leaves room for new settings.
  assert.ok(bytes < MAX_SETTINGS_BYTES / 4, `${bytes} bytes against ${MAX_SETTINGS_BYTES}`);
});

test('accounts.json and accounts-digest.json: at most 16 users of the longest names stay under what picamd reads back', async () => {
  assert.equal(userNameSchema.safeParse('x'.repeat(65)).success, false, 'names are capped at 64 characters');
  // A three-byte character is the longest a name may hold (no control characters, and a quote is two bytes).
  const names = Array.from({ length: MAX_USERS }, (_, i) => `${'\u20ac'.repeat(62)}${String(i).padStart(2, '0')}`);
  const passwordHash = await hashPassword('p'.repeat(256), DEFAULT_SCRYPT);
  const accounts = serializeAccounts(names.map((name) => ({ name, passwordHash, role: 'owner' as const })), new Date());
  assert.equal(parseAccountsText(accounts).ok, true, 'a valid file');
  assert.ok(Buffer.byteLength(accounts) < MAX_ACCOUNTS_BYTES / 4, `${Buffer.byteLength(accounts)} bytes`);
  const digest = serializeDigest(names.map((name) => ({ name, ha1: digestHa1For(name, 'p'), boundTo: bindingOf(passwordHash) })), new Date());
  assert.equal(parseDigestText(digest).ok, true);
  assert.ok(Buffer.byteLength(digest) < MAX_ACCOUNTS_BYTES / 4, `${Buffer.byteLength(digest)} bytes`);
});
