// What the device says, in the page's language. The device answers in English with a code
// (`{"error": "privacy", "message": "…"}`): in English the page shows the device's own words, in
// another language the translation of the code, and the device's words when the code is not one
// the tables know (those stay English; docs/web.md lists them).

import { currentLanguage, t, type MessageKey } from './translate.js';

const BY_CODE: Readonly<Record<string, MessageKey>> = {
  'too-many-viewers': 'common.server.tooManyViewers',
  'not-set-up': 'common.server.notSetUp',
  'camera-in-mjpeg-mode': 'common.server.mjpegMode',
  'camera-in-h264-mode': 'common.server.h264Mode',
  privacy: 'common.server.privacy',
  'no-frame': 'common.server.noFrame',
  'privacy-switch-on': 'live.privacy.heldBySwitch',
  busy: 'login.busy',
  'owner-only': 'common.server.ownerOnly',
  'already-claimed': 'common.server.alreadyClaimed',
  'cross-origin': 'common.server.crossOrigin',
  'login-required': 'common.server.loginRequired',
};

/** The device's answer for a person: its message, or in another language its code's translation. */
export function deviceText(error: string | undefined, message: string | undefined, fallback: string): string {
  const key = error !== undefined && Object.prototype.hasOwnProperty.call(BY_CODE, error) ? BY_CODE[error] : undefined;
  if (currentLanguage() !== 'en' && key) return t(key);
  return message || (key ? t(key) : fallback);
}
