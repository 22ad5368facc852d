import type { live as english } from '../en/live.js';
import type { Table } from '../table.js';

export const live: Table<typeof english> = {
  'live.placeholder': 'live',
};
