import type { Area } from '../table.js';

export const users = {
  'users.placeholder': 'users',
} satisfies Area<'users'>;
