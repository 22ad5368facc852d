// The root-owned updater's status.json (deploy/picamd-update.sh writes it in
// /var/lib/picamd-update, which picamd may read): what happened to the last update, for
// /api/status and the page. Anything unreadable or out of shape reads as no update at all.
import { readFileSync } from 'node:fs';

export const UPDATE_STATUS_FILE = '/var/lib/picamd-update/status.json';

const STATES = ['verifying', 'installing', 'trial', 'checking', 'committed', 'rolled-back', 'refused', 'failed'] as const;

export interface UpdateStatus {
  state: (typeof STATES)[number];
  /** The version the update installs ('' while it is being checked). */
  version: string;
  /** The version it replaces (or that was running when it was refused). */
  from: string;
  /** Why it was refused, failed or rolled back; '' otherwise. */
  reason: string;
  /** When the updater wrote this, ISO 8601 UTC. */
  at: string;
}

export function parseUpdateStatus(text: string): UpdateStatus | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!STATES.includes(v.state as UpdateStatus['state'])) return null;
  const text1 = (key: string) => (typeof v[key] === 'string' ? (v[key] as string).slice(0, 500) : '');
  return { state: v.state as UpdateStatus['state'], version: text1('version'), from: text1('from'), reason: text1('reason'), at: text1('at') };
}

/** The last update's status, or null when there was none (or the file cannot be read). */
export function readUpdateStatus(file = UPDATE_STATUS_FILE): UpdateStatus | null {
  try {
    return parseUpdateStatus(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
