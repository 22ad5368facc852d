// picamd's side of an update from the page: the uploaded file is written to its state directory as
// update/request.update.part while it is checked on the way (a file that is not an update, or signed
// by an unknown key, is refused at its first bytes), then checked whole by this running release (the
// bundle's hash, its listing, the version rules) and only then renamed to request.update, which the
// root-owned updater's path unit picks up. A downgrade the owner confirmed leaves
// request.allow-downgrade beside it first; "go back" leaves request.rollback. picamd never writes
// outside its state directory: everything privileged is the updater's.
import { closeSync, fsyncSync, openSync, readlinkSync, readFileSync, existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { basename, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UpdateFileError, UpdateReader } from '../../formats/update/container.js';
import type { UpdateManifest } from '../../formats/update/manifest.js';
import { TarCheckError } from '../../formats/update/tar-check.js';
import type { Logger } from '../../platform/log/logger.js';
import { loadKeysDir } from './keys-dir.js';
import { bundleRoot, UPDATE_LIMITS } from './limits.js';
import { mergeUpdateStatus, type LocalUpdateState, type UpdateView } from './progress.js';
import { replaceRefusal, replaceVerdict } from './replace-rule.js';
import { parseUpdateStatus } from './status-file.js';
import { checkBundleListing } from './verify-file.js';

export const REQUEST_NAME = 'request.update';
export const DOWNGRADE_NAME = 'request.allow-downgrade';
export const ROLLBACK_NAME = 'request.rollback';

export interface UpdateInboxDeps {
  /** picamd's update folder in its state directory (the updater's path unit watches it). */
  dir: string;
  /** The trusted keys (the running release's keys/). */
  keysDir: string;
  /** The updater's status.json. */
  statusFile: string;
  /** The install root whose `previous` link names the version to go back to; undefined: not installed that way. */
  installRoot?: string;
  architecture: string;
  installedVersion: string;
  logger: Logger;
  /** Wall-clock time, for the status. */
  clock: () => number;
  /** What a rollback from a newer version undid (the settings' and accounts' stores say). */
  undone?: () => string[];
  /** Bytes picamd may still write on the card that holds `dir`; null when unknown. */
  freeBytes?: () => number | null;
}

export type InboxResult =
  | { ok: true; manifest: UpdateManifest }
  | { ok: false; problem: 'busy' | 'refused' | 'downgrade' | 'too-large' | 'no-room' | 'aborted' | 'failed'; reason: string };

/** Bytes past the bundle: the head and the manifest (container.ts caps it at 16 KiB). */
const HEAD_ROOM = 64 * 1024;
export const MAX_UPDATE_FILE_BYTES = UPDATE_LIMITS.maxBundleBytes + HEAD_ROOM;
/** What the file write may buffer before the upload pauses (the socket is then not read). */
const WRITE_BUFFER_BYTES = 1024 * 1024;

/**
 * What an upload leaves free on the card: the settings, the accounts and privacy must still save
 * while it is stored (the updater checks its own room, for the copy and the unpacked release, later).
 */
export const KEEP_FREE_BYTES = 16 * 1024 * 1024;

const UPDATER_BUSY = new Set(['verifying', 'installing', 'trial', 'checking']);

export class UpdateInbox {
  private local: LocalUpdateState | null = null;

  constructor(private readonly deps: UpdateInboxDeps) {}

  /** Removes what a power cut left of an upload (a half-written part file can be large). */
  async start(): Promise<void> {
    try {
      await rm(join(this.deps.dir, `${REQUEST_NAME}.part`), { force: true });
    } catch (err) {
      // Never a reason not to start: the camera matters more than a leftover file.
      this.deps.logger.warn(`cannot remove a leftover upload in ${this.deps.dir}: ${(err as Error).message}`);
    }
  }

  /** The update's state for /api/status: this upload's, then the updater's; null before any. */
  status(): UpdateView | null {
    const view = mergeUpdateStatus(this.local, this.updaterText());
    const undone = this.deps.undone?.() ?? [];
    return view && undone.length > 0 ? { ...view, undone } : view;
  }

  /** The version `previous` names ("go back to"), or null. */
  previous(): string | null {
    if (!this.deps.installRoot) return null;
    try {
      return basename(readlinkSync(join(this.deps.installRoot, 'previous')));
    } catch {
      return null;
    }
  }

  /** Why no update may start now ('' when one may). */
  busyReason(): string {
    const local = this.local?.state;
    if (local === 'receiving' || local === 'verifying') return 'another update file is being received';
    if (existsSync(join(this.deps.dir, REQUEST_NAME)) || existsSync(join(this.deps.dir, ROLLBACK_NAME))) return 'an update is waiting for the updater';
    const updater = parseUpdateStatus(this.updaterText());
    if (updater && UPDATER_BUSY.has(updater.state)) return `an update is running (${updater.state}${updater.version ? ` ${updater.version}` : ''})`;
    return '';
  }

  /** Receives, checks and hands over one update file of `total` bytes. */
  async receive(body: Readable, total: number, options: { allowDowngrade: boolean }): Promise<InboxResult> {
    const busy = this.busyReason();
    if (busy) return { ok: false, problem: 'busy', reason: busy };
    const { dir, logger } = this.deps;
    const part = join(dir, `${REQUEST_NAME}.part`);
    const progress: LocalUpdateState = { state: 'receiving', received: 0, total, version: '', from: this.deps.installedVersion, reason: '', at: this.now(), updaterText: '' };
    this.local = progress;
    const refuse = (problem: Exclude<InboxResult, { ok: true }>['problem'], reason: string): InboxResult => {
      this.local = { ...progress, state: problem === 'aborted' ? 'idle' : 'refused', reason, at: this.now(), updaterText: this.updaterText() };
      logger.warn(`${problem === 'aborted' ? 'upload cut off' : 'refused'}: ${reason}`);
      return { ok: false, problem, reason };
    };
    try {
      const free = this.deps.freeBytes?.() ?? null;
      if (free !== null && total + KEEP_FREE_BYTES > free) {
        body.destroy();
        const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
        return refuse('no-room', `not enough room on the memory card: the update file is ${mb(total)} and ${mb(Math.max(0, free))} is free, of which picamd keeps ${mb(KEEP_FREE_BYTES)} for its settings`);
      }
      const keys = loadKeysDir(this.deps.keysDir);
      if (keys.size === 0) {
        body.destroy();
        return refuse('refused', `no update key is trusted (no *.pem in ${this.deps.keysDir})`);
      }
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await rm(join(dir, DOWNGRADE_NAME), { force: true });
      const reader = new UpdateReader({ keys, architecture: this.deps.architecture, maxBundleBytes: UPDATE_LIMITS.maxBundleBytes });
      const installed = this.deps.installedVersion;
      let ruled = false;
      const check = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          try {
            reader.push(chunk);
            // The version rules as soon as the signed manifest is in: a refused version is not stored.
            const manifest = reader.manifest;
            if (manifest && !ruled) {
              ruled = true;
              progress.version = manifest.version;
              const refusal = replaceRefusal(installed, manifest.version, manifest.replacesFrom, options.allowDowngrade);
              if (refusal) throw new VersionRefusal(replaceVerdict(installed, manifest.version, manifest.replacesFrom) === 'downgrade', refusal);
            }
            progress.received += chunk.length;
            done(null, chunk);
          } catch (err) {
            done(err as Error);
          }
        },
      });
      await pipeline(body, check, createWriteStream(part, { mode: 0o600, highWaterMark: WRITE_BUFFER_BYTES }));
      const { manifest, bundleOffset } = reader.end();
      syncFile(part);
      progress.state = 'verifying';
      progress.version = manifest.version;
      progress.at = this.now();
      logger.info(`received picamd ${manifest.version} (${(progress.received / 1e6).toFixed(1)} MB, key ${manifest.keyId}); checking its contents`);
      await checkBundleListing(part, { root: bundleRoot(manifest.version), maxBytes: UPDATE_LIMITS.maxUnpackedBytes, maxEntries: UPDATE_LIMITS.maxEntries }, bundleOffset);
      // A confirmed downgrade says so to the updater before the request exists (the path unit starts it at once).
      if (replaceVerdict(this.deps.installedVersion, manifest.version, manifest.replacesFrom) === 'downgrade') {
        await writeFile(join(dir, DOWNGRADE_NAME), `${manifest.version}\n`, { mode: 0o600 });
      }
      const text = this.updaterText();
      await rename(part, join(dir, REQUEST_NAME));
      syncDir(dir);
      this.local = { ...progress, state: 'handed-over', at: this.now(), updaterText: text };
      logger.info(`picamd ${manifest.version} checked and handed to the updater`);
      return { ok: true, manifest };
    } catch (err) {
      await rm(part, { force: true }).catch(() => {});
      return refuse(...classify(err));
    }
  }

  /** Asks the updater to go back to the previous release. */
  async requestRollback(): Promise<InboxResult | { ok: true; version: string }> {
    const busy = this.busyReason();
    if (busy) return { ok: false, problem: 'busy', reason: busy };
    const previous = this.previous();
    if (!previous) return { ok: false, problem: 'refused', reason: 'there is no previous version on this camera' };
    const { dir } = this.deps;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const text = this.updaterText();
    await writeFile(join(dir, `${ROLLBACK_NAME}.part`), `${previous}\n`, { mode: 0o600 });
    await rename(join(dir, `${ROLLBACK_NAME}.part`), join(dir, ROLLBACK_NAME));
    syncDir(dir);
    this.local = { state: 'handed-over', received: 0, total: 0, version: previous, from: this.deps.installedVersion, reason: '', at: this.now(), updaterText: text };
    this.deps.logger.info(`going back to picamd ${previous} asked of the updater`);
    return { ok: true, version: previous };
  }

  private updaterText(): string {
    try {
      return readFileSync(this.deps.statusFile, 'utf8');
    } catch {
      return '';
    }
  }

  private now(): string {
    return new Date(this.deps.clock()).toISOString();
  }
}

