import type { Config } from '../settings/schema.js';
import { parsePasswordHash, verifyPassword } from './password.js';

/** Whether `password` is `user`'s current password in `config` (a change of password asks for it). */
export async function checkUserPassword(config: Config, user: string, password: string): Promise<boolean> {
  const entry = config.server.auth?.users.find((u) => u.name === user);
  if (!entry) return false;
  const hash = parsePasswordHash(entry.passwordHash);
  return typeof hash !== 'string' && verifyPassword(password, hash);
}
