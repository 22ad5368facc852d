import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isTzif, isZoneName, zoneFromLink, zonesFromTzdata } from './zones.js';

// The device's time zone and whether its clock is synchronized, and setting the zone. Reading is
// a symlink and a file test, cheap enough for every status document; setting goes to systemd's
// own time service (systemd-timedated) over D-Bus through `timedatectl`, which picamd's sandbox
// allows (AF_UNIX) and which polkit decides: deploy/polkit/50-picamd-timezone.rules lets picamd's
// user set the time zone and nothing else (docs/install.md). ProtectClock= stays: picamd itself
// never touches the clock.

/** A file's modification time (a release's files keep their build time), or undefined. */
export function fileDate(file: URL | string): Date | undefined {
  try {
    return statSync(file).mtime;
  } catch {
    return undefined;
  }
}

export interface TimeState {
  /** IANA name, `UTC` when /etc/localtime names none. */
  timeZone: string;
  /** systemd-timesyncd has synchronized the clock; null when no timesyncd runs to say. */
  synchronized: boolean | null;
}

export type SetZoneResult =
  | { ok: true }
  /** Polkit said no (the rule is missing), or timedated is not there to ask. */
  | { ok: false; reason: 'not-permitted' | 'unavailable' | 'failed'; message: string };

/** The device's time settings: the narrow interface the web routes and the status use. */
export interface DeviceTime {
  state(): TimeState;
  /** The zones the device knows (timedatectl list-timezones). */
  zones(): string[];
  isZone(name: string): boolean;
  setTimeZone(name: string): Promise<SetZoneResult>;
}

export interface SystemTimeOptions {
  /** /etc/localtime */
  localtime: string;
  /** /usr/share/zoneinfo */
  zoneinfo: string;
  /** /run/systemd/timesync: systemd-timesyncd's directory; `synchronized` appears in it once it has synchronized. */
  timesync: string;
  /** `timedatectl` */
  timedatectl: string;
  /** How long `timedatectl` may take (polkit and timedated start on demand). */
  timeoutMs: number;
}

export const SYSTEM_TIME: SystemTimeOptions = {
  localtime: '/etc/localtime',
  zoneinfo: '/usr/share/zoneinfo',
  timesync: '/run/systemd/timesync',
  timedatectl: 'timedatectl',
  timeoutMs: 20_000,
};

export class SystemTime implements DeviceTime {
  private zoneList: string[] | undefined;

  constructor(private readonly options: SystemTimeOptions = SYSTEM_TIME) {}

  state(): TimeState {
    let timeZone = 'UTC';
    try {
      timeZone = zoneFromLink(readlinkSync(this.options.localtime)) ?? 'UTC';
    } catch {
      // No /etc/localtime, or not a link: UTC, as timedated says then.
    }
    const synchronized = existsSync(join(this.options.timesync, 'synchronized')) ? true : existsSync(this.options.timesync) ? false : null;
    return { timeZone, synchronized };
  }

  zones(): string[] {
    if (!this.zoneList) {
      try {
        this.zoneList = zonesFromTzdata(readFileSync(join(this.options.zoneinfo, 'tzdata.zi'), 'utf8'));
      } catch {
        this.zoneList = ['UTC'];
      }
    }
    return this.zoneList;
  }

  isZone(name: string): boolean {
    if (!isZoneName(name)) return false;
    const file = join(this.options.zoneinfo, name);
    try {
      if (!statSync(file).isFile()) return false;
      const head = Buffer.alloc(4);
      const fd = openSync(file, 'r');
      try {
        readSync(fd, head, 0, 4, 0);
      } finally {
        closeSync(fd);
      }
      return isTzif(head);
    } catch {
      return false;
    }
  }

  setTimeZone(name: string): Promise<SetZoneResult> {
    if (!this.isZone(name)) return Promise.resolve({ ok: false, reason: 'failed', message: `unknown time zone ${JSON.stringify(name)}` });
    return new Promise((resolve) => {
      // --no-ask-password: a refusal is an answer, never a prompt nobody sees.
      execFile(this.options.timedatectl, ['--no-ask-password', 'set-timezone', name], { timeout: this.options.timeoutMs }, (err, _stdout, stderr) => {
        if (!err) return resolve({ ok: true });
        const line = String(stderr).trim().split('\n').pop() || (err as Error).message;
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ ok: false, reason: 'unavailable', message: `${this.options.timedatectl} is not installed` });
        if (/access denied|not authorized|authentication (is )?required|interactive authentication/i.test(line)) return resolve({ ok: false, reason: 'not-permitted', message: line });
        if (/failed to (connect|create bus)|host is down|no such file|not been booted with systemd/i.test(line)) return resolve({ ok: false, reason: 'unavailable', message: line });
        resolve({ ok: false, reason: 'failed', message: line });
      });
    });
  }
}
