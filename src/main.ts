#!/usr/bin/env node
// picamd: the command line turned into a command and the command's exit code. The appliance itself
// is built in src/app/appliance.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCli, UsageError, USAGE, type CliOptions } from './app/commands/cli.js';
import { loadCommandConfig } from './app/commands/config.js';
import { deviceModel, h264EncoderFor } from './platform/board.js';
import { readRpicamPackage } from './platform/rpicam-package.js';
import { loadOnoffPinFactory } from './integrations/gpio/pins.js';
import { createLogger } from './platform/log/logger.js';

// Each command's module is imported when that command runs: the appliance does not carry the setup
// file's parser, the updater's verifier or the GPIO test (about 0.1 MB of heap in the running
// process, measured: most of what they import the appliance loads anyway).

const EX_USAGE = 64;
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let cli: CliOptions;
  try {
    cli = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError && err.message) process.stderr.write(`picamd: ${err.message}\n\n`);
    process.stderr.write(`${USAGE}\n`);
    return err instanceof UsageError && !err.message ? 0 : EX_USAGE;
  }
  if (cli.command === 'hash-password') {
    const { runHashPassword } = await import('./app/commands/hash-password.js');
    return runHashPassword({ input: process.stdin, output: process.stdout, messages: process.stderr });
  }
  if (cli.command === 'apply-setup' || cli.command === 'reset-owner') return (await import('./app/commands/setup.js')).runSetupCommand(cli);
  if (cli.command === 'verify-update' || cli.command === 'update') return (await import('./app/commands/update.js')).runUpdateCommand(cli, packageRoot);

  // The board and its rpicam-apps package decide whether H.264 is possible (platform/board.ts).
  const h264Encoder = h264EncoderFor(deviceModel(), readRpicamPackage());
  const loaded = loadCommandConfig(cli.configFile, process.env, join(packageRoot, 'config', 'default.json'), process.stderr, h264Encoder);
  if (!loaded.ok) return loaded.exitCode;
  if (cli.command === 'check-config') {
    process.stdout.write(`${JSON.stringify(loaded.config, null, 2)}\n`);
    process.stderr.write(`picamd: ${loaded.file} is valid\n`);
    return 0;
  }
  const logger = createLogger(loaded.config.log.level);
  logger.info(`config: ${loaded.file}`);
  if (cli.command === 'gpio-test') return (await import('./app/commands/gpio-test.js')).runGpioTest({ config: loaded.config.gpio, loadPins: loadOnoffPinFactory, print: (line) => process.stdout.write(`${line}\n`) });
  const { runAppliance } = await import('./app/commands/run.js');
  return runAppliance({ raw: loaded.raw, config: loaded.config, logger, version: readVersion(), h264Encoder });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`picamd: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
