// t(key, params): the page's strings in the chosen language, with `{name}` filled in (numbers
// through Intl, in the language's own digits and separators), and the Intl formatters for numbers,
// units and dates. No library: lookup and interpolation are a few lines, and Intl does the rest.
// Nothing here touches the DOM or the browser's globals, so the views' pure parts run under Node
// (in English unless a test picks a language).

import { en } from './en/index.js';
import type { Language } from './languages.js';
import type { Table } from './table.js';
import { zhCN } from './zh-CN/index.js';

export type MessageKey = keyof typeof en;
export type Params = Readonly<Record<string, string | number>>;

const TABLES: Record<Language, Table<typeof en>> = { en, 'zh-CN': zhCN };

let current: Language = 'en';
let locale = 'en';
const numberFormats = new Map<string, Intl.NumberFormat>();

/** Switches every t() and formatter to `language`; `formatTag` is the locale for numbers and dates. */
export function useLanguage(language: Language, formatTag: string = language): void {
  current = language;
  locale = Intl.NumberFormat.supportedLocalesOf([formatTag]).length > 0 ? formatTag : language;
  numberFormats.clear();
}

export function currentLanguage(): Language {
  return current;
}

export function t(key: MessageKey, params?: Params): string {
  const template = TABLES[current][key] ?? en[key] ?? key;
  return params ? interpolate(template, params) : template;
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
