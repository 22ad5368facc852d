import type { Area } from '../table.js';

export const live = {
  'live.placeholder': 'live',
} satisfies Area<'live'>;
