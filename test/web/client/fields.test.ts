// The settings' own words in Chinese, against the device's real schema (the JSON Schema that GET
// /api/settings/schema serves): every setting the page shows has a Chinese title and description
// and every group of settings a Chinese name, the table has nothing for a setting that no longer
// exists, every choice and unit has Chinese words, and a rollback's cause is said by its code.
// A new setting without Chinese fails here.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { rollbackCause, type RollbackCause } from '../../../src/device/settings/rollback-cause.js';
import { settingUnits } from '../../../src/device/settings/meta.js';
import { configSchema } from '../../../src/device/settings/schema.js';
import { settingsJsonSchema } from '../../../src/device/settings/store.js';
import { causeText } from '../../../src/web/client/apply-progress.js';
import { en } from '../../../src/web/client/i18n/en/index.js';
import { interpolate, setLanguage, useLanguage } from '../../../src/web/client/i18n/translate.js';
import { zhCNFields } from '../../../src/web/client/i18n/zh-CN/index.js';
import { fieldsOf, optionLabel, rangeText, sectionsOf } from '../../../src/web/client/settings-form.js';

afterEach(() => useLanguage('en'));

const CJK = /[\u4e00-\u9fff]/;
const schemaFields = () => fieldsOf(settingsJsonSchema());

test('every setting the page shows has a Chinese title and description, every section a Chinese name', () => {
  const table: Readonly<Record<string, string>> = zhCNFields;
  const missing: string[] = [];
  const fields = schemaFields();
  assert.ok(fields.length > 40, `the schema gave ${fields.length} settings`);
  const wanted = [...fields.flatMap((f) => [`${f.path}.title`, `${f.path}.description`]), ...sectionsOf(fields).map((s) => `${s.path}.title`)];
  for (const key of wanted) {
    const text = table[`settings.field.${key}`];
    if (text === undefined || !CJK.test(text) && !/^[A-Z0-9 ./]+$/.test(text)) missing.push(key);
  }
  assert.deepEqual(missing, [], 'settings without Chinese words in src/web/client/i18n/zh-CN/fields.ts');
});

test('the Chinese table has nothing for a setting the schema no longer has', () => {
  const fields = schemaFields();
  const known = new Set([...fields.flatMap((f) => [`${f.path}.title`, `${f.path}.description`]), ...sectionsOf(fields).map((s) => `${s.path}.title`)]);
  const stale = Object.keys(zhCNFields)
    .map((key) => key.replace(/^settings\.field\./, ''))
    .filter((key) => !known.has(key));
  assert.deepEqual(stale, [], 'entries in zh-CN/fields.ts for settings the schema does not have');
});

test('the page builds its form in Chinese from the schema, and in English from the schema itself', async () => {
  const english = schemaFields().find((f) => f.path === 'camera.brightness')!;
  assert.equal(english.title, 'Brightness', 'English is the device schema, with no table of its own');
  await setLanguage('zh-CN');
  const fields = schemaFields();
  const brightness = fields.find((f) => f.path === 'camera.brightness')!;
  assert.equal(brightness.title, '亮度');
  assert.match(brightness.description, /^从 -1/);
  assert.deepEqual(sectionsOf(fields).map((s) => s.title), ['LED', '隐私输入']);
  const lens = fields.find((f) => f.path === 'camera.lensPosition')!;
  assert.match(rangeText(lens), /屈光度/, 'units in Chinese too');
  assert.doesNotMatch(rangeText(fields.find((f) => f.path === 'camera.shutterUs')!), /µs/);
});

test('every choice that is a word has a label in Chinese, and every unit a Chinese entry', async () => {
  await setLanguage('zh-CN');
  const unlabelled = schemaFields().flatMap((field) =>
    field.options.filter((option) => typeof option === 'string' && !/^[\d.]+$/.test(option) && !CJK.test(optionLabel(field, option) ?? '')).map((option) => `${field.path}: ${String(option)}`),
  );
  assert.deepEqual(unlabelled, []);
  for (const unit of settingUnits) assert.ok(`settings.unit.${unit}` in en, `settings.unit.${unit} is missing`);
});

test('the plain words for choices name options the schema has', () => {
  const options = new Set(schemaFields().flatMap((f) => f.options.map((o) => `${f.keys[f.keys.length - 1]}.${String(o)}`)));
  const stale = Object.keys(en)
    .filter((key) => key.startsWith('settings.option.'))
    .map((key) => key.slice('settings.option.'.length))
    .filter((option) => !options.has(option));
  assert.deepEqual(stale, []);
});

test("a rollback's cause: the device's English by its code, and each code in Chinese", async () => {
  const camera = configSchema.parse({}).camera;
  const causes = [
    rollbackCause({ undone: ['camera.tuningFile'], tried: { ...camera, tuningFile: '/x.json' }, line: '', exists: () => false }),
    rollbackCause({ undone: ['camera.tuningFile'], tried: { ...camera, tuningFile: '/x.json' }, line: '', exists: () => true }),
    rollbackCause({ undone: [], tried: camera, line: "unrecognised option '--low-latency'", exists: () => false }),
    rollbackCause({ undone: [], tried: { ...camera, width: 4056, height: 3040 }, line: 'failed to allocate capture buffers', exists: () => false }),
    rollbackCause({ undone: ['camera.width'], tried: { ...camera, width: 4608, height: 3456 }, line: 'larger than any mode', exists: () => false }),
    rollbackCause({ undone: ['camera.framerate'], tried: { ...camera, width: 1920, height: 1080, framerate: 60 }, line: '60 fps is too much', exists: () => false }),
    rollbackCause({ undone: ['camera.index'], tried: { ...camera, index: 3 }, line: 'no cameras available', exists: () => false }),
    rollbackCause({ undone: ['camera.hdr'], tried: { ...camera, hdr: 'sensor' }, line: 'HDR not supported', exists: () => false }),
  ].filter((c): c is RollbackCause => c !== undefined);
  assert.equal(new Set(causes.map((c) => c.code)).size, 8, 'every code once');
  const status = (c: RollbackCause) => ({ state: 'rolled-back' as const, message: '', cause: c.text, causeCode: c.code, causeParams: c.params });
  for (const c of causes) {
    const template = (en as Record<string, string>)[`settings.cause.${c.code}`];
    assert.ok(template, `settings.cause.${c.code} is missing`);
    assert.equal(interpolate(template, Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, String(v)]))), c.text, `${c.code}: the table's English says what the device says`);
    assert.equal(causeText(status(c)), c.text, 'in English, the device own words');
  }
  await setLanguage('zh-CN');
  for (const c of causes) assert.match(causeText(status(c)) ?? '', CJK, `${c.code} in Chinese`);
  assert.equal(causeText(status(causes[5]!)), '摄像头在 1920x1080 下无法达到 60 fps', 'sizes as the device wrote them, not grouped');
  assert.equal(causeText({ state: 'rolled-back', message: '', cause: 'something new', causeCode: 'not-known-here' }), 'something new', "an unknown code: the device's words");
});
