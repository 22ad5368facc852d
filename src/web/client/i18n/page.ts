// The page in the chosen language: picks it from the switch's saved choice or the browser's
// languages, translates the page's fixed text (elements marked `data-i18n="key"`, attributes marked
// `data-i18n-attr="aria-label:key title:key"`), and runs the language switch. A new choice reloads
// the page, so every view renders once in one language instead of each keeping its own copy.

import { chooseLanguage, formatLocale, LANGUAGE_NAMES, LANGUAGE_STORAGE_KEY, LANGUAGES, isLanguage, type Language } from './languages.js';
import { t, useLanguage, type MessageKey } from './translate.js';

function storedLanguage(): string | null {
  try {
    return window.localStorage.getItem(LANGUAGE_STORAGE_KEY);
  } catch {
    return null; // storage blocked (a private window, a policy): the browser's languages decide
  }
}

/** Picks the language for this page load and translates the page's fixed text. */
export function startLanguage(doc: Document = document): Language {
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  const language = chooseLanguage(preferred, storedLanguage());
  useLanguage(language, formatLocale(language, preferred));
  doc.documentElement.lang = language;
  translatePage(doc);
  for (const select of doc.querySelectorAll<HTMLSelectElement>('select[data-language-switch]')) mountSwitch(select, language);
  return language;
}

export function translatePage(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n as MessageKey);
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr!.trim().split(/\s+/)) {
      const [attribute, key] = pair.split(':');
      if (attribute && key) el.setAttribute(attribute, t(key as MessageKey));
    }
  }
}

function mountSwitch(select: HTMLSelectElement, language: Language): void {
  select.replaceChildren(
    ...LANGUAGES.map((code) => {
      const option = new Option(LANGUAGE_NAMES[code], code, false, code === language);
      option.lang = code;
      return option;
    }),
  );
  select.addEventListener('change', () => {
    if (!isLanguage(select.value)) return;
    try {
      window.localStorage.setItem(LANGUAGE_STORAGE_KEY, select.value);
    } catch {
      // Storage blocked: a reload could not keep the choice, so the page stays as it is.
      select.value = language;
      return;
    }
    location.reload();
  });
}
