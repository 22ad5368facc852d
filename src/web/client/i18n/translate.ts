// t(key, params): the page's strings in the chosen language, with `{name}` filled in (numbers
// through Intl, in the language's own digits and separators), and the Intl formatters for numbers,
// units and dates. No library: lookup and interpolation are a few lines, and Intl does the rest.
// Nothing here touches the DOM or the browser's globals, so the views' pure parts run under Node
// (in English unless a test picks a language). English is always here (every other table falls
// back to it); another language's table is fetched only when it is chosen, so a page in English
// loads no Chinese and the reverse costs one table.

import { en } from './en/index.js';
import type { Language } from './languages.js';
import type { FieldTable, Table } from './table.js';

export type MessageKey = keyof typeof en;
export type Params = Readonly<Record<string, string | number>>;

const TABLES: Partial<Record<Language, Table<typeof en>>> = { en };
/** The settings' own words by language; English has none (the device's schema is the English). */
const FIELD_TABLES: Partial<Record<Language, FieldTable>> = {};

/** The other languages' tables, each typed against English in its own index.ts, and their settings' words. */
const LOADERS: Record<Exclude<Language, 'en'>, () => Promise<{ table: Table<typeof en>; fields: FieldTable }>> = {
  'zh-CN': () => import('./zh-CN/index.js').then((module) => ({ table: module.zhCN, fields: module.zhCNFields })),
};

/** Fetches `language`'s table once; false when it could not be had (the page then speaks English). */
export async function loadLanguage(language: Language): Promise<boolean> {
  if (TABLES[language]) return true;
  try {
    const { table, fields } = await LOADERS[language as Exclude<Language, 'en'>]();
    TABLES[language] = table;
    FIELD_TABLES[language] = fields;
    return true;
  } catch {
    return false;
  }
}

/** loadLanguage() and useLanguage() together; English when the table cannot be had. */
export async function setLanguage(language: Language, formatTag: string = language): Promise<Language> {
  const chosen = (await loadLanguage(language)) ? language : 'en';
  useLanguage(chosen, chosen === language ? formatTag : chosen);
  return chosen;
}

let current: Language = 'en';
let locale = 'en';
const numberFormats = new Map<string, Intl.NumberFormat>();
let listFormat: Intl.ListFormat | undefined;

/** Switches every t() and formatter to `language`; `formatTag` is the locale for numbers and dates. */
export function useLanguage(language: Language, formatTag: string = language): void {
  current = language;
  locale = Intl.NumberFormat.supportedLocalesOf([formatTag]).length > 0 ? formatTag : language;
  numberFormats.clear();
  listFormat = undefined;
}

export function currentLanguage(): Language {
  return current;
}

export function t(key: MessageKey, params?: Params): string {
  const template = TABLES[current]?.[key] ?? en[key] ?? key;
  return params ? interpolate(template, params) : template;
}

/**
 * A setting's words in the page's language (`part`: `title`, `description`), by its dotted path;
 * undefined when the language has none, and the page then shows the device's English.
 */
export function fieldText(path: string, part: string): string | undefined {
  const table = FIELD_TABLES[current];
  const key = `settings.field.${path}.${part}` as const;
  return table && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/** `{name}` from `params`; a number goes through Intl; an unknown name stays as it is. */
export function interpolate(template: string, params: Params): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? formatNumber(value) : value;
  });
}

export function formatNumber(value: number, options: Intl.NumberFormatOptions = {}): string {
  const cacheKey = JSON.stringify(options);
  let format = numberFormats.get(cacheKey);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    numberFormats.set(cacheKey, format);
  }
  return format.format(value);
}

/**
 * Items joined as the language joins a list: "a, b and c" in English, "a、b和c" in Chinese
 * (Intl.ListFormat, in every browser since 2021; a plain join where it is missing).
 */
export function formatList(items: readonly string[]): string {
  if (typeof Intl.ListFormat !== 'function') return items.join(', ');
  listFormat ??= new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' });
  return listFormat.format(items);
}

/** A value with its unit in the language's words: `12 min`, `12分钟`, `3.2 MB`. */
export function formatUnit(value: number, unit: string, options: Intl.NumberFormatOptions = {}): string {
  return formatNumber(value, { style: 'unit', unit, unitDisplay: 'short', ...options });
}

/**
 * A date and time in the language's order, in `timeZone` (an IANA name) when given and known to
 * the browser, else in the browser's own.
 */
export function formatDateTime(at: Date | number, options: Intl.DateTimeFormatOptions & { timeZone?: string } = {}): string {
  const wanted: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'medium', ...options };
  try {
    return new Intl.DateTimeFormat(locale, wanted).format(at);
  } catch {
    // A zone this browser does not know (RangeError): the browser's own zone rather than nothing.
    return new Intl.DateTimeFormat(locale, { ...wanted, timeZone: undefined }).format(at);
  }
}

/** A time zone's name in the page's language (`Central European Standard Time`, `中国标准时间`); the IANA name when Intl has none. */
export function formatZoneName(timeZone: string, at: Date | number = Date.now()): string {
  try {
    const part = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'long' }).formatToParts(at).find((p) => p.type === 'timeZoneName');
    return part && !/^GMT[+-]/.test(part.value) ? part.value : timeZone;
  } catch {
    return timeZone;
  }
}
