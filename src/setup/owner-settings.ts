import { z } from 'zod';

// The owner account in picamd's settings file (/var/lib/picamd/settings.json):
//   {"format": 1, "savedAt": "<ISO time>", "settings": <deep-partial config tree>}
// with the users at settings.server.auth.users and open viewing at settings.server.openViewing.
// Pure: the current document's text in, the new text out. Everything else in the document is kept
// as it is; validating the whole tree is the settings store's job when picamd reads it.

export const DEFAULT_SETTINGS_FILE = '/var/lib/picamd/settings.json';
export const SETTINGS_FORMAT = 1;

/** The settings file a config names (settings.file, once the schema has it), else the default. */
export function settingsFileOf(config: object): string {
  const settings = 'settings' in config ? config.settings : undefined;
  const file = typeof settings === 'object' && settings !== null && 'file' in settings ? settings.file : undefined;
  return typeof file === 'string' ? file : DEFAULT_SETTINGS_FILE;
}

/** The envelope only; the settings tree is kept as an opaque object. */
const documentSchema = z.looseObject({
  format: z.literal(SETTINGS_FORMAT),
  savedAt: z.string().optional(),
  settings: z.record(z.string(), z.unknown()),
});

type Tree = Record<string, unknown>;

export type SettingsText = { ok: true; settings: Tree } | { ok: false; reason: string };

/** Reads the document; a missing file (null) is an empty tree. */
export function readSettingsText(text: string | null): SettingsText {
  if (text === null) return { ok: true, settings: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: text.trim() === '' ? 'the file is empty' : 'it is not valid JSON' };
  }
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `it is not a format ${SETTINGS_FORMAT} settings file (${parsed.error.issues[0]?.message ?? 'invalid'})` };
  return { ok: true, settings: parsed.data.settings };
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(tree: Tree, key: string): Tree {
  const value = tree[key];
  return isTree(value) ? { ...value } : {};
}

export function settingsText(settings: Tree, savedAt: string): string {
  return `${JSON.stringify({ format: SETTINGS_FORMAT, savedAt, settings }, null, 2)}\n`;
}

export interface UserEntry {
  name: string;
  passwordHash: string;
}

function usersOf(settings: Tree): unknown[] {
  const users = child(child(settings, 'server'), 'auth').users;
  return Array.isArray(users) ? users : [];
}

/**
 * Sets the owner: a user of that name gets the new password hash, else the user is added. Other
 * users stay. Open viewing is left as it is.
 */
export function withOwner(settings: Tree, owner: UserEntry): Tree {
  const server = child(settings, 'server');
  const auth = child(server, 'auth');
  const users = usersOf(settings).filter((u) => !(isTree(u) && u.name === owner.name));
  auth.users = [...users, { name: owner.name, passwordHash: owner.passwordHash }];
  server.auth = auth;
  return { ...settings, server };
}

/**
 * The device back to "not set up": no users, open viewing off, so picamd shows its first-run
 * screen (every other route answers 503 until someone claims it). Other settings stay.
 */
export function withoutOwner(settings: Tree): Tree {
  const server = child(settings, 'server');
  delete server.auth;
  server.openViewing = false;
  return { ...settings, server };
}

export function userNames(settings: Tree): string[] {
  return usersOf(settings).flatMap((u) => (isTree(u) && typeof u.name === 'string' ? [u.name] : []));
}