/** The signed manifest names a version this camera may not take (or not without the owner's word). */
class VersionRefusal extends Error {
  constructor(
    readonly downgrade: boolean,
    message: string,
  ) {
    super(message);
  }
}

function classify(err: unknown): [Exclude<InboxResult, { ok: true }>['problem'], string] {
  if (err instanceof VersionRefusal) return [err.downgrade ? 'downgrade' : 'refused', err.message];
  if (err instanceof UpdateFileError) return ['refused', err.message];
  if (err instanceof TarCheckError) return ['refused', `the bundle's contents: ${err.message}`];
  const e = err as NodeJS.ErrnoException & { reason?: string };
  if (e?.name === 'UploadError') return [e.reason === 'too-large' ? 'too-large' : e.reason === 'overrun' ? 'failed' : 'aborted', e.message];
  if (e?.code?.startsWith('Z_')) return ['refused', `the bundle is not a valid gzip stream (${e.message})`];
  if (e?.code === 'ENOSPC') return ['failed', 'not enough free space on the card for the update file'];
  return ['failed', `the file could not be stored: ${e?.message ?? String(err)}`];
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDir(path: string): void {
  try {
    syncFile(path);
  } catch {
    // Some file systems refuse a directory fsync; the rename is still atomic.
  }
}
