import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setLanguage, useLanguage } from '../../../src/web/client/i18n/translate.js';
import { storageNote } from '../../../src/web/client/storage-note.js';

test('the card\'s note: full and read-only in red, low with what is free, nothing while fine, unknown or not reported', () => {
  useLanguage('en');
  assert.deepEqual(storageNote({ state: 'full', freeMB: 0.4, totalMB: 7612.3 }), {
    text: 'The memory card is full: changes to settings, privacy and users cannot be saved until space is freed on it.',
    tone: 'bad',
  });
  const readOnly = storageNote({ state: 'read-only', freeMB: 3000, totalMB: 7612.3 });
  assert.equal(readOnly?.tone, 'bad');
  assert.match(readOnly!.text, /^The memory card is read-only: .* may be failing\./);
  assert.deepEqual(storageNote({ state: 'low', freeMB: 1234.5, totalMB: 7612.3 }), {
    text: 'The memory card is almost full (1,234 MB free): there is no room for an update.',
    tone: 'busy',
  });
  for (const storage of [{ state: 'ok' as const, freeMB: 5000, totalMB: 7612.3 }, { state: 'unknown' as const, freeMB: null, totalMB: null }, undefined]) {
    assert.equal(storageNote(storage), undefined, JSON.stringify(storage));
  }
});

test('the card\'s note in Simplified Chinese', async () => {
  await setLanguage('zh-CN');
  try {
    assert.equal(storageNote({ state: 'full', freeMB: 0, totalMB: 1000 })?.text, '存储卡已满：在腾出空间之前，无法保存对设置、隐私模式和用户的更改。');
    assert.equal(storageNote({ state: 'low', freeMB: 80.2, totalMB: 1000 })?.text, '存储卡快满了（剩余 80 MB）：没有空间进行更新。');
  } finally {
    useLanguage('en');
  }
});
