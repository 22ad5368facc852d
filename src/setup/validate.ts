import { z } from 'zod';
import { MIN_PASSWORD } from '../device/accounts/rules.js';
import type { ParsedSetupFile, SetupEntry, SetupKey } from './setup-file.js';

// From the setup file's entries to one checked request, or every reason it cannot be applied.
// Pure: the facts that live on the device (the country list, the time zones) come in as values.

export interface WifiRequest {
  ssid: string;
  /** null: an open network (no password). */
  psk: string | null;
  /** The network does not announce its name: NetworkManager must probe for it. */
  hidden: boolean;
}

export interface SetupRequest {
  wifi: WifiRequest | null;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string | null;
  hostname: string | null;
  owner: { name: string; password: string } | null;
  timezone: string | null;
}

export interface DeviceFacts {
  /** Codes from /usr/share/zoneinfo/iso3166.tab; null when the file is missing (any two letters pass). */
  countries: ReadonlySet<string> | null;
  /** Whether /usr/share/zoneinfo/<name> exists on the device. */
  zoneExists(name: string): boolean;
}

export type ValidationResult = { ok: true; request: SetupRequest } | { ok: false; problems: string[] };

/** The owner's password: the same minimum as the first-run screen (one rule, src/device/accounts/rules.ts). */
export const MIN_OWNER_PASSWORD = MIN_PASSWORD;
const MAX_OWNER_PASSWORD = 1024;

const CONTROL = /[\x00-\x1f\x7f]/;

const ssidSchema = z
  .string()
  .refine((s) => !CONTROL.test(s), 'must not contain control characters')
  .superRefine((s, ctx) => {
    const bytes = Buffer.byteLength(s, 'utf8');
    if (bytes > 32) ctx.addIssue({ code: 'custom', message: `a Wi-Fi name has at most 32 bytes; this one has ${bytes} (letters like é take 2)` });
  });

/** IEEE 802.11i: a passphrase of 8..63 printable ASCII characters, or the 256-bit key as 64 hex digits. */
const pskSchema = z.string().superRefine((s, ctx) => {
  if (/^[0-9a-fA-F]{64}$/.test(s)) return;
  if (s.length === 64) return void ctx.addIssue({ code: 'custom', message: 'a 64-character Wi-Fi key must be hex digits only (0-9, a-f); a passphrase has at most 63 characters' });
  if (/[^\x20-\x7e]/.test(s)) return void ctx.addIssue({ code: 'custom', message: 'a Wi-Fi password may only contain plain ASCII letters, digits, spaces and punctuation (WPA passphrase rule)' });
  if (s.length < 8) return void ctx.addIssue({ code: 'custom', message: `a Wi-Fi password needs at least 8 characters; this one has ${s.length}` });
  if (s.length > 63) ctx.addIssue({ code: 'custom', message: `a Wi-Fi password has at most 63 characters; this one has ${s.length}` });
});

/** A yes/no setting: the words a person writes for one. */
const yesNoSchema = z.string().transform((s, ctx) => {
  const word = s.toLowerCase();
  if (['yes', 'true', 'on'].includes(word)) return true;
  if (['no', 'false', 'off'].includes(word)) return false;
  ctx.addIssue({ code: 'custom', message: `"${s}" is not yes or no` });
  return z.NEVER;
});

/** RFC 1123 host name label; mDNS makes it <name>.local. */
const hostnameSchema = z
  .string()
  .max(63, 'a host name has at most 63 characters')
  .regex(/^[A-Za-z0-9-]+$/, 'a host name may only contain letters a-z, digits and "-" (no spaces, dots or underscores)')
  .refine((s) => !s.startsWith('-') && !s.endsWith('-'), 'a host name must not start or end with "-"')
  .refine((s) => !/^[0-9]+$/.test(s), 'a host name must not be only digits');

/** The same rule as server.auth.users[].name in the config. */
const ownerNameSchema = z
  .string()
  .max(64, 'an owner name has at most 64 characters')
  .regex(/^[^:\x00-\x1f\x7f]+$/, 'an owner name must not contain ":" or control characters');

