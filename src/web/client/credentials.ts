// User names and new passwords, checked as the device checks them (src/device/accounts/rules.ts: names
// without ":" or control characters, at most 64 characters; passwords of at least the minimum the
// device names in GET /api/setup and GET /api/me), so a mistake is shown before anything is sent.
// Used by the first-run form and the Users section.

import { t } from './i18n/translate.js';

export const MAX_NAME_LENGTH = 64;

/** The hint under a new-password field. */
export function passwordHint(minimum: number): string {
  return t('setup.check.minimum', { minimum });
}

const length = (s: string) => [...s].length;

/** Why a user name is refused, or undefined. */
export function userNameProblem(name: string): string | undefined {
  if (name.trim() === '') return t('setup.check.userEmpty');
  if (length(name) > MAX_NAME_LENGTH) return t('setup.check.maximum', { maximum: MAX_NAME_LENGTH });
  if (/[:\x00-\x1f\x7f]/.test(name)) return t('setup.check.userCharacters');
  if (name !== name.trim()) return t('setup.check.userSpaces');
  return undefined;
}

/**
 * Why a new password (typed twice) is refused, by field. `minimum` is the device's; a device that
 * does not say (an older one) checks it itself, and the page shows its answer.
 */
export function newPasswordProblems(password: string, again: string, minimum = 1): Partial<Record<'password' | 'password2', string>> {
  const problems: Partial<Record<'password' | 'password2', string>> = {};
  if (length(password) < minimum) problems.password = t('setup.check.passwordShort', { minimum, length: length(password) });
  else if (password.trim() === '') problems.password = t('setup.check.passwordSpaces');
  else if (again !== password) problems.password2 = t('setup.check.passwordsDiffer');
  return problems;
}
