// Whether an update may replace the installed version: the manifest's lowest version it may replace
// always holds, the same version is pointless, and an older one (a downgrade) only when the owner
// confirmed it. One rule for the page's upload, `picamd verify-update` and the root updater's check.
import { compareVersions } from '../../formats/update/version.js';

export type ReplaceVerdict = 'upgrade' | 'downgrade' | 'same' | 'too-old' | 'incomparable';

export function replaceVerdict(installed: string, version: string, replacesFrom: string): ReplaceVerdict {
  try {
    if (compareVersions(installed, replacesFrom) < 0) return 'too-old';
    const order = compareVersions(version, installed);
    return order > 0 ? 'upgrade' : order === 0 ? 'same' : 'downgrade';
  } catch {
    return 'incomparable';
  }
}

/** Why an update may not replace `installed` ('' when it may; a downgrade only with `allowDowngrade`). */
export function replaceRefusal(installed: string, version: string, replacesFrom: string, allowDowngrade: boolean): string {
  switch (replaceVerdict(installed, version, replacesFrom)) {
    case 'upgrade':
      return '';
    case 'downgrade':
      return allowDowngrade ? '' : `picamd ${version} is older than the running ${installed} (a downgrade): confirm the downgrade to install it`;
    case 'same':
      return `picamd ${version} is already running`;
    case 'too-old':
      return `picamd ${version} replaces ${replacesFrom} and newer only; this camera runs ${installed} (install the versions between first)`;
    case 'incomparable':
      return `the versions ${installed} and ${version} cannot be compared`;
  }
}
