import type { users as english } from '../en/users.js';
import type { Table } from '../table.js';

export const users: Table<typeof english> = {
  'users.placeholder': 'users',
};
