import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { hashPassword } from '../../device/accounts/password.js';
import { ConfigError, EX_CONFIG, loadConfigFile, resolveConfigPath } from '../../device/settings/load.js';
import { createLogger } from '../../platform/log/logger.js';
import { escapeForLog } from '../../platform/log/escape.js';
import { applySetup, DEFAULT_SETUP_FILE, SETUP_ERROR_MARKER } from '../../setup/apply-setup.js';
import { DEFAULT_SETTINGS_FILE } from '../../setup/apply-setup.js';
import { resetOwner } from '../../setup/reset-owner.js';
import type { CliOptions } from './cli.js';

// `picamd apply-setup` (run by picamd-setup.service at boot) and `picamd reset-owner`.

const packagedDefault = fileURLToPath(new URL('../../../config/default.json', import.meta.url));

export interface SetupCommandIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

const realIo: SetupCommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  now: () => new Date(),
};

/** A best-effort command (iw, rfkill, hostname): its failure is reported, never thrown. */
function runCommand(argv: string[]): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 2000) stderr += chunk;
    });
    child.on('error', (err) => resolve({ ok: false, message: err.message }));
    child.on('close', (code) => resolve({ ok: code === 0, message: stderr.trim() || `exit code ${code}` }));
  });
}

export async function runSetupCommand(cli: CliOptions, io: SetupCommandIo = realIo): Promise<number> {
  const root = cli.root ?? '/';
  if (cli.command === 'apply-setup') {
    const outcome = await applySetup({
      root,
      setupFile: cli.setupFile ?? DEFAULT_SETUP_FILE,
      settingsFile: DEFAULT_SETTINGS_FILE,
      markerFile: SETUP_ERROR_MARKER,
      now: io.now,
      hashPassword: (password) => hashPassword(password),
      run: runCommand,
      log: io.err,
    });
    if (outcome.status === 'nothing') io.err('picamd-setup: nothing to apply');
    return outcome.status === 'failed' ? 1 : 0;
  }

  // reset-owner
  const file = resolveConfigPath(cli.configFile, io.env, packagedDefault);
  let loaded;
  try {
    loaded = loadConfigFile(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(`picamd: invalid config ${file}\n${err.message}`);
    return EX_CONFIG;
  }
  const { raw, config } = loaded;
  const settingsFile = join(root, config.settings.file);
  try {
    // Warnings and errors of the stores, on stderr.
    const logger = createLogger('warn', (_level, line) => io.err(line));
    const { removed } = await resetOwner({ settingsFile, privacyStateFile: join(root, config.privacy.stateFile), base: raw, now: io.now(), logger });
    io.out(removed.length > 0
      ? `picamd: removed the user(s) ${removed.map((n) => `"${escapeForLog(n, 64)}"`).join(', ')}; privacy is on.`
      : 'picamd: there were no users; privacy is on.');
  } catch (err) {
    io.err(`picamd: reset-owner failed: ${(err as Error).message}`);
    return 1;
  }
  if (config.server.auth) {
    io.err(`picamd: warning: ${file} itself lists users in server.auth (${config.server.auth.users.map((u) => u.name).join(', ')}); ` +
      'remove them there too, or they can still log in and the first-run screen does not return.');
  }
  io.out('Restart picamd (sudo systemctl restart picamd), open its page and choose the new owner; then switch privacy off.');
  return 0;
}
