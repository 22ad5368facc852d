// An update file checked from disk, front to back, with a bounded amount of it in memory: the
// signature first, then the bundle's hash while it is read. With `copyTo`, the bundle's bytes are
// written to that new file as they are checked (fsync'd before the result is returned, removed
// when the file is refused), so the root
// helper unpacks a copy nobody else can change after the check, not the file picamd left.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { UpdateReader, type ReaderOptions, type VerifiedUpdate } from '../../formats/update/container.js';
import { TarChecker, type TarCheckOptions, type TarEntry } from '../../formats/update/tar-check.js';

export async function verifyUpdateFile(file: string, options: ReaderOptions, copyTo?: string): Promise<VerifiedUpdate> {
  const reader = new UpdateReader(options);
  let copy: FileHandle | undefined;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
      const bundle = reader.push(chunk as Buffer);
      if (bundle.length === 0 || copyTo === undefined) continue;
      copy ??= await open(copyTo, 'wx', 0o600);
      await copy.write(bundle);
    }
    const verified = reader.end();
    if (copy) {
      await copy.sync();
      await copy.close();
      copy = undefined;
    }
    return verified;
  } catch (err) {
    // Nothing of a refused file is kept.
    if (copy) {
      await copy.close().catch(() => {});
      await rm(copyTo!, { force: true });
    }
    throw err;
  }
}

/** The bundle's tar listing, read from a .tar.gz (or from `offset` of a file) and checked entry by entry. */
export async function checkBundleListing(file: string, options: TarCheckOptions, offset = 0): Promise<TarEntry[]> {
  const checker = new TarChecker(options);
  await pipeline(
    createReadStream(file, { start: offset }),
    createGunzip(),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        try {
          checker.push(chunk);
          done();
        } catch (err) {
          done(err as Error);
        }
      },
    }),
  );
  return checker.end();
}
