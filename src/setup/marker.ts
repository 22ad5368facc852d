import { readRegularFileSync } from '../platform/safe-file.js';

// The small signal from picamd-setup.service to picamd: when applying picamd-setup.txt fails, the
// service writes its reasons to /run/picamd/setup-error (a tmpfs, so it is gone at the next boot,
// when the service checks the file again). picamd reads it once at start and blinks the
// setup-error pattern. A successful or empty apply removes the marker.

/** Where picamd-setup.service writes its reasons. Here, not in apply-setup.ts: picamd reads it at every start without loading the setup file's parser. */
export const SETUP_ERROR_MARKER = '/run/picamd/setup-error';

/** The failure reasons, or null when the last apply did not fail. Never throws. */
export function readSetupErrorMarker(path: string): string[] | null {
  const result = readRegularFileSync(path, 64 * 1024);
  if (!result.ok) return null;
  return result.data.toString('utf8').split('\n').filter((line) => line !== '');
}
