import { parseArgs } from 'node:util';

export type Command = 'run' | 'check-config' | 'gpio-test' | 'hash-password' | 'apply-setup' | 'reset-owner' | 'verify-update' | 'update';

export interface CliOptions {
  command: Command;
  configFile: string | undefined;
  /** apply-setup, reset-owner: act on the system tree under this directory (tests, image builds); only when given. */
  root?: string;
  /** apply-setup: the setup file's path on the device; only when given. */
  setupFile?: string;
  /** verify-update: the update file. */
  file?: string;
  /** verify-update: the folder of trusted keys instead of the installed release's keys/; only when given. */
  keysDir?: string;
  /** verify-update: write the checked bundle here and refuse what this release may not be replaced by (the root helper's mode); only when given. */
  bundleOut?: string;
  /** verify-update --bundle-out: an older version is accepted too (the owner confirmed the downgrade). */
  allowDowngrade?: boolean;
}

export const USAGE = `Usage:
  picamd [--config FILE]                  run the camera appliance
  picamd --check-config [--config FILE]   validate a config file and print the effective config
  picamd gpio-test [--config FILE]        check the LED and privacy button wiring on a Raspberry Pi
  picamd hash-password                    read a password (stdin; asked twice without echo on a
                                          terminal) and print its hash for server.auth.users
  picamd apply-setup [--root DIR] [--setup-file PATH]
                                          apply picamd-setup.txt from the boot partition (Wi-Fi,
                                          host name, owner, time zone); run by picamd-setup.service
  picamd reset-owner [--config FILE] [--root DIR]
                                          forgot the owner password: remove the users so the page
                                          asks for a new owner, and switch privacy on (as root;
                                          then restart picamd)
  picamd verify-update FILE [--keys DIR] [--bundle-out COPY [--allow-downgrade]]
                                          check a signed update file (signature, hash, contents)
                                          and print its manifest, or why it is refused (exit 1);
                                          with --bundle-out (the installer's mode) also write the
                                          checked bundle to COPY and refuse the same, an older or a
                                          too old installed version (an older one too with
                                          --allow-downgrade, once the owner confirmed it)
  picamd update FILE                      install a signed update (as root): check it, hand it to
                                          the updater, follow its trial; exit 0 once it committed

Config lookup: --config, then $PICAMD_CONFIG, then /etc/picamd/config.json, then the packaged default.`;

/** Thrown for a command line picamd does not understand; main prints it with the usage. */
export class UsageError extends Error {}

export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' },
        'check-config': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        root: { type: 'string' },
        'setup-file': { type: 'string' },
        keys: { type: 'string' },
        'bundle-out': { type: 'string' },
        'allow-downgrade': { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new UsageError('');
  const sub = positionals[0];
  const takesFile = sub === 'verify-update' || sub === 'update';
  const arity = takesFile ? 2 : 1;
  if (positionals.length > arity) throw new UsageError(`unexpected argument: ${positionals[arity]}`);
  if (takesFile && positionals.length < 2) throw new UsageError(`${sub} needs the update file`);
  const commands = ['gpio-test', 'hash-password', 'apply-setup', 'reset-owner', 'verify-update', 'update'];
  if (sub !== undefined && !commands.includes(sub)) throw new UsageError(`unknown command: ${sub}`);
  if (sub && values['check-config']) throw new UsageError('--check-config does not go with a command');
  if (sub === 'hash-password' && values.config !== undefined) throw new UsageError('hash-password reads no config');
  if (sub === 'apply-setup' && values.config !== undefined) throw new UsageError('apply-setup reads no config');
  if (values.root !== undefined && sub !== 'apply-setup' && sub !== 'reset-owner') throw new UsageError('--root goes with apply-setup or reset-owner');
  if (values['setup-file'] !== undefined && sub !== 'apply-setup') throw new UsageError('--setup-file goes with apply-setup');
  if (values.keys !== undefined && !takesFile) throw new UsageError('--keys goes with verify-update or update');
  if (values['bundle-out'] !== undefined && sub !== 'verify-update') throw new UsageError('--bundle-out goes with verify-update');
  if (values['allow-downgrade'] && values['bundle-out'] === undefined) throw new UsageError('--allow-downgrade goes with verify-update --bundle-out');
  if (takesFile && values.config !== undefined) throw new UsageError(`${sub} reads no config`);
  const command: Command = values['check-config'] ? 'check-config' : (sub as Command | undefined) ?? 'run';
  const options: CliOptions = { command, configFile: values.config };
  if (values.root !== undefined) options.root = values.root;
  if (values['setup-file'] !== undefined) options.setupFile = values['setup-file'];
  if (takesFile) options.file = positionals[1]!;
  if (values.keys !== undefined) options.keysDir = values.keys;
  if (values['bundle-out'] !== undefined) options.bundleOut = values['bundle-out'];
  if (values['allow-downgrade']) options.allowDowngrade = true;
  return options;
}