const ownerPasswordSchema = z
  .string()
  .superRefine((s, ctx) => {
    const length = [...s].length;
    if (length < MIN_OWNER_PASSWORD) ctx.addIssue({ code: 'custom', message: `the owner password needs at least ${MIN_OWNER_PASSWORD} characters; this one has ${length}` });
    else if (s.trim() === '') ctx.addIssue({ code: 'custom', message: 'the owner password must not be only spaces' });
  })
  .refine((s) => s.length <= MAX_OWNER_PASSWORD, `the owner password has at most ${MAX_OWNER_PASSWORD} characters`)
  .refine((s) => !CONTROL.test(s), 'the owner password must not contain control characters');

/** tz database names: Area/Location, letters, digits, "_", "-", "+"; no "." segments. */
const timezoneSchema = z
  .string()
  .regex(/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+){0,2}$/, 'a time zone looks like Europe/Berlin or America/New_York (see the list in the file)');

function check<T>(schema: z.ZodType<T>, entry: SetupEntry, problems: string[]): T | null {
  const result = schema.safeParse(entry.value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) problems.push(`line ${entry.line}: ${entry.key}: ${issue.message}`);
  return null;
}

export function validateSetup(parsed: ParsedSetupFile, facts: DeviceFacts): ValidationResult {
  const problems = [...parsed.problems];
  const get = new Map<SetupKey, SetupEntry>(parsed.entries.map((e) => [e.key, e]));
  const entry = (key: SetupKey) => get.get(key);
  const need = (present: SetupKey, missing: SetupKey, why: string) => {
    const e = entry(present);
    if (e && !entry(missing)) problems.push(`line ${e.line}: ${present} needs ${missing} as well (${why})`);
  };

  let wifi: WifiRequest | null = null;
  const ssidEntry = entry('wifi_name');
  const pskEntry = entry('wifi_password');
  const ssid = ssidEntry ? check(ssidSchema, ssidEntry, problems) : null;
  const psk = pskEntry ? check(pskSchema, pskEntry, problems) : null;
  need('wifi_password', 'wifi_name', 'the name of the network the password is for');
  need('wifi_name', 'wifi_country', 'Raspberry Pi OS keeps Wi-Fi switched off until its country is set');
  need('wifi_hidden', 'wifi_name', 'the name of the hidden network');
  const hiddenEntry = entry('wifi_hidden');
  const hidden = hiddenEntry ? check(yesNoSchema, hiddenEntry, problems) : false;
  if (ssid !== null && (pskEntry === undefined || psk !== null) && hidden !== null) wifi = { ssid, psk, hidden };

  let country: string | null = null;
  const countryEntry = entry('wifi_country');
  if (countryEntry) {
    const code = countryEntry.value.toUpperCase();
    if (!/^[A-Z]{2}$/.test(code) || (facts.countries !== null && !facts.countries.has(code))) {
      problems.push(`line ${countryEntry.line}: wifi_country: "${countryEntry.value}" is not a two-letter ISO 3166 country code (e.g. GB, DE, US)`);
    } else {
      country = code;
    }
  }

  const hostEntry = entry('hostname');
  const hostname = hostEntry ? check(hostnameSchema, hostEntry, problems) : null;

  let owner: SetupRequest['owner'] = null;
  need('owner_name', 'owner_password', 'the owner logs in with both');
  need('owner_password', 'owner_name', 'the owner logs in with both');
  const nameEntry = entry('owner_name');
  const passwordEntry = entry('owner_password');
  const ownerName = nameEntry ? check(ownerNameSchema, nameEntry, problems) : null;
  const ownerPassword = passwordEntry ? check(ownerPasswordSchema, passwordEntry, problems) : null;
  if (ownerName !== null && ownerPassword !== null) owner = { name: ownerName, password: ownerPassword };

  let timezone: string | null = null;
  const zoneEntry = entry('timezone');
  if (zoneEntry) {
    const zone = check(timezoneSchema, zoneEntry, problems);
    if (zone !== null && !facts.zoneExists(zone)) {
      problems.push(`line ${zoneEntry.line}: timezone: "${zone}" is not a time zone this system knows (e.g. Europe/London, America/Chicago, UTC)`);
    } else {
      timezone = zone;
    }
  }

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, request: { wifi, country, hostname, owner, timezone } };
}
