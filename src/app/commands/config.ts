import { ConfigError, EX_CONFIG, loadConfigFile, resolveConfigPath } from '../../device/settings/load.js';
import type { Config } from '../../device/settings/schema.js';
import { checkTlsFiles } from '../../web/server/tls.js';
import { h264SettingProblems, type H264EncoderChoice } from '../../platform/board.js';

export type LoadedConfig = { ok: true; file: string; raw: Record<string, unknown>; config: Config } | { ok: false; exitCode: number };

/** The config file the command line, the environment or the packaged default names, checked whole. */
export function loadCommandConfig(
  configFile: string | undefined,
  env: NodeJS.ProcessEnv,
  packagedDefault: string,
  stderr: NodeJS.WritableStream,
  h264Encoder: H264EncoderChoice,
): LoadedConfig {
  const file = resolveConfigPath(configFile, env, packagedDefault);
  try {
    const { raw, config } = loadConfigFile(file);
    // Certificate files are part of the config: unreadable or mismatched ones stop picamd here.
    const tlsProblems = checkTlsFiles(config.server.tls);
    if (tlsProblems.length > 0) throw new ConfigError(file, tlsProblems);
    // What this board's rpicam-vid can encode is part of the config too (H.264 on a Pi 5 with rpicam-apps-lite).
    const codecProblems = h264SettingProblems(config.camera, h264Encoder);
    if (codecProblems.length > 0) throw new ConfigError(file, codecProblems);
    return { ok: true, file, raw, config };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    stderr.write(`picamd: invalid config ${file}\n${err.message}\n`);
    return { ok: false, exitCode: EX_CONFIG };
  }
}
