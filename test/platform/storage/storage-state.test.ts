import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FULL_BELOW_BYTES, FULL_BELOW_FILES, LOW_BELOW_BYTES, storageState, type StorageReading } from '../../../src/platform/storage/storage-state.js';

const GB = 1e9;
const reading = (over: Partial<StorageReading> = {}): StorageReading => ({ availableBytes: 5 * GB, totalBytes: 8 * GB, freeFiles: 400_000, totalFiles: 500_000, readOnly: false, ...over });

test('storageState: ok, low below the update room, full below 1 MiB or out of inodes, read-only above all', () => {
  assert.equal(storageState(reading()), 'ok');
  assert.equal(storageState(reading({ availableBytes: LOW_BELOW_BYTES })), 'ok');
  assert.equal(storageState(reading({ availableBytes: LOW_BELOW_BYTES - 1 })), 'low');
  assert.equal(storageState(reading({ availableBytes: FULL_BELOW_BYTES })), 'low');
  assert.equal(storageState(reading({ availableBytes: FULL_BELOW_BYTES - 1 })), 'full');
  assert.equal(storageState(reading({ availableBytes: 0 })), 'full');
  assert.equal(storageState(reading({ freeFiles: FULL_BELOW_FILES - 1 })), 'full');
  // vfat and btrfs count no inodes (f_files 0): that is not a full card.
  assert.equal(storageState(reading({ freeFiles: 0, totalFiles: 0 })), 'ok');
  assert.equal(storageState(reading({ readOnly: true })), 'read-only');
  assert.equal(storageState(reading({ readOnly: true, availableBytes: 0 })), 'read-only', 'a read-only card is the thing to say even when full');
  assert.ok(LOW_BELOW_BYTES > FULL_BELOW_BYTES);
});
