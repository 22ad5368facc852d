import { readRegularFile, writeFileAtomic, type SafeFs } from '../../platform/safe-file.js';
import { z } from 'zod';

// The privacy state on disk, so a device switched to private stays private after a power cut.

export const privacySources = ['button', 'switch', 'api', 'mqtt', 'boot'] as const;
export type PrivacySource = (typeof privacySources)[number];

export interface PrivacyState {
  enabled: boolean;
  /** Who set the current state; `boot` when it came from the state file or `privacy.startPaused`. */
  source: PrivacySource;
  /** ISO 8601 time the current state began. */
  since: string;
}

// Not strict: a file written by a newer version with extra keys still reads.
const fileSchema = z.object({
  enabled: z.boolean(),
  source: z.enum(privacySources),
  since: z.iso.datetime({ offset: true }),
});

export type LoadResult =
  | { kind: 'missing' }
  | { kind: 'ok'; state: PrivacyState }
  /** Unparseable, wrong shape or unreadable: the caller fails closed. */
  | { kind: 'corrupt'; reason: string };

/** The file operations the store needs (node:fs/promises fits), so tests can make any one of them fail. */
export type StoreFs = SafeFs;

/** A privacy state file is a few dozen bytes; anything much larger is not ours. */
const MAX_STATE_BYTES = 64 * 1024;

export class PrivacyStore {
  constructor(
    readonly path: string,
    private readonly fs?: StoreFs,
  ) {}

  /**
   * Only a regular file counts: a symlink (even a dangling one), FIFO, device or directory where the
   * state should be is corrupt, so the controller fails closed (private) instead of reading it as
   * "no state", blocking start-up on a FIFO or reading /dev/zero.
   */
  async load(): Promise<LoadResult> {
    const read = await readRegularFile(this.path, MAX_STATE_BYTES, { fs: this.fs });
    if (!read.ok) {
      if (read.reason === 'missing') return { kind: 'missing' };
      return { kind: 'corrupt', reason: reasonFor(read.reason, read.message) };
    }
    const text = read.data.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // An empty file is what a power cut can leave behind on some file systems.
      return { kind: 'corrupt', reason: text.trim() === '' ? 'the file is empty' : 'not valid JSON' };
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return { kind: 'corrupt', reason: `unexpected content (${where}${issue?.message ?? 'invalid'})` };
    }
    const { enabled, source, since } = parsed.data;
    return { kind: 'ok', state: { enabled, source, since } };
  }

  /** Replaces the file atomically and durably (see writeFileAtomic): the next boot sees the old state or the new. */
  async save(state: PrivacyState): Promise<void> {
    const data = `${JSON.stringify({ enabled: state.enabled, source: state.source, since: state.since })}\n`;
    await writeFileAtomic(this.path, data, { fs: this.fs, mode: 0o600 });
  }
}

function reasonFor(reason: 'not-regular' | 'too-large' | 'error', message: string): string {
  switch (reason) {
    case 'not-regular':
      return 'not a regular file (a symbolic link, FIFO, device or directory)';
    case 'too-large':
      return `larger than ${MAX_STATE_BYTES} bytes`;
    case 'error':
      return message;
  }
}

