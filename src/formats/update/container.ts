// The update file: a signed manifest, then the bundle, in one file that can be checked front to
// back while it is read (from a socket or a disk) without holding the bundle in memory.
//
//   offset  size  field
//        0    16  magic: "PICAMD-UPDATE", the layout's version byte 0x01, "\r\n" (a transfer in
//                 text mode, which turns \r\n into \n, shows as a corrupt file, not a strange one)
//       16     4  manifest length M, unsigned big-endian, 2 to MAX_MANIFEST_BYTES
//       20     8  key id: which key signed it (keys.ts)
//       28    64  Ed25519 signature over bytes 0..28 and the manifest
//       92     M  the manifest, UTF-8 JSON (manifest.ts)
//     92+M     N  the bundle: exactly manifest.bundle.size bytes, whose SHA-256 is manifest.bundle.sha256
//
// The signature covers everything before it and the manifest, and the manifest pins the bundle's
// size and hash, so one flipped bit anywhere is caught: in the head by the signature before
// anything of the manifest is believed, in the bundle by the hash at the end. The reader hands the
// bundle's bytes on as they come (to be written to a copy) but declares nothing good until end().
import { createHash, sign, verify, type Hash, type KeyObject } from 'node:crypto';
import { keyIdOf, type TrustedKeys } from './keys.js';
import { parseManifest, serializeManifest, type UpdateManifest } from './manifest.js';

const MAGIC_NAME = Buffer.from('PICAMD-UPDATE', 'latin1');
export const LAYOUT_VERSION = 1;
export const MAGIC = Buffer.concat([MAGIC_NAME, Buffer.from([LAYOUT_VERSION, 0x0d, 0x0a])]);
const SIGNED_HEAD_BYTES = 28;
export const HEAD_BYTES = SIGNED_HEAD_BYTES + 64;
/** A manifest is a few hundred bytes; the cap keeps a hostile head from making the reader buffer much. */
export const MAX_MANIFEST_BYTES = 16 * 1024;

export type UpdateFileProblem =
  | 'not-an-update'
  | 'unsupported-layout'
  | 'truncated'
  | 'corrupt'
  | 'unknown-key'
  | 'bad-signature'
  | 'bad-manifest'
  | 'wrong-architecture'
  | 'too-large'
  | 'hash-mismatch';

/** A file that is refused; `problem` for programs, the message for people. */
export class UpdateFileError extends Error {
  constructor(
    readonly problem: UpdateFileProblem,
    message: string,
  ) {
    super(message);
    this.name = 'UpdateFileError';
  }
}

export interface ReaderOptions {
  keys: TrustedKeys;
  /** The device's architecture (`process.arch`); a bundle for another one is refused. */
  architecture: string;
  /** The largest bundle accepted; a manifest announcing more is refused before its bundle is read. */
  maxBundleBytes: number;
}

export interface VerifiedUpdate {
  manifest: UpdateManifest;
  /** Where the bundle starts in the file. */
  bundleOffset: number;
}

type State = 'head' | 'manifest' | 'bundle' | 'failed' | 'ended';

/**
 * Checks an update file fed in chunks of any size. push() returns the part of the chunk that is
 * bundle bytes (empty before the signature holds) and throws an UpdateFileError as soon as the file
 * is known to be bad; end() throws unless the whole file was there and its bundle hash holds.
 */
export class UpdateReader {
  private state: State = 'head';
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private manifestBytes = 0;
  private keyId = '';
  private signature: Buffer = Buffer.alloc(0);
  private signedHead: Buffer = Buffer.alloc(0);
  private hash: Hash | undefined;
  private bundleSeen = 0;
  private verified: UpdateManifest | undefined;

  constructor(private readonly options: ReaderOptions) {}

  /** The manifest once its signature held (its bundle is not checked until end()). */
  get manifest(): UpdateManifest | undefined {
    return this.verified;
  }

  push(chunk: Uint8Array): Uint8Array {
    if (this.state === 'failed') throw new Error('the update file was already refused');
    if (this.state === 'ended') throw new Error('push after end');
    try {
      return this.take(chunk);
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
  }

  end(): VerifiedUpdate {
    if (this.state === 'failed') throw new Error('the update file was already refused');
    const state = this.state;
    this.state = 'failed';
    if (state === 'head') {
      const head = Buffer.concat(this.pending);
      if (head.length === 0 || !startsLikeMagic(head)) throw notAnUpdate();
      this.checkMagic(head); // a different layout says so even when cut short
      throw new UpdateFileError('truncated', `the file ends after ${head.length} bytes, inside its head`);
    }
    if (state === 'manifest') throw new UpdateFileError('truncated', 'the file ends inside its manifest');
    const manifest = this.verified!;
    if (this.bundleSeen < manifest.bundle.size) {
      throw new UpdateFileError('truncated', `the file ends after ${this.bundleSeen} of the bundle's ${manifest.bundle.size} bytes`);
    }
    const digest = this.hash!.digest('hex');
    if (digest !== manifest.bundle.sha256) {
      throw new UpdateFileError('hash-mismatch', `the bundle's SHA-256 is ${digest}, the signed manifest says ${manifest.bundle.sha256}: the file was changed or damaged`);
    }
    this.state = 'ended';
    return { manifest, bundleOffset: HEAD_BYTES + this.manifestBytes };
  }

  private take(chunk: Uint8Array): Uint8Array {
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.state === 'head') {
      const head = this.gather(rest, HEAD_BYTES);
      if (!head) {
        const sofar = Buffer.concat(this.pending);
        if (!startsLikeMagic(sofar)) throw notAnUpdate();
        return EMPTY;
      }
      rest = head.rest;
      this.readHead(head.bytes);
      this.state = 'manifest';
    }
    if (this.state === 'manifest') {
      const manifest = this.gather(rest, this.manifestBytes);
      if (!manifest) return EMPTY;
      rest = manifest.rest;
      this.verified = this.readManifest(manifest.bytes);
      this.hash = createHash('sha256');
      this.state = 'bundle';
    }
    // state === 'bundle'
    const size = this.verified!.bundle.size;
    if (this.bundleSeen + rest.length > size) {
      throw new UpdateFileError('corrupt', `the file goes on past the bundle's ${size} bytes`);
    }
    this.bundleSeen += rest.length;
    this.hash!.update(rest);
    return rest;
  }

