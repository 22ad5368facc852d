import type { time as english } from '../en/time.js';
import type { Table } from '../table.js';

export const time: Table<typeof english> = {
  'time.placeholder': 'time',
};
