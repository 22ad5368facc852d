import type { setup as english } from '../en/setup.js';
import type { Table } from '../table.js';

export const setup: Table<typeof english> = {
  'setup.placeholder': 'setup',
};
