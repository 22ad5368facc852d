import { wifiKeyfile } from './network-keyfile.js';
import { accountsFileFor, accountsTextWithOwner, type LegacyUsers } from '../device/accounts/store.js';
import { NETWORK_MANAGER_STATE_FILE, stateWithWirelessOn } from './network-manager-state.js';
import {
  CLOUD_INIT_HOSTNAME_DROP_IN,
  CLOUD_INIT_HOSTNAME_TEXT,
  cmdlineWithCountry,
  hostnameFile,
  hostsFile,
  RFKILL_DIR,
  rfkillWlanFiles,
  timezoneFiles,
} from './system-files.js';
import type { SetupRequest } from './validate.js';

// Everything the setup file changes on the device, as a list of files, links and commands: pure,
// so each writer is tested by its text, and the I/O layer (apply.ts) only carries the list out.

export interface FileWrite {
  /** Path on the device (the I/O layer puts the root prefix in front). */
  path: string;
  content: string;
  mode: number;
  /** Owned by the owner of its directory (picamd's state directory belongs to the service's user). */
  ownerFromDirectory?: boolean;
}

export interface SetupPlan {
  writes: FileWrite[];
  links: Array<{ path: string; target: string }>;
  /** Run only on the live system (root /), best effort: they make a change take effect without a reboot. */
  commands: string[][];
  /** One line per applied part, for the journal. */
  summary: string[];
}

/** What the plan depends on that is read from the device first. */
export interface CurrentFiles {
  hosts: string | null;
  cmdline: string | null;
  /** Names in /var/lib/systemd/rfkill. */
  rfkill: string[];
  /** accounts.json's text, null when there is none (only read for an owner). */
  accounts: string | null;
  /** The users an older version's settings.json holds (read when there is no accounts.json). */
  legacyUsers: LegacyUsers;
  /** NetworkManager's state file (network-manager-state.ts); null when there is none. */
  networkManagerState: string | null;
  /** Whether cloud-init is installed (/etc/cloud/cloud.cfg.d exists): Trixie images from late 2025. */
  cloudInit: boolean;
}

export interface PlanContext {
  /** Where the boot partition is mounted on the device, e.g. /boot/firmware. */
  bootDir: string;
  settingsFile: string;
  /** The owner's scrypt hash (src/device/accounts/password.ts), made by the caller when the request has an owner. */
  ownerHash: string | null;
  /** ISO time for the accounts file's savedAt. */
  now: string;
}

export type PlanResult = { ok: true; plan: SetupPlan } | { ok: false; problems: string[] };

export function planSetup(request: SetupRequest, current: CurrentFiles, ctx: PlanContext): PlanResult {
  const plan: SetupPlan = { writes: [], links: [], commands: [], summary: [] };
  const problems: string[] = [];

  if (request.country) {
    if (current.cmdline === null) {
      problems.push(`wifi_country: there is no cmdline.txt in ${ctx.bootDir} to set the Wi-Fi country in`);
    } else {
      plan.writes.push({ path: `${ctx.bootDir}/cmdline.txt`, content: cmdlineWithCountry(current.cmdline, request.country), mode: 0o755 });
      for (const name of rfkillWlanFiles(current.rfkill)) plan.writes.push({ path: `${RFKILL_DIR}/${name}`, content: '0\n', mode: 0o644 });
      // NetworkManager, which starts after us, would block the radio again while its state says off.
      plan.writes.push({ path: NETWORK_MANAGER_STATE_FILE, content: stateWithWirelessOn(current.networkManagerState), mode: 0o644 });
      plan.commands.push(['iw', 'reg', 'set', request.country], ['rfkill', 'unblock', 'wifi']);
      plan.summary.push(`Wi-Fi country ${request.country} (radio unblocked, NetworkManager's Wi-Fi switched on)`);
    }
  }
  if (request.wifi) {
    const keyfile = wifiKeyfile(request.wifi);
    plan.writes.push({ path: keyfile.path, content: keyfile.content, mode: 0o600 });
    const kind = `${request.wifi.psk === null ? 'open network' : 'WPA-PSK'}${request.wifi.hidden ? ', hidden' : ''}`;
    plan.summary.push(`Wi-Fi "${request.wifi.ssid}" (${kind}) in ${keyfile.path}`);
  }
  if (request.hostname) {
    plan.writes.push(
      { path: '/etc/hostname', content: hostnameFile(request.hostname), mode: 0o644 },
      { path: '/etc/hosts', content: hostsFile(current.hosts, request.hostname), mode: 0o644 },
    );
    // The setup file wins over Imager's customisation (docs/install.md): cloud-init must not set Imager's.
    if (current.cloudInit) plan.writes.push({ path: CLOUD_INIT_HOSTNAME_DROP_IN, content: CLOUD_INIT_HOSTNAME_TEXT, mode: 0o644 });
    plan.commands.push(['hostname', request.hostname]);
    plan.summary.push(`host name ${request.hostname} (http://${request.hostname}.local/)${current.cloudInit ? ', kept by cloud-init' : ''}`);
  }
  if (request.timezone) {
    const tz = timezoneFiles(request.timezone);
    plan.writes.push({ path: '/etc/timezone', content: tz.timezone, mode: 0o644 });
    plan.links.push({ path: '/etc/localtime', target: tz.localtimeTarget });
    plan.summary.push(`time zone ${request.timezone}`);
  }
  if (request.owner) {
    const accountsFile = accountsFileFor(ctx.settingsFile);
    const legacy = current.legacyUsers;
    if (ctx.ownerHash === null) {
      problems.push('owner: no password hash was made');
    } else if (current.accounts === null && legacy.kind === 'unreadable') {
      // Its users (an older version kept them there) would be lost; the detail is in picamd's own log.
      problems.push(`owner: ${ctx.settingsFile} cannot be read, so its users cannot be carried over. Move it away to start from defaults.`);
    } else {
      const owner = { name: request.owner.name, passwordHash: ctx.ownerHash };
      const next = accountsTextWithOwner(current.accounts, legacy.kind === 'users' ? legacy.users : [], owner, new Date(ctx.now));
      if (!next.ok) {
        problems.push(`owner: ${accountsFile} cannot be read: ${next.reason}. Run \`picamd reset-owner\` to start without users.`);
      } else {
        plan.writes.push({ path: accountsFile, content: next.text, mode: 0o600, ownerFromDirectory: true });
        plan.summary.push(`owner ${request.owner.name} (password set)`);
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, plan };
}
