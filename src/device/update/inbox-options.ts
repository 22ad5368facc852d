// Where the update inbox finds its folders on a device, and how tests point it elsewhere.
//   PICAMD_UPDATE_KEYS     the trusted keys (default: the running release's keys/)
//   PICAMD_UPDATE_STATUS   the root updater's status.json (default /var/lib/picamd-update/status.json)
//   PICAMD_INSTALL_ROOT    where `previous` is (default /opt/picamd)
// The upload goes to update/ in picamd's state directory (systemd's $STATE_DIRECTORY), or beside
// the settings file when picamd runs outside its unit.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UPDATE_STATUS_FILE } from './status-file.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export function updateInboxOptions(env: NodeJS.ProcessEnv, settingsFile: string) {
  const stateDir = env.STATE_DIRECTORY?.split(':')[0] || dirname(settingsFile);
  return {
    dir: join(stateDir, 'update'),
    keysDir: env.PICAMD_UPDATE_KEYS || join(PACKAGE_ROOT, 'keys'),
    statusFile: env.PICAMD_UPDATE_STATUS || UPDATE_STATUS_FILE,
    installRoot: env.PICAMD_INSTALL_ROOT || '/opt/picamd',
    architecture: process.arch,
  };
}
