// Release versions as picamd's package.json has them (semver: MAJOR.MINOR.PATCH with an optional
// -prerelease), compared by semver's precedence rules. The update manifest names its own version
// and the lowest installed version it may replace; the device compares both with its own.

const VERSION = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** True for a version this module can compare (no build metadata: it would not order anything). */
export function isVersion(text: string): boolean {
  return text.length <= 64 && VERSION.test(text);
}

/** Negative when a < b, 0 when equal, positive when a > b. Throws for a string that is not a version. */
export function compareVersions(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = pa.core[i]! - pb.core[i]!;
    if (d !== 0) return Math.sign(d);
  }
  // A prerelease comes before its release: 1.0.0-rc.1 < 1.0.0.
  if (pa.pre.length === 0 || pb.pre.length === 0) return Math.sign(pb.pre.length - pa.pre.length);
  for (let i = 0; i < Math.min(pa.pre.length, pb.pre.length); i++) {
    const d = compareIdentifier(pa.pre[i]!, pb.pre[i]!);
    if (d !== 0) return d;
  }
  return Math.sign(pa.pre.length - pb.pre.length);
}

function parse(text: string): { core: number[]; pre: string[] } {
  const m = isVersion(text) ? VERSION.exec(text) : null;
  if (!m) throw new Error(`not a version: ${JSON.stringify(text)}`);
  return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.') : [] };
}

/** Numeric identifiers compare as numbers and come before alphanumeric ones. */
function compareIdentifier(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Math.sign(Number(a) - Number(b)) || Math.sign(a.length - b.length);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
