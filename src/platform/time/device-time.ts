import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isTzif, isZoneName, zoneFromLink, zonesFromTzdata } from './zones.js';

// The device's time zone and whether its clock is synchronized, and setting the zone. Reading is
// a symlink and a file test, cheap enough for every status document. Setting goes through a small
// root helper (deploy/picamd-timezone.sh, started by picamd-timezone.path), which asks systemd's
// own time service: picamd itself cannot, as dbus-daemon drops the system-bus connections of
// DynamicUser= services (systemd issue #22737), and its sandbox stays as it is (ProtectClock=yes).
// The request is one line in picamd's state directory; the answer a line in a file root owns.

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
  /** timedated said no, or there is nobody to ask (no helper, no time service). */
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
  /** Where picamd asks (its state directory); picamd-timezone.path watches it. */
  request: string;
  /** Where the helper answers (root's). */
  result: string;
  /** The helper's path unit: without it nobody would answer. */
  helper: string;
  /** How long the helper may take (timedated starts on demand). */
  timeoutMs: number;
  pollMs: number;
}

export const SYSTEM_TIME: SystemTimeOptions = {
  localtime: '/etc/localtime',
  zoneinfo: '/usr/share/zoneinfo',
  timesync: '/run/systemd/timesync',
  request: '/var/lib/picamd/time-zone/request',
  result: '/var/lib/picamd-timezone/result',
  helper: '/etc/systemd/system/picamd-timezone.path',
  timeoutMs: 20_000,
  pollMs: 200,
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

  async setTimeZone(name: string): Promise<SetZoneResult> {
    const { request, result, helper, timeoutMs, pollMs } = this.options;
    if (!this.isZone(name)) return { ok: false, reason: 'failed', message: `unknown time zone ${JSON.stringify(name)}` };
    if (!existsSync(helper)) return { ok: false, reason: 'unavailable', message: `the time zone helper is not installed (${helper}; install.sh installs it)` };
    const id = randomBytes(8).toString('hex');
    mkdirSync(dirname(request), { recursive: true });
    // Whole or not at all: the path unit starts the helper when the file appears.
    writeFileSync(`${request}.tmp`, `${name} ${id}\n`, { mode: 0o600 });
    renameSync(`${request}.tmp`, request);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      const answer = readAnswer(result, id);
      if (answer === undefined) continue;
      if (answer === 'ok') return { ok: true };
      if (answer === 'not-a-zone') return { ok: false, reason: 'failed', message: `the device does not know the time zone ${JSON.stringify(name)}` };
      const line = answer.replace(/^failed: /, '');
      const reason = /access denied|not authorized|authentication/i.test(line) ? 'not-permitted' : /connect|bus|not been booted/i.test(line) ? 'unavailable' : 'failed';
      return { ok: false, reason, message: line };
    }
    return { ok: false, reason: 'unavailable', message: `no answer from picamd-timezone.service within ${Math.round(timeoutMs / 1000)} s` };
  }
}

/** The helper's answer to request `id`: `ok`, `not-a-zone`, `failed: …`; undefined before it answered. */
export function readAnswer(file: string, id: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n')[0] ?? '';
  return line.startsWith(`${id} `) ? line.slice(id.length + 1) : undefined;
}
