import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storageProblem } from '../../src/platform/storage-problem.js';

const fsError = (code: string) => Object.assign(new Error(`${code}: something, write`), { code });

test('a full or read-only card is named in plain words; other errors are not storage problems', () => {
  assert.equal(storageProblem(fsError('ENOSPC'))?.code, 'storage-full');
  assert.equal(storageProblem(fsError('EDQUOT'))?.code, 'storage-full');
  assert.equal(storageProblem(fsError('EROFS'))?.code, 'storage-read-only');
  assert.match(storageProblem(fsError('ENOSPC'))!.cause, /^the memory card is full$/);
  assert.match(storageProblem(fsError('EROFS'))!.cause, /read-only/);
  for (const other of [fsError('EIO'), fsError('EACCES'), fsError('ENOENT'), new Error('no code'), 'a string', null]) {
    assert.equal(storageProblem(other), null);
  }
});
