import { errorCode } from './errors.js';

// A write that failed because of the card itself, in words for the page. A full card (ENOSPC; the
// kernel keeps ext4's reserved blocks for root, so picamd's user sees it full first) and a
// read-only one (EROFS: what ext4's errors=remount-ro does after an I/O error, so often a failing
// card) are the ones a user can act on. Both refuse a write before anything reaches the file; an EIO
// can come after the rename too (the new file may be in place), so it stays an internal error.

export type StorageProblemCode = 'storage-full' | 'storage-read-only';

export interface StorageProblem {
  code: StorageProblemCode;
  /** Plain words, no errno: "the memory card is full". */
  cause: string;
}

/** The storage problem behind a failed write, or null when the error is something else. */
export function storageProblem(err: unknown): StorageProblem | null {
  switch (errorCode(err)) {
    case 'ENOSPC':
    case 'EDQUOT':
      return { code: 'storage-full', cause: 'the memory card is full' };
    case 'EROFS':
      return { code: 'storage-read-only', cause: 'the memory card is read-only (the system stops writing to a card after an error; it may be failing)' };
    default:
      return null;
  }
}
