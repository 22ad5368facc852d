// The one status next to Apply: it follows a change through (saving → restarting the camera → live,
// or rolled back) from the PUT's answer and the status documents after it, and otherwise says what
// the device reports (rolled back, running on the config file). Pure: fed values, gives words.

import type { DeviceStatus, SettingsStatus } from '../api/types.js';
import { currentLanguage, formatList, t, type MessageKey } from './i18n/translate.js';
import type { Applies } from './settings-form.js';

export type Tone = 'busy' | 'ok' | 'bad' | '';

export interface Said {
  text: string;
  tone: Tone;
  /** The camera's own line, behind "details". */
  details: string;
}

type Phase =
  | { name: 'idle' }
  | { name: 'saving' }
  /** Saved; the camera restarts. `seen`: status documents since; `left`: the camera was seen not streaming, or applying. */
  | { name: 'restarting'; seen: number; left: boolean; alsoRestart: boolean }
  | { name: 'done'; said: Said };

const NONE: Said = { text: '', tone: '', details: '' };

export class ApplyProgress {
  private phase: Phase = { name: 'idle' };
  /** The device's settings state as last seen. */
  private last: SettingsStatus | undefined;
  /**
   * A rollback the device reported before this change was sent: a status document built before the
   * PUT can still arrive after its answer, and must not pass for this change's outcome.
   */
  private oldRollback: string | undefined;
  private staleSeen = 0;

  constructor(private readonly titleOf: (path: string) => string) {}

  /** A change is on its way to the device. */
  saving(): Said {
    this.phase = { name: 'saving' };
    this.oldRollback = this.last?.state === 'rolled-back' ? JSON.stringify(this.last) : undefined;
    this.staleSeen = 0;
    return this.said();
  }

  /** Something the view says itself (a refusal, a stale ETag, a revert): it stays until there is news. */
  tell(said: Said): Said {
    return this.finish(said);
  }

  /**
   * The device saved the change. `costs`: what the changed settings cost; `status`: the answer's
   * settings state; `privacy`: whether the camera is off (a camera change then waits for it).
   */
  saved(costs: readonly Applies[], status: SettingsStatus | undefined, privacy: boolean): Said {
    const alsoRestart = costs.includes('restart');
    // The answer's own state does not end an old rollback's watch: documents built before it may follow.
    if (status) this.last = status;
    this.staleSeen = 0;
    if (status?.state === 'rolled-back' && !this.isOld(status)) return this.finish(rolledBack(status, this.titleOf));
    if (costs.includes('camera') && privacy) return this.finish({ text: t('settings.status.private'), tone: 'ok', details: '' });
    if (costs.includes('camera')) {
      this.phase = { name: 'restarting', seen: 0, left: false, alsoRestart };
      return this.said();
    }
    const key = alsoRestart ? 'settings.status.restart' : costs.includes('gpio') ? 'settings.status.gpio' : 'settings.status.applied';
    return this.finish({ text: t(key), tone: 'ok', details: '' });
  }

  /** A status document (WebSocket or polling). */
  status(doc: Pick<DeviceStatus, 'camera' | 'privacy' | 'settings'>): Said {
    const settings = doc.settings;
    this.note(settings);
    // While the change is on its way, nothing the device says is about it yet.
    if (this.phase.name === 'saving') return this.said();
    const rollback = settings?.state === 'rolled-back' && !this.isOld(settings) ? settings : undefined;
    if (this.phase.name === 'restarting') {
      const phase = this.phase;
      if (rollback) return this.finish(rolledBack(rollback, this.titleOf));
      if (settings?.state === 'fallback') return this.finish(fallback(settings));
      // The earlier rollback, late: a document from before this change, which says nothing of it.
      if (settings?.state === 'rolled-back') return this.said();
      phase.seen++;
      if (settings?.state === 'applying' || doc.camera.state !== 'streaming') phase.left = true;
      // A document built before the PUT may still arrive after its answer: "live" needs the camera
      // seen restarting, or a second document.
      else if (doc.privacy.enabled) return this.finish({ text: t('settings.status.private'), tone: 'ok', details: '' });
      else if (phase.left || phase.seen >= 2) {
        const text = t('settings.status.live') + (phase.alsoRestart ? ` ${t('settings.status.restart')}` : '');
        return this.finish({ text, tone: 'ok', details: '' });
      }
      return this.said();
    }
    // Nothing of ours under way: what the device says, else what was said last.
    if (rollback) return this.finish(rolledBack(rollback, this.titleOf));
    if (settings?.state === 'fallback') return this.finish(fallback(settings));
    if (settings?.state === 'applying') return { text: t('settings.status.applyingElsewhere'), tone: 'busy', details: '' };
    return this.said();
  }

  private note(status: SettingsStatus | undefined): void {
    if (!status) return;
    this.last = status;
    if (status.state !== 'rolled-back') this.oldRollback = undefined;
  }

  /**
   * A rollback that was already there before this change, seen in at most one document since: one
   * built before the PUT. Seen again (polling every 2 s can miss the states in between when the camera
   * refuses at once), it is this change's own.
   */
  private isOld(status: SettingsStatus): boolean {
    if (this.oldRollback === undefined || JSON.stringify(status) !== this.oldRollback) return false;
    this.staleSeen++;
    return this.staleSeen <= 1;
  }

  /** Forget what was said (the values were reverted or reloaded). */
  clear(): void {
    this.phase = { name: 'idle' };
  }

  get busy(): boolean {
    return this.phase.name === 'saving' || this.phase.name === 'restarting';
  }

  said(): Said {
    switch (this.phase.name) {
      case 'saving':
        return { text: t('settings.status.saving'), tone: 'busy', details: '' };
      case 'restarting':
        return { text: t('settings.status.restarting'), tone: 'busy', details: '' };
      case 'done':
        return this.phase.said;
      default:
        return NONE;
    }
  }

  private finish(said: Said): Said {
    this.phase = { name: 'done', said };
    return said;
  }
}

/** "Rolled back: Tuning file /x.json did not work (the tuning file /x.json does not exist), ..." */
export function rolledBack(status: SettingsStatus, titleOf: (path: string) => string): Said {
  const undone = (status.undone ?? []).map((u) => t('settings.status.undone', { title: titleOf(u.path), tried: shown(u.tried) }).trim());
  const what = undone.length ? formatList(undone) : t('settings.status.theseSettings');
  const cause = causeText(status);
  const text = cause ? t('settings.status.rolledBackCause', { what, cause }) : t('settings.status.rolledBack', { what });
  const line = status.cameraLine || status.message;
  return { text, tone: 'bad', details: line ? t('settings.status.cameraSaid', { line }) : '' };
}

/**
 * A rollback's likely cause: in English the device's own words, in another language the translation
 * of its code (the device's words when the code is one the tables do not know).
 */
export function causeText(status: SettingsStatus): string | undefined {
  if (!status.cause) return undefined;
  if (currentLanguage() === 'en' || !status.causeCode) return status.cause;
  const key = `settings.cause.${status.causeCode}` as MessageKey;
  // The values as the device wrote them: a size or a camera number is not a quantity to group (1920, not 1,920).
  const params = Object.fromEntries(Object.entries(status.causeParams ?? {}).map(([name, value]) => [name, String(value)]));
  const text = t(key, params);
  return text === key ? status.cause : text;
}

function fallback(status: SettingsStatus): Said {
  return { text: t('settings.status.fallback', { message: status.message }), tone: 'bad', details: '' };
}

function shown(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
