// User names and new passwords, checked as the device checks them (src/device/settings/schema.ts: names
// without ":" or control characters, at most 64 characters; passwords of at least 10), so a
// mistake is shown before anything is sent. Used by the first-run form and the Users section.

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_NAME_LENGTH = 64;

const length = (s: string) => [...s].length;

/** Why a user name is refused, or undefined. */
export function userNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'Enter a user name.';
  if (length(name) > MAX_NAME_LENGTH) return `At most ${MAX_NAME_LENGTH} characters.`;
  if (/[:\x00-\x1f\x7f]/.test(name)) return 'No ":" and no control characters.';
  if (name !== name.trim()) return 'No spaces at the start or the end.';
  return undefined;
}

/** Why a new password (typed twice) is refused, by field. */
export function newPasswordProblems(password: string, again: string): Partial<Record<'password' | 'password2', string>> {
  const problems: Partial<Record<'password' | 'password2', string>> = {};
  if (length(password) < MIN_PASSWORD_LENGTH) problems.password = `At least ${MIN_PASSWORD_LENGTH} characters (${length(password)} so far).`;
  else if (password.trim() === '') problems.password = 'Not only spaces.';
  else if (again !== password) problems.password2 = 'The two passwords differ.';
  return problems;
}
