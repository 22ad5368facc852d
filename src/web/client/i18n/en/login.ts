import type { Area } from '../table.js';

export const login = {
  'login.placeholder': 'login',
} satisfies Area<'login'>;
