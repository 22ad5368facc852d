import type { settings as english } from '../en/settings.js';
import type { Table } from '../table.js';

export const settings: Table<typeof english> = {
  'settings.heading': '设置',
  'settings.apply': '应用',

};
