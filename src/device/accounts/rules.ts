import { z } from 'zod';
import { parsePasswordHash } from './password.js';

// What makes a user: a name, a scrypt hash, a role. One definition for the config file, the accounts
// file, the page's routes and picamd-setup.txt; the page learns the password minimum from the device.

export const ROLES = ['owner', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Passwords set on the device: long enough to resist guessing at a few tries a second. */
export const MIN_PASSWORD = 10;
/** Short enough for scrypt; picamd-setup.txt and `hash-password` allow longer lines. */
export const MAX_PASSWORD = 256;
export const MAX_USERS = 16;

export const userNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^:\x00-\x1f\x7f]+$/, 'must not contain ":" or control characters');

export const passwordHashSchema = z.string().superRefine((value, ctx) => {
  const parsed = parsePasswordHash(value);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

/** Why a new password is refused (`field: message`), or nothing. Counted in characters, not bytes. */
export function passwordProblems(field: string, password: string, max = MAX_PASSWORD): string[] {
  const length = [...password].length;
  // Ten spaces pass a length rule and are the first thing a guesser tries.
  if (length > 0 && password.trim() === '') return [`${field}: must not be only spaces`];
  if (length < MIN_PASSWORD) return [`${field}: must have at least ${MIN_PASSWORD} characters`];
  if (length > max) return [`${field}: must have at most ${max} characters`];
  return [];
}
