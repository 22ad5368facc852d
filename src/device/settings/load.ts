import { readFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { z } from 'zod';
import { cameraSettingFlags, codecFlags } from '../camera/argv.js';
import { configSchema, type Config } from './schema.js';

/** A config file that cannot be used; `problems` are `path: message` lines. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.map((p) => `${basename(file)}: ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** exit code for a bad config (EX_CONFIG from sysexits.h), so systemd and scripts can tell it apart. */
export const EX_CONFIG = 78;

export const SYSTEM_CONFIG = '/etc/picamd/config.json';

/**
 * Which file to read: --config, then $PICAMD_CONFIG, then /etc/picamd/config.json when it exists,
 * then the packaged default.
 */
export function resolveConfigPath(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  packagedDefault: string,
  exists: (path: string) => boolean = existsSync,
): string {
  if (flag) return flag;
  if (env.PICAMD_CONFIG) return env.PICAMD_CONFIG;
  if (exists(SYSTEM_CONFIG)) return SYSTEM_CONFIG;
  return packagedDefault;
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `must have at most ${issue.maximum} ${issue.origin === 'array' ? 'items' : 'characters'}`
        : `must be at most ${issue.maximum}`;
    case 'too_small':
      return issue.origin === 'array' || issue.origin === 'string'
        ? `must have at least ${issue.minimum} ${issue.origin === 'array' ? 'item(s)' : 'character(s)'}`
        : `must be at least ${issue.minimum}`;
    case 'invalid_type':
      if (issue.expected === 'int') return 'must be a whole number';
      return `must be ${issue.expected === 'array' || issue.expected === 'object' ? 'an' : 'a'} ${issue.expected}` +
        ` (got ${kindOf(issue.input)})`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'nothing';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Every problem with `raw`, as `path: message` lines; empty when it is valid. */
export function validateConfig(raw: unknown): { config?: Config; problems: string[] } {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (result.success) {
    const repeated = repeatedFlagProblems(result.data.camera);
    return repeated.length > 0 ? { problems: repeated } : { config: result.data, problems: [] };
  }
  const problems: string[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push(`${path ? `${path}.` : ''}${key}: unknown key`);
    } else {
      problems.push(`${path || '(top level)'}: ${describe(issue)}`);
    }
  }
  return { problems };
}

/** rpicam-vid refuses an option given twice, so camera.extraArgs must not repeat a flag a setting adds. */
function repeatedFlagProblems(camera: Config['camera']): string[] {
  const extra = new Set(camera.extraArgs.filter((arg) => arg.startsWith('-')).map((arg) => arg.split('=')[0]));
  return [...codecFlags(camera), ...cameraSettingFlags(camera)]
    .filter(({ flag }) => extra.has(flag))
    .map(({ key, flag }) => `camera.extraArgs: ${flag} is already given by camera.${key}; remove it from extraArgs`);
}

/**
 * Reads and validates a config file; throws ConfigError naming the file and every problem. `raw` is
 * the file's own JSON object (the administrator's base under the page's settings), `config` it with
 * every default.
 */
export function loadConfigFile(
  file: string,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): { raw: Record<string, unknown>; config: Config } {
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    throw new ConfigError(file, [`cannot read: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [`invalid JSON: ${(err as Error).message}`]);
  }
  const { config, problems } = validateConfig(raw);
  if (!config) throw new ConfigError(file, problems);
  return { raw: raw as Record<string, unknown>, config };
}

/** loadConfigFile's `config` alone. */
export function loadConfig(file: string, read?: (path: string) => string): Config {
  return loadConfigFile(file, read).config;
}
