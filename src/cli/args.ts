import { parseArgs } from 'node:util';

export type Command = 'run' | 'check-config' | 'gpio-test' | 'hash-password';

export interface CliOptions {
  command: Command;
  configFile: string | undefined;
}

export const USAGE = `Usage:
  picamd [--config FILE]                  run the camera appliance
  picamd --check-config [--config FILE]   validate a config file and print the effective config
  picamd gpio-test [--config FILE]        check the LED and privacy button wiring on a Raspberry Pi
  picamd hash-password                    read a password (stdin; asked twice without echo on a
                                          terminal) and print its hash for server.auth.users

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
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new UsageError('');
  if (positionals.length > 1) throw new UsageError(`unexpected argument: ${positionals[1]}`);
  const sub = positionals[0];
  if (sub !== undefined && sub !== 'gpio-test' && sub !== 'hash-password') throw new UsageError(`unknown command: ${sub}`);
  if (sub && values['check-config']) throw new UsageError('--check-config does not go with a command');
  if (sub === 'hash-password' && values.config !== undefined) throw new UsageError('hash-password reads no config');
  const command: Command = values['check-config'] ? 'check-config' : (sub as Command | undefined) ?? 'run';
  return { command, configFile: values.config };
}
