import { readFileSync } from 'node:fs';
import type { RpicamPackage } from './board.js';

// Which rpicam-apps package is installed, from dpkg's status file: the full one has rpicam-vid's
// libav encoder, the lite one not (board.ts says why that matters on a Pi 5).

export const DPKG_STATUS = '/var/lib/dpkg/status';

/** Whether a stanza of dpkg's status file has the package installed ("<want> ok installed"). */
export function dpkgInstalled(status: string, name: string): boolean {
  return status.split(/\n\s*\n/).some((stanza) => {
    const field = (key: string) => new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec(stanza)?.[1]?.trim();
    return field('Package') === name && /^\S+ ok installed$/.test(field('Status') ?? '');
  });
}

/** rpicam-apps when it is installed (with or without the lite one), else rpicam-apps-lite, else null. */
export function rpicamPackageIn(status: string): RpicamPackage {
  if (dpkgInstalled(status, 'rpicam-apps')) return 'rpicam-apps';
  if (dpkgInstalled(status, 'rpicam-apps-lite')) return 'rpicam-apps-lite';
  return null;
}

/** The installed package, or null when dpkg's status cannot be read (not Debian, a source build). */
export function readRpicamPackage(read: () => string = () => readFileSync(DPKG_STATUS, 'utf8')): RpicamPackage {
  try {
    return rpicamPackageIn(read());
  } catch {
    return null;
  }
}
