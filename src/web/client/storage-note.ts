import { formatNumber, t } from './i18n/translate.js';
import type { DeviceStatus } from '../api/types.js';

// The note in the Status card when the memory card needs attention, before any save has failed:
// full or read-only (nothing can be saved: settings, privacy, users), or low (no room for an update).

/** The note and its tone, or undefined while the card is fine, unknown, or not reported. */
export function storageNote(storage: DeviceStatus['storage']): { text: string; tone: 'bad' | 'busy' } | undefined {
  switch (storage?.state) {
    case 'read-only':
      return { text: t('live.storage.readOnly'), tone: 'bad' };
    case 'full':
      return { text: t('live.storage.full'), tone: 'bad' };
    case 'low':
      return { text: t('live.storage.low', { free: formatNumber(Math.floor(storage.freeMB ?? 0)) }), tone: 'busy' };
    default:
      return undefined;
  }
}
