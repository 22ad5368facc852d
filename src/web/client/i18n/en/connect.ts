import type { Area } from '../table.js';

export const connect = {
  'connect.placeholder': 'connect',
} satisfies Area<'connect'>;
