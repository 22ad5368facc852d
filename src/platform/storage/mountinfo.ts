// /proc/self/mountinfo (proc(5)): which mount holds a path, and whether writes to it are refused.
// Pure: the text comes in as a parameter.
//
// A line: `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`: mount
// id, parent id, major:minor, root, mount point, the mount's own options, optional fields up to a
// lone `-`, then the file system type, the source and the super block's options. Both option lists
// count: `mount -o remount,ro /` sets both, but the kernel's errors=remount-ro (ext4 after an I/O
// error) sets only the super block's, and under systemd's ProtectSystem= picamd sees its state
// directory as a bind mount of its own whose options stay `rw` while the card under it is `ro`.

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
  /** The mount's or its super block's options say `ro`. */
  readOnly: boolean;
}

/** Spaces, tabs, newlines and backslashes in paths are written as octal escapes (`\040`). */
export function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Every well-formed line, in the kernel's order (a later mount on the same point covers an earlier one). */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0 || dash + 3 >= fields.length) continue;
    const mountOptions = fields[5]!.split(',');
    const superOptions = fields[dash + 3]!.split(',');
    entries.push({
      mountPoint: unescapeMountPath(fields[4]!),
      fsType: fields[dash + 1]!,
      source: unescapeMountPath(fields[dash + 2]!),
      readOnly: mountOptions.includes('ro') || superOptions.includes('ro'),
    });
  }
  return entries;
}

/** `path` is at or below `mountPoint` (whole path components: /var/lib is not under /var/l). */
function isUnder(path: string, mountPoint: string): boolean {
  if (mountPoint === '/') return path.startsWith('/');
  return path === mountPoint || path.startsWith(`${mountPoint}/`);
}

/**
 * The mount that holds an absolute, resolved path: the longest mount point above it, the last one
 * listed when several share that point (the one on top). Undefined when none does.
 */
export function mountOf(entries: readonly MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const entry of entries) {
    if (!isUnder(path, entry.mountPoint)) continue;
    if (!best || entry.mountPoint.length >= best.mountPoint.length) best = entry;
  }
  return best;
}
