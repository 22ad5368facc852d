import { readFileSync, realpathSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errorText } from '../errors.js';
import type { Now } from '../clock.js';
import { mountOf, parseMountinfo } from './mountinfo.js';
import { storageState, type StorageReading, type StorageState } from './storage-state.js';

// The card that holds picamd's state directory (settings, accounts, privacy), for /api/status,
// /metrics and MQTT: free and total space from statfs(2), read-only from the mount's flags in
// /proc/self/mountinfo (Node's statfs leaves out f_flags).
//
// Read only when someone asks, never on a timer (a Pi Zero sleeps while nobody looks), at most once
// per `maxAgeMs`: one statfs and one small file read. Anything that cannot be read is `unknown`,
// never an error in the status.

export interface StorageStatus {
  state: StorageState;
  /** Bytes picamd may still write (statfs's f_bavail); null when unknown. */
  freeBytes: number | null;
  totalBytes: number | null;
}

export interface StorageReaderOptions {
  /** picamd's state directory; it need not exist yet (its nearest existing parent is read then). */
  path: string;
  now: Now;
  maxAgeMs: number;
  statfs: (path: string) => { bsize: number; blocks: number; bavail: number; files: number; ffree: number };
  mountinfo: () => string;
  realpath: (path: string) => string;
  log: (line: string) => void;
}

/** A device's options: the real statfs and /proc/self/mountinfo, unless PICAMD_MOUNTINFO names a stand-in (tests). */
export function storageReaderOptions(path: string, env: NodeJS.ProcessEnv, now: Now, log: (line: string) => void): StorageReaderOptions {
  const mountinfo = env.PICAMD_MOUNTINFO || '/proc/self/mountinfo';
  return {
    path,
    now,
    maxAgeMs: 5_000,
    statfs: (p) => statfsSync(p),
    mountinfo: () => readFileSync(mountinfo, 'utf8'),
    realpath: (p) => realpathSync(p),
    log,
  };
}

const UNKNOWN: StorageStatus = { state: 'unknown', freeBytes: null, totalBytes: null };

export class StorageReader {
  private reading: { at: number; value: StorageStatus } | undefined;
  private lastFailure = '';

  constructor(private readonly options: StorageReaderOptions) {}

  /** The card now, from a reading at most maxAgeMs old. */
  current(): StorageStatus {
    const now = this.options.now();
    if (!this.reading || now - this.reading.at >= this.options.maxAgeMs) this.reading = { at: now, value: this.read() };
    return this.reading.value;
  }

  private read(): StorageStatus {
    try {
      const reading = this.measure();
      this.lastFailure = '';
      return { state: storageState(reading), freeBytes: reading.availableBytes, totalBytes: reading.totalBytes };
    } catch (err) {
      const why = errorText(err);
      // Once per distinct failure: a page open all day must not fill the journal.
      if (why !== this.lastFailure) this.options.log(`the card's state cannot be read (${why})`);
      this.lastFailure = why;
      return UNKNOWN;
    }
  }

  private measure(): StorageReading {
    const path = this.existing(resolve(this.options.path));
    const fs = this.options.statfs(path);
    const mount = mountOf(parseMountinfo(this.options.mountinfo()), path);
    if (!mount) throw new Error(`no mount holds ${path}`);
    return {
      availableBytes: fs.bavail * fs.bsize,
      totalBytes: fs.blocks * fs.bsize,
      freeFiles: fs.ffree,
      totalFiles: fs.files,
      readOnly: mount.readOnly,
    };
  }

  /** The path resolved, or its nearest existing parent's (a state directory not made yet lives there). */
  private existing(path: string): string {
    for (let p = path; ; p = dirname(p)) {
      try {
        return this.options.realpath(p);
      } catch (err) {
        if (p === dirname(p)) throw err;
      }
    }
  }
}
