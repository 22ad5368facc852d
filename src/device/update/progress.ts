// The update's state as the page shows it: picamd's own part (receiving the file, checking it,
// handing it over) until the root updater has taken it, then the updater's status.json (verifying,
// installing, trial while picamd restarts, checking, then committed, rolled back, refused or failed).
import { parseUpdateStatus, type UpdateStatus } from './status-file.js';

export interface LocalUpdateState {
  state: 'idle' | 'receiving' | 'verifying' | 'handed-over' | 'refused';
  received: number;
  total: number;
  version: string;
  from: string;
  reason: string;
  at: string;
  /** The updater's status.json when the file was handed over or refused: a change means the updater moved on. */
  updaterText: string;
}

export interface UpdateView {
  state: 'receiving' | 'verifying' | UpdateStatus['state'];
  version: string;
  from: string;
  reason: string;
  at: string;
  /** While receiving: bytes so far and in all. */
  received?: number;
  total?: number;
  /**
   * What the last rollback undid of the device's state, in plain words: what a newer version changed
   * and this one's settings and accounts formats cannot hold (their copies' notes). Absent: nothing.
   */
  undone?: string[];
}

export function mergeUpdateStatus(local: LocalUpdateState | null, updaterText: string): UpdateView | null {
  const updater = parseUpdateStatus(updaterText);
  const { state, version, from, reason, at } = local ?? { state: 'idle' };
  if (local && (state === 'receiving' || state === 'verifying')) {
    return state === 'receiving' ? { state, version, from, reason, at, received: local.received, total: local.total } : { state, version, from, reason, at };
  }
  // Handed over and the updater has not written anything since: it is about to check the file.
  if (local && state === 'handed-over' && updaterText === local.updaterText) return { state: 'verifying', version, from, reason: '', at };
  if (local && state === 'refused' && updaterText === local.updaterText) return { state: 'refused', version, from, reason, at };
  return updater;
}
