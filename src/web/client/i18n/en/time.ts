import type { Area } from '../table.js';

export const time = {
  'time.placeholder': 'time',
} satisfies Area<'time'>;
