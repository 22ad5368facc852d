// The Settings view's strings (settings-view.ts, settings-form.ts): keys start with `settings.`.
import type { Area } from '../table.js';

export const settings = {
  'settings.heading': 'Settings',
  'settings.apply': 'Apply',
} satisfies Area<'settings'>;
