import type { connect as english } from '../en/connect.js';
import type { Table } from '../table.js';

export const connect: Table<typeof english> = {
  'connect.placeholder': 'connect',
};
