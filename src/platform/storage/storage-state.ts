// What the card that holds picamd's state directory is like, in one word for the page, /metrics and
// MQTT. Pure: the numbers come from storage-reader.ts.

export const STORAGE_STATES = ['ok', 'low', 'full', 'read-only', 'unknown'] as const;
export type StorageState = (typeof STORAGE_STATES)[number];

export interface StorageReading {
  /** Bytes a program that is not root may still write (statfs's f_bavail: ext4 keeps its 5 % root reserve out of it). */
  availableBytes: number;
  totalBytes: number;
  /** Files that may still be made (f_ffree); an ext4 out of inodes refuses writes as a full one does. */
  freeFiles: number;
  /** f_files; 0 where the file system does not count them (vfat, btrfs), and then freeFiles says nothing. */
  totalFiles: number;
  readOnly: boolean;
}

/**
 * Below this, a save is about to fail: the largest file picamd writes in the ordinary course is the
 * settings file (at most 256 KiB, settings-file.ts), written beside itself before the rename and kept
 * once more as settings.json.prev; a few of those and ext4's journal need about this much.
 */
export const FULL_BELOW_BYTES = 1024 * 1024;
/** An ext4 with fewer free inodes than this cannot take a save's temporary file for long either. */
export const FULL_BELOW_FILES = 64;
/**
 * Below this the card still takes saves but not an update: a signed update took about 160 MB at its
 * peak on the virtual Pi (a 42 MB upload, the updater's copy of it and 121 MB unpacked beside the
 * running release, deploy/vpi/README.md) and the updater keeps 32 MB free beyond that; the system's
 * own package updates need room too. Time to clear the card, before it is full.
 */
export const LOW_BELOW_BYTES = 192 * 1024 * 1024;

export function storageState(reading: StorageReading): StorageState {
  if (reading.readOnly) return 'read-only';
  if (reading.availableBytes < FULL_BELOW_BYTES || (reading.totalFiles > 0 && reading.freeFiles < FULL_BELOW_FILES)) return 'full';
  if (reading.availableBytes < LOW_BELOW_BYTES) return 'low';
  return 'ok';
}
