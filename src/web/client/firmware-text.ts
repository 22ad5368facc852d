// Every word of the Firmware card in one place, from the translation tables (area `firmware`).
// Getters and functions, so each word is looked up when it is shown, in the page's language (the
// table is loaded before anything renders, but after this module is).

import { t } from './i18n/translate.js';

export const FIRMWARE_TEXT = {
  get heading() {
    return t('firmware.heading');
  },
  running: (version: string) => t('firmware.running', { version }),
  get upload() {
    return t('firmware.upload');
  },
  get uploadHint() {
    return t('firmware.uploadHint');
  },
  get allowDowngrade() {
    return t('firmware.allowDowngrade');
  },
  goBack: (version: string) => t('firmware.goBack', { version }),
  goBackConfirm: (version: string) => t('firmware.goBackConfirm', { version }),
  get goBackYes() {
    return t('firmware.goBackYes');
  },
  get cancel() {
    return t('firmware.cancel');
  },
  get steps() {
    return {
      receiving: t('firmware.step.receiving'),
      verifying: t('firmware.step.verifying'),
      installing: t('firmware.step.installing'),
      restarting: t('firmware.step.restarting'),
      checking: t('firmware.step.checking'),
    };
  },
  receiving: (percent: number) => t('firmware.receiving', { percent }),
  verifying: (version: string) => (version ? t('firmware.verifying', { version }) : t('firmware.verifyingFile')),
  installing: (version: string) => t('firmware.installing', { version }),
  restarting: (version: string) => t('firmware.restarting', { version }),
  checking: (version: string) => t('firmware.checking', { version }),
  committed: (version: string) => t('firmware.committed', { version }),
  rolledBack: (version: string, reason: string) => t('firmware.rolledBack', { version, reason }),
  refused: (reason: string) => t('firmware.refused', { reason }),
  failed: (reason: string) => t('firmware.failed', { reason }),
  undone: (what: string) => t('firmware.undone', { what }),
  get downgradeHint() {
    return t('firmware.downgradeHint');
  },
  get unreachable() {
    return t('firmware.unreachable');
  },
  get uploadFailed() {
    return t('firmware.uploadFailed');
  },
};
