// What a device accepts as an update. The arm64 bundle is about 30 MB compressed and 90 MB
// unpacked, most of it Node.js; the caps leave room for it to grow several times over while a
// wrong or hostile file is stopped long before it fills a small SD card.
export const UPDATE_LIMITS = {
  maxBundleBytes: 256 * 1024 * 1024,
  maxUnpackedBytes: 1024 * 1024 * 1024,
  maxEntries: 50_000,
};

/** The bundle's one top-level folder, as deploy/bundle.sh names it. */
export function bundleRoot(version: string): string {
  return `picamd-${version}`;
}
