import type { login as english } from '../en/login.js';
import type { Table } from '../table.js';

export const login: Table<typeof english> = {
  'login.placeholder': 'login',
};
