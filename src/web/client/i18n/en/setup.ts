import type { Area } from '../table.js';

export const setup = {
  'setup.placeholder': 'setup',
} satisfies Area<'setup'>;
