// Checks the bundle's tar stream (uncompressed, fed in chunks of any size) before anything of it is
// unpacked: every entry must be a directory, a regular file, or a link that stays inside the one
// top-level folder, under a plain relative path. Refused: absolute paths, `..`, a path that goes
// through a link, the same path twice, links out of the folder, devices and FIFOs, set-uid/gid
// bits, and archives larger or with more entries than the caps. GNU (long names) and POSIX pax
// (path, linkpath, size) headers are read as GNU tar reads them, so the names checked are the names
// tar will write.
import { posix } from 'node:path';

const BLOCK = 512;

export interface TarCheckOptions {
  /** The one top-level folder every entry must be in (e.g. `picamd-1.2.0`). */
  root: string;
  /** Caps on what one archive may unpack to (a compressed bomb stops here). */
  maxBytes: number;
  maxEntries: number;
}

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink';

export interface TarEntry {
  path: string;
  type: TarEntryType;
  size: number;
  mode: number;
  /** Symlink: the target as written; hardlink: the path of the file it names. */
  linkTarget?: string;
}

export class TarCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarCheckError';
  }
}

type Extension = { path?: string; linkpath?: string; size?: number };

export class TarChecker {
  private buffer: Buffer[] = [];
  private buffered = 0;
  /** Bytes of member data still to skip (with padding). */
  private skip = 0;
  /** A GNU long name/link or pax header being collected: its kind, its size, then its bytes. */
  private collecting: { kind: 'L' | 'K' | 'x'; size: number; padded: number; parts: Buffer[]; got: number } | undefined;
  private next: Extension = {};
  private readonly seen = new Map<string, TarEntryType>();
  /** Folders no entry listed yet, which tar creates for the entries inside them. */
  private readonly implicit = new Set<string>();
  private totalBytes = 0;
  private zeroBlocks = 0;
  private finished = false;
  readonly entries: TarEntry[] = [];

  constructor(private readonly options: TarCheckOptions) {}

  push(chunk: Uint8Array): void {
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (rest.length > 0) {
      if (this.finished) {
        // GNU tar pads the archive with zero blocks up to its record size; anything else is not tar.
        if (rest.some((b) => b !== 0)) throw new TarCheckError('data after the end of the archive');
        return;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, rest.length);
        this.skip -= n;
        rest = rest.subarray(n);
        continue;
      }
      if (this.collecting) {
        const c = this.collecting;
        const n = Math.min(c.padded - c.got, rest.length);
        c.parts.push(rest.subarray(0, n));
        c.got += n;
        rest = rest.subarray(n);
        if (c.got === c.padded) this.finishExtension();
        continue;
      }
      const need = BLOCK - this.buffered;
      const take = rest.subarray(0, need);
      this.buffer.push(take);
      this.buffered += take.length;
      rest = rest.subarray(take.length);
      if (this.buffered === BLOCK) {
        const block = Buffer.concat(this.buffer);
        this.buffer = [];
        this.buffered = 0;
        this.header(block);
      }
    }
  }

  /** Throws unless the archive ended properly (two zero blocks) after a whole last entry. */
  end(): TarEntry[] {
    if (!this.finished) throw new TarCheckError('the archive is cut short');
    if (this.entries.length === 0) throw new TarCheckError('the archive is empty');
    return this.entries;
  }

  private header(block: Buffer): void {
    if (block.every((b) => b === 0)) {
      if (this.collecting || Object.keys(this.next).length > 0) throw new TarCheckError('an extended header without its entry');
      if (++this.zeroBlocks === 2) this.finished = true;
      return;
    }
    if (this.zeroBlocks > 0) throw new TarCheckError('an entry after an end-of-archive block');
    if (!checksumHolds(block)) throw new TarCheckError(`a damaged header (checksum) after ${this.entries.length} entries`);
    const typeflag = String.fromCharCode(block[156]!);
    const size = this.next.size ?? octal(block, 124, 12, 'size');
    if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x') {
      if (size > 64 * 1024) throw new TarCheckError(`an extended header of ${size} bytes`);
      this.collecting = { kind: typeflag, size, padded: padded(size), parts: [], got: 0 };
      if (size === 0) this.finishExtension();
      return;
    }
    const magic = block.subarray(257, 263).toString('latin1');
    let name = this.next.path ?? cString(block, 0, 100);
    // POSIX ustar splits long names into prefix/name; GNU tar's own format uses those bytes otherwise.
    if (this.next.path === undefined && magic === 'ustar\0') {
      const prefix = cString(block, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const linkName = this.next.linkpath ?? cString(block, 157, 100);
    this.next = {};
    const mode = octal(block, 100, 8, 'mode');
    this.entry(typeflag, name, linkName, size, mode);
  }

  private finishExtension(): void {
    const c = this.collecting!;
    this.collecting = undefined;
    const data = Buffer.concat(c.parts).subarray(0, c.size);
    if (c.kind === 'L') this.next.path = cString(data, 0, data.length);
    else if (c.kind === 'K') this.next.linkpath = cString(data, 0, data.length);
    else Object.assign(this.next, paxRecords(data));
  }

  private entry(typeflag: string, rawName: string, linkName: string, size: number, mode: number): void {
    const type = typeOf(typeflag, rawName);
    const path = this.checkPath(rawName);
    if ((mode & 0o6000) !== 0) throw new TarCheckError(`${path}: set-user-ID or set-group-ID bit`);
    if ((mode & 0o002) !== 0 && type !== 'symlink') throw new TarCheckError(`${path}: writable by anyone`);
    if (this.seen.has(path)) throw new TarCheckError(`${path}: appears twice`);
    // A folder tar made on its own for an earlier entry may be listed later, as a folder only.
    if (this.implicit.has(path) && type !== 'directory') throw new TarCheckError(`${path}: a ${type} where an earlier entry put a folder`);
    if (type !== 'file' && type !== 'hardlink' && size !== 0) throw new TarCheckError(`${path}: a ${type} with ${size} bytes of data`);
    if (this.entries.length >= this.options.maxEntries) throw new TarCheckError(`more than ${this.options.maxEntries} entries`);
    const entry: TarEntry = { path, type, size: type === 'file' ? size : 0, mode };
    if (type === 'symlink') {
      if (linkName === '') throw new TarCheckError(`${path}: a link to nothing`);
      if (linkName.startsWith('/')) throw new TarCheckError(`${path}: a link to the absolute path ${linkName}`);
      const resolved = posix.normalize(posix.join(posix.dirname(path), linkName));
      if (!this.inside(resolved)) throw new TarCheckError(`${path}: a link to ${linkName}, outside ${this.options.root}/`);
      entry.linkTarget = linkName;
    } else if (type === 'hardlink') {
      const target = this.checkPath(linkName);
      if (this.seen.get(target) !== 'file') throw new TarCheckError(`${path}: a hard link to ${linkName}, which is not a file listed before it`);
      entry.linkTarget = target;
    }
    if (type === 'file') {
      this.totalBytes += size;
      if (this.totalBytes > this.options.maxBytes) throw new TarCheckError(`more than ${this.options.maxBytes} bytes unpacked`);
    }
    this.seen.set(path, type);
    this.implicit.delete(path);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const above = parts.slice(0, i).join('/');
      if (!this.seen.has(above)) this.implicit.add(above);
    }
    this.entries.push(entry);
    // A hard link's size field is 0 in GNU tar; its data, if any were declared, is skipped all the same.
    this.skip = type === 'file' || type === 'hardlink' ? padded(size) : 0;
  }

  /** The entry's path without a trailing slash, after every rule about names. */
  private checkPath(raw: string): string {
    const shown = JSON.stringify(raw);
    if (raw === '') throw new TarCheckError('an entry without a name');
    if (raw.startsWith('/')) throw new TarCheckError(`${shown}: an absolute path`);
    const path = raw.endsWith('/') ? raw.slice(0, -1) : raw;
    const parts = path.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new TarCheckError(`${shown}: not a plain relative path (empty, . or .. parts)`);
    if (parts[0] !== this.options.root) throw new TarCheckError(`${shown}: outside the folder ${this.options.root}/`);
    // Nothing may be written through a link: every folder above the entry must be a real folder.
    for (let i = 1; i < parts.length; i++) {
      const above = parts.slice(0, i).join('/');
      const kind = this.seen.get(above);
      if (kind !== undefined && kind !== 'directory') throw new TarCheckError(`${shown}: goes through ${above}, which is a ${kind}`);
    }
    return path;
  }

  private inside(normalized: string): boolean {
    return normalized === this.options.root || normalized.startsWith(`${this.options.root}/`);
  }
}

