import { passwordFileForItsBroker } from './broker-secret.js';
import { validateConfig } from './load.js';
import type { Config } from './schema.js';
import { keyProblems } from './settable.js';
import { deepMerge, isPlainObject, type Tree } from './tree.js';
import { readFormat, type DowngradeStep, type FormatSteps, type MigrationStep } from '../../formats/stored-format.js';

// The settings file (settings.json and its previous good copy settings.json.prev):
//   {"format": 1, "savedAt": "<ISO time>", "settings": <deep-partial config tree>}
// The tree holds only settable keys (files of older versions also server.auth, the users, which the
// accounts store takes over once); it is validated merged over the config file, against the same
// schema, so it can never hold what the config file could not.

export const SETTINGS_FORMAT = 1;
/**
 * The migration steps, oldest first: SETTINGS_MIGRATIONS[n] turns format n into n + 1. A release
 * that changes the file's shape raises SETTINGS_FORMAT and adds its step here.
 */
export const SETTINGS_MIGRATIONS: Readonly<Record<number, MigrationStep>> = {};
/**
 * The steps back, for the copies older releases read after a rollback (format-copies.ts):
 * SETTINGS_DOWNGRADES[n] turns format n + 1 into n, carrying open viewing always.
 */
export const SETTINGS_DOWNGRADES: Readonly<Record<number, DowngradeStep>> = {};
export const SETTINGS_FORMATS: FormatSteps = { current: SETTINGS_FORMAT, up: SETTINGS_MIGRATIONS, down: SETTINGS_DOWNGRADES };
/** Every setting (and an older version's 16 users) fit in a few kilobytes; a larger file is not ours. */
export const MAX_SETTINGS_BYTES = 256 * 1024;
/** Not settable from the page: the users an older version kept in the settings file (read, never written). */
export const ACCOUNT_PATHS = ['server.auth'] as const;

export function serializeSettings(settings: Tree, now: Date, format = SETTINGS_FORMAT): string {
  return `${JSON.stringify({ format, savedAt: now.toISOString(), settings }, null, 2)}\n`;
}

/**
 * The settings tree of a settings document (the file, or an import body): `{format: 1, savedAt?,
 * settings: {...}}` and nothing else. Values are not checked here.
 */
export function parseSettingsDocument(
  input: unknown,
  migrations: Readonly<Record<number, MigrationStep>> = SETTINGS_MIGRATIONS,
  current = SETTINGS_FORMAT,
): { ok: true; settings: Tree } | { ok: false; problems: string[]; newer?: boolean } {
  if (!isPlainObject(input)) return { ok: false, problems: ['(top level): must be an object with format and settings'] };
  const read = readFormat(input, current, migrations, 'settings');
  if (!read.ok) return { ok: false, problems: [read.reason], ...(read.newer ? { newer: true } : {}) };
  const json = read.doc;
  const problems: string[] = [];
  for (const key of Object.keys(json)) {
    if (!['format', 'savedAt', 'settings'].includes(key)) problems.push(`${key}: unknown key`);
  }
  if (json.savedAt !== undefined && typeof json.savedAt !== 'string') problems.push('savedAt: must be a string');
  if (!isPlainObject(json.settings)) problems.push('settings: must be an object');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, settings: json.settings as Tree };
}

/** Parses the text of settings.json (or .prev); a reason when it is not a settings document. */
export function parseSettingsText(text: string, formats: FormatSteps = SETTINGS_FORMATS): { ok: true; settings: Tree } | { ok: false; problems: string[]; newer?: boolean } {
  if (text.trim() === '') return { ok: false, problems: ['the file is empty'] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`not valid JSON (${(err as Error).message})`] };
  }
  return parseSettingsDocument(json, formats.up, formats.current);
}

/**
 * The effective config for a settings layer over the config file: every problem as `path: message`
 * (keys outside the settable tree first, then the merged config's). `allowAccounts` takes
 * server.auth, which only an older version's settings file holds (read to hand its users over).
 */
export function resolveSettings(
  base: Tree,
  layer: Tree,
  options: { allowAccounts: boolean },
): { ok: true; config: Config } | { ok: false; problems: string[] } {
  const keys = keyProblems(layer, options.allowAccounts ? ACCOUNT_PATHS : []);
  if (keys.length > 0) return { ok: false, problems: keys };
  const { config, problems } = validateConfig(passwordFileForItsBroker(base, deepMerge(base, layer) as Tree));
  return config ? { ok: true, config } : { ok: false, problems };
}
