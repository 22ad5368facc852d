import type { AccountsResult, AccountsStore } from '../device/accounts/store.js';
import type { SettingsStore } from '../device/settings/store.js';
import type { Logger } from '../platform/log/logger.js';
import { errorText } from '../platform/errors.js';

// The first-run claim across the two stores that hold its parts: the owner goes to the accounts
// store first (that write is the claim: from then on the device asks for a login), then the
// device's name and the open-viewing choice to the settings store. If that second write fails,
// the device has its owner and the log says what was not saved; the owner sets it on the page.

export interface ClaimRequest {
  name: string;
  passwordHash: string;
  /** What passwordHash was made from, for the owner's Digest HA1 (RTSP, ONVIF). */
  password?: string;
  deviceName?: string;
  openViewing?: boolean;
}

export interface DeviceClaim {
  /** An owner exists, or open viewing was chosen, or the accounts are locked. */
  readonly claimed: boolean;
  readonly openViewing: boolean;
  claim(owner: ClaimRequest): Promise<AccountsResult>;
}

export function deviceClaim(
  accounts: Pick<AccountsStore, 'claimed' | 'claim'>,
  settings: Pick<SettingsStore, 'openViewing' | 'update' | 'problemsOf' | 'setOpenViewing'>,
  logger: Logger,
): DeviceClaim {
  return {
    get claimed() {
      return accounts.claimed || settings.openViewing;
    },
    get openViewing() {
      return settings.openViewing;
    },
    async claim(owner) {
      if (settings.openViewing) return { ok: false, status: 409, error: 'already-claimed', message: 'the device has already been set up' };
      const server: Record<string, unknown> = {};
      if (owner.deviceName !== undefined) server.deviceName = owner.deviceName;
      if (owner.openViewing !== undefined) server.openViewing = owner.openViewing;
      // Checked before anything is written, so a bad name leaves the device unclaimed.
      const problems = settings.problemsOf({ server }).map((p) => p.replace(/^server\./, ''));
      if (problems.length > 0) return { ok: false, status: 400, error: 'invalid', message: 'the device was not set up', problems };
      const result = await accounts.claim({ name: owner.name, passwordHash: owner.passwordHash, password: owner.password });
      if (!result.ok || Object.keys(server).length === 0) return result;
      try {
        // Open viewing goes its own way even here: an update never switches it on (store.ts); this
        // is the first-run screen's explicit choice.
        const { openViewing, ...rest } = server;
        let saved = Object.keys(rest).length > 0 ? await settings.update({ server: rest }, { mode: 'patch' }) : undefined;
        if ((saved === undefined || saved.ok) && openViewing === true) saved = await settings.setOpenViewing(true);
        if (saved && !saved.ok) logger.error(`set up: the owner is saved, the device name and open viewing are not: ${saved.message}`);
      } catch (err) {
        logger.error(`set up: the owner is saved, the device name and open viewing are not: ${errorText(err)}`);
      }
      return result;
    },
  };
}
