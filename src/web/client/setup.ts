// The first-run form's pure part: what the owner typed, checked before it is sent, the POST
// /api/setup body, and the device's problems by field.

import { MAX_NAME_LENGTH, newPasswordProblems, userNameProblem } from './credentials.js';
import { t } from './i18n/translate.js';

export interface SetupInput {
  user: string;
  password: string;
  password2: string;
  deviceName: string;
  openViewing: boolean;
}

export type SetupField = 'user' | 'password' | 'password2' | 'deviceName';

export function validateSetup(input: SetupInput, passwordMinimum?: number): Partial<Record<SetupField, string>> {
  const problems: Partial<Record<SetupField, string>> = { ...newPasswordProblems(input.password, input.password2, passwordMinimum) };
  const user = userNameProblem(input.user);
  if (user) problems.user = user;
  if (input.deviceName.trim() === '') problems.deviceName = t('setup.check.deviceName');
  else if ([...input.deviceName.trim()].length > MAX_NAME_LENGTH) problems.deviceName = t('setup.check.maximum', { maximum: MAX_NAME_LENGTH });
  return problems;
}

/** The POST /api/setup body. */
export function setupRequest(input: SetupInput) {
  return { user: input.user, password: input.password, deviceName: input.deviceName.trim(), openViewing: input.openViewing };
}

/** The device's problems (`"user: must not contain ..."`) by form field; the rest as general lines. */
export function setupProblems(problems: readonly string[]): { byField: Partial<Record<SetupField, string>>; general: string[] } {
  const byField: Partial<Record<SetupField, string>> = {};
  const general: string[] = [];
  for (const problem of problems) {
    const match = /^(user|password|deviceName)(?:\.[^:]*)?: (.*)$/.exec(problem);
    if (match) {
      const field = match[1] as SetupField;
      byField[field] = byField[field] ? `${byField[field]} ${match[2]}` : match[2];
    } else {
      general.push(problem);
    }
  }
  return { byField, general };
}
