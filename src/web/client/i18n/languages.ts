// The languages the page speaks, and which one a browser gets: the choice made with the page's
// switch (kept in localStorage), else the first of the browser's languages the page has (by the
// whole tag, then by the language alone: zh-TW reads Simplified Chinese sooner than English), else
// English. Pure: the browser's values come in as parameters.

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language's name in itself, for the switch. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', 'zh-CN': '简体中文' };

/** The localStorage key of the switch's choice. */
export const LANGUAGE_STORAGE_KEY = 'picamd.language';

export function isLanguage(x: unknown): x is Language {
  return typeof x === 'string' && (LANGUAGES as readonly string[]).includes(x);
}

export function chooseLanguage(preferred: readonly string[], stored: string | null | undefined): Language {
  if (isLanguage(stored)) return stored;
  for (const tag of preferred) {
    const exact = LANGUAGES.find((language) => language.toLowerCase() === tag.toLowerCase());
    if (exact) return exact;
    const base = tag.split('-')[0]!.toLowerCase();
    const near = LANGUAGES.find((language) => language.split('-')[0]!.toLowerCase() === base);
    if (near) return near;
  }
  return 'en';
}

/**
 * The locale for numbers and dates: the browser's own tag when it is of the chosen language (en-GB
 * keeps its day-month order), else the language itself.
 */
export function formatLocale(language: Language, preferred: readonly string[]): string {
  const base = language.split('-')[0]!.toLowerCase();
  const own = preferred.find((tag) => tag.split('-')[0]!.toLowerCase() === base);
  return own && base !== 'zh' ? own : language;
}
