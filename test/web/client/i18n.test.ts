// The translation tables and the language choice, under Node: every language has every key (tsc
// checks that too; this also runs on the built tables), the same `{placeholders}` in each
// language, every key the HTML names exists, and the browser's languages pick the right table.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { en } from '../../../src/web/client/i18n/en/index.js';
import { chooseLanguage, formatLocale } from '../../../src/web/client/i18n/languages.js';
import { formatDateTime, interpolate, t, useLanguage } from '../../../src/web/client/i18n/translate.js';
import { zhCN } from '../../../src/web/client/i18n/zh-CN/index.js';
import { projectRoot } from '../../fakes/app.js';

afterEach(() => useLanguage('en'));

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('Simplified Chinese has exactly the English keys, none empty, with the same placeholders', () => {
  assert.deepEqual(Object.keys(zhCN).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en) as Array<keyof typeof en>) {
    assert.notEqual(zhCN[key].trim(), '', `${key} is empty`);
    assert.deepEqual(placeholders(zhCN[key]), placeholders(en[key]), `${key}: the placeholders differ`);
  }
});

test('every key the pages name in their HTML exists', () => {
  const html = ['index.html', 'login.html'].map((page) => readFileSync(join(projectRoot, 'src/web/static', page), 'utf8')).join('\n');
  const keys = [
    ...[...html.matchAll(/data-i18n="([^"]+)"/g)].map((m) => m[1]!),
    ...[...html.matchAll(/data-i18n-attr="([^"]+)"/g)].flatMap((m) => m[1]!.trim().split(/\s+/).map((pair) => pair.split(':')[1]!)),
  ];
  assert.ok(keys.length > 0, 'the page names keys');
  assert.deepEqual(keys.filter((key) => !(key in en)), []);
});

test('t() fills placeholders, numbers in the language’s format', () => {
  assert.equal(t('common.httpStatus', { status: 503 }), 'The device answered HTTP 503.');
  useLanguage('zh-CN');
  assert.equal(t('common.httpStatus', { status: 503 }), '设备返回了 HTTP 503。');
  useLanguage('en', 'de-DE');
  assert.equal(interpolate('{n} of {max}', { n: 1234.5, max: 'many' }), '1.234,5 of many');
  assert.equal(interpolate('{missing}', {}), '{missing}', 'an unknown placeholder shows, so the mistake is visible');
});

test('the language: the saved choice, else the browser’s first the page has, else English', () => {
  assert.equal(chooseLanguage(['zh-CN', 'en'], null), 'zh-CN');
  assert.equal(chooseLanguage(['zh'], null), 'zh-CN');
  assert.equal(chooseLanguage(['zh-TW', 'en-US'], null), 'zh-CN');
  assert.equal(chooseLanguage(['de-DE', 'en-GB'], null), 'en');
  assert.equal(chooseLanguage(['fr'], null), 'en');
  assert.equal(chooseLanguage(['zh-CN'], 'en'), 'en', 'the switch wins');
  assert.equal(chooseLanguage(['zh-CN'], 'klingon'), 'zh-CN', 'a stored value the page does not have is ignored');
  assert.equal(formatLocale('en', ['en-GB', 'zh-CN']), 'en-GB');
  assert.equal(formatLocale('zh-CN', ['zh-TW']), 'zh-CN');
});

test('dates in the given time zone, and the browser’s own for a zone it does not know', () => {
  const at = Date.parse('2026-12-07T05:00:00Z');
  assert.match(formatDateTime(at, { timeZone: 'Asia/Shanghai' }), /1:00:00\s?PM/);
  assert.doesNotThrow(() => formatDateTime(at, { timeZone: 'Not/AZone' }));
  useLanguage('zh-CN');
  assert.match(formatDateTime(at, { timeZone: 'Asia/Shanghai' }), /2026年12月7日 13:00:00/);
});