function typeOf(typeflag: string, name: string): TarEntryType {
  switch (typeflag) {
    case '0':
    case '\0':
      // Old tars mark folders by a trailing slash on a regular entry.
      return name.endsWith('/') ? 'directory' : 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    case '3':
    case '4':
      throw new TarCheckError(`${JSON.stringify(name)}: a device file`);
    case '6':
      throw new TarCheckError(`${JSON.stringify(name)}: a FIFO`);
    default:
      throw new TarCheckError(`${JSON.stringify(name)}: an entry of type ${JSON.stringify(typeflag)}, which a bundle never has`);
  }
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** A NUL-terminated string field, as UTF-8 (a stray byte becomes U+FFFD, never a '/' or a '.'). */
function cString(buf: Buffer, offset: number, length: number): string {
  const field = buf.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

function octal(buf: Buffer, offset: number, length: number, what: string): number {
  const field = buf.subarray(offset, offset + length);
  // GNU's base-256 form (high bit set) is for sizes of 8 GiB and more: nothing a bundle has.
  if ((field[0]! & 0x80) !== 0) throw new TarCheckError(`a header with a base-256 ${what}`);
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]*$/.test(text)) throw new TarCheckError(`a header whose ${what} is not a number`);
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumHolds(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  let stored: number;
  try {
    stored = octal(block, 148, 8, 'checksum');
  } catch {
    return false;
  }
  return sum === stored;
}

/** The pax records GNU tar applies to the next entry: path, linkpath and size. */
function paxRecords(data: Buffer): Extension {
  const out: Extension = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) throw new TarCheckError('a damaged pax header');
    const length = Number(data.subarray(at, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= space - at + 1 || at + length > data.length || data[at + length - 1] !== 0x0a) {
      throw new TarCheckError('a damaged pax header');
    }
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    at += length;
    const eq = record.indexOf('=');
    if (eq < 0) throw new TarCheckError('a damaged pax header');
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'linkpath') out.linkpath = value;
    else if (key === 'size') {
      if (!/^\d{1,15}$/.test(value)) throw new TarCheckError('a pax size that is not a number');
      out.size = Number(value);
    } else if (key.startsWith('GNU.sparse')) throw new TarCheckError('a sparse file, which a bundle never has');
  }
  return out;
}
