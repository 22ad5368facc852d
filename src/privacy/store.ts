import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';

// The privacy state on disk, so a device switched to private stays private after a power cut.

export const privacySources = ['button', 'switch', 'api', 'boot'] as const;
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

/** The few file operations the store needs, so tests can make any one of them fail. */
export interface StoreFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  open(path: string, flags: string, mode?: number): Promise<{
    writeFile(data: string): Promise<void>;
    sync(): Promise<void>;
    close(): Promise<void>;
  }>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  unlink(path: string): Promise<void>;
}

export class PrivacyStore {
  constructor(
    readonly path: string,
    private readonly fs: StoreFs = nodeFs,
  ) {}

  async load(): Promise<LoadResult> {
    let text: string;
    try {
      text = await this.fs.readFile(this.path, 'utf8');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return { kind: 'missing' };
      return { kind: 'corrupt', reason: `cannot read it (${errorText(err)})` };
    }
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

  /**
   * Replaces the file atomically: a reader (or the next boot) sees the old state or the new one,
   * never a torn write. The temporary file is fsynced before the rename and the directory after it,
   * so the rename itself survives a power cut.
   */
  async save(state: PrivacyState): Promise<void> {
    const dir = dirname(this.path);
    const tmp = join(dir, `.${basename(this.path)}.${process.pid}.tmp`);
    const data = `${JSON.stringify({ enabled: state.enabled, source: state.source, since: state.since })}\n`;
    try {
      await this.writeSynced(tmp, data);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      // First save on a fresh system: create the directory (systemd's StateDirectory= usually has).
      await this.fs.mkdir(dir, { recursive: true });
      await this.writeSynced(tmp, data);
    }
    try {
      await this.fs.rename(tmp, this.path);
    } catch (err) {
      await this.fs.unlink(tmp).catch(() => {});
      throw err;
    }
    const handle = await this.fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async writeSynced(path: string, data: string): Promise<void> {
    const handle = await this.fs.open(path, 'w', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => {});
      await this.fs.unlink(path).catch(() => {});
      throw err;
    }
    await handle.close();
  }
}

export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
