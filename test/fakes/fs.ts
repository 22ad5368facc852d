import * as fsp from 'node:fs/promises';
import { constants } from 'node:fs';
import type { SafeFs } from '../../src/platform/safe-file.js';

/** The steps of one atomic write, in order, as recordingFs names them. */
export const writeSteps = ['open temp', 'write', 'fsync', 'close', 'rename', 'open dir', 'fsync dir', 'close dir'] as const;
export type WriteStep = (typeof writeSteps)[number];

export interface RecordingFsOptions {
  /** The step that fails (its first occurrence, or the `nth`). */
  failAt?: string;
  nth?: number;
  /** The failing step's error code; EIO by default. */
  code?: string;
  /**
   * A power cut rather than an I/O error: from the failing step on, every operation fails, the
   * clean-up included, so whatever was on disk at that moment stays there.
   */
  powerCut?: boolean;
}

/**
 * The real file system, recording each step of writes (and each open for reading as `open read`),
 * with one step made to fail on demand.
 */
export function recordingFs(options: RecordingFsOptions = {}): { fs: SafeFs; steps: string[]; readonly failed: boolean } {
  const steps: string[] = [];
  let seen = 0;
  let dead = false;
  let failed = false;
  const step = (name: string) => {
    steps.push(name);
    if (dead) throw Object.assign(new Error(`${name} after the power cut`), { code: 'EIO' });
    if (name === options.failAt && ++seen === (options.nth ?? 1)) {
      failed = true;
      if (options.powerCut) dead = true;
      throw Object.assign(new Error(`${name} failed`), { code: options.code ?? 'EIO' });
    }
  };
  const fs: SafeFs = {
    async open(p, flags, mode) {
      const kind = flags & constants.O_DIRECTORY ? 'dir' : flags & constants.O_CREAT ? 'temp' : 'read';
      step(`open ${kind}`);
      const h = await fsp.open(p, flags, mode);
      const suffix = kind === 'dir' ? ' dir' : '';
      return {
        stat: () => h.stat(),
        read: (buffer, offset, length, position) => h.read(buffer, offset, length, position),
        async writeFile(data) {
          step('write');
          await h.writeFile(data);
        },
        async sync() {
          step(`fsync${suffix}`);
          await h.sync();
        },
        async close() {
          try {
            if (kind !== 'read') step(`close${suffix}`);
          } finally {
            // The descriptor is released even after a "power cut", so tests do not leak it.
            await h.close();
          }
        },
      };
    },
    async rename(a, b) {
      step('rename');
      await fsp.rename(a, b);
    },
    async mkdir(p, o) {
      step('mkdir');
      return fsp.mkdir(p, o);
    },
    async unlink(p) {
      step('unlink');
      await fsp.unlink(p);
    },
  };
  return {
    fs,
    steps,
    get failed() {
      return failed;
    },
  };
}