  /** Collects `count` bytes across chunks; undefined until they are all there. */
  private gather(chunk: Buffer, count: number): { bytes: Buffer; rest: Buffer } | undefined {
    const need = count - this.pendingBytes;
    if (chunk.length < need) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      return undefined;
    }
    const bytes = Buffer.concat([...this.pending, chunk.subarray(0, need)]);
    this.pending = [];
    this.pendingBytes = 0;
    return { bytes, rest: chunk.subarray(need) };
  }

  private checkMagic(head: Buffer): void {
    if (!head.subarray(0, MAGIC_NAME.length).equals(MAGIC_NAME.subarray(0, Math.min(head.length, MAGIC_NAME.length)))) throw notAnUpdate();
    if (head.length > MAGIC_NAME.length && head[MAGIC_NAME.length] !== LAYOUT_VERSION) {
      throw new UpdateFileError('unsupported-layout', `an update file of layout ${head[MAGIC_NAME.length]}; this picamd reads layout ${LAYOUT_VERSION} (a newer picamd may be needed first)`);
    }
    const tail = head.subarray(MAGIC_NAME.length + 1, MAGIC.length);
    if (!tail.equals(MAGIC.subarray(MAGIC_NAME.length + 1, MAGIC_NAME.length + 1 + tail.length))) {
      throw new UpdateFileError('corrupt', 'the head of the file is damaged (was it transferred as text?)');
    }
  }

  private readHead(head: Buffer): void {
    this.checkMagic(head);
    const length = head.readUInt32BE(16);
    if (length < 2 || length > MAX_MANIFEST_BYTES) {
      throw new UpdateFileError('corrupt', `a manifest of ${length} bytes (at most ${MAX_MANIFEST_BYTES})`);
    }
    this.manifestBytes = length;
    this.keyId = head.subarray(20, SIGNED_HEAD_BYTES).toString('hex');
    this.signedHead = head.subarray(0, SIGNED_HEAD_BYTES);
    this.signature = head.subarray(SIGNED_HEAD_BYTES, HEAD_BYTES);
  }

  private readManifest(bytes: Buffer): UpdateManifest {
    const key = this.options.keys.get(this.keyId);
    if (!key) {
      const known = [...this.options.keys.keys()].join(', ') || 'none';
      throw new UpdateFileError('unknown-key', `signed with key ${this.keyId}, which this device does not trust (trusted: ${known})`);
    }
    if (!verify(null, Buffer.concat([this.signedHead, bytes]), key, this.signature)) {
      throw new UpdateFileError('bad-signature', `the signature does not verify with key ${this.keyId}: the file was changed or damaged`);
    }
    const parsed = parseManifest(bytes);
    if ('problems' in parsed) throw new UpdateFileError('bad-manifest', `the signed manifest is not valid: ${parsed.problems.join('; ')}`);
    const { manifest } = parsed;
    if (manifest.keyId !== this.keyId) {
      throw new UpdateFileError('bad-manifest', `the manifest names key ${manifest.keyId} but the file was signed with ${this.keyId}`);
    }
    if (manifest.architecture !== this.options.architecture) {
      throw new UpdateFileError('wrong-architecture', `picamd ${manifest.version} is built for ${manifest.architecture}; this device is ${this.options.architecture}`);
    }
    if (manifest.bundle.size > this.options.maxBundleBytes) {
      throw new UpdateFileError('too-large', `a bundle of ${manifest.bundle.size} bytes; at most ${this.options.maxBundleBytes} are accepted`);
    }
    return manifest;
  }
}

const EMPTY = new Uint8Array(0);

function startsLikeMagic(bytes: Buffer): boolean {
  const n = Math.min(bytes.length, MAGIC_NAME.length);
  return bytes.subarray(0, n).equals(MAGIC_NAME.subarray(0, n));
}

function notAnUpdate(): UpdateFileError {
  return new UpdateFileError('not-an-update', 'not a picamd update file (it does not start with PICAMD-UPDATE)');
}

/**
 * The head and manifest of an update file for a bundle whose size and SHA-256 are in the manifest:
 * write these bytes, then the bundle's, and the file is complete. The key id is the private key's.
 */
export function signUpdateHead(manifest: Omit<UpdateManifest, 'keyId'>, privateKey: KeyObject): Buffer {
  const keyId = keyIdOf(privateKey);
  const manifestBytes = serializeManifest({ ...manifest, keyId });
  if (manifestBytes.length > MAX_MANIFEST_BYTES) throw new Error(`a manifest of ${manifestBytes.length} bytes`);
  const signedHead = Buffer.alloc(SIGNED_HEAD_BYTES);
  MAGIC.copy(signedHead, 0);
  signedHead.writeUInt32BE(manifestBytes.length, 16);
  Buffer.from(keyId, 'hex').copy(signedHead, 20);
  const signature = sign(null, Buffer.concat([signedHead, manifestBytes]), privateKey);
  return Buffer.concat([signedHead, signature, manifestBytes]);
}
