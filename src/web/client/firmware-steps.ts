// The update's state as the device reports it (GET /api/update, /api/status `update`), turned into
// what the Firmware card shows: which step, how far, and the message. Pure, for tests under Node.
import { FIRMWARE_TEXT as T } from './firmware-text.js';

export interface UpdateState {
  state: string;
  version: string;
  from: string;
  reason: string;
  received?: number;
  total?: number;
  /** What a rollback undid of the settings and accounts (a newer version's changes an older one cannot hold). */
  undone?: string[];
}

export const STEPS = ['receiving', 'verifying', 'installing', 'restarting', 'checking'] as const;
export type Step = (typeof STEPS)[number];

export interface Shown {
  /** The step in progress; undefined when nothing runs. */
  step?: Step;
  /** 0..1 over the whole update (receiving is the first half's bulk). */
  progress?: number;
  message: string;
  tone: 'ok' | 'bad' | '';
  busy: boolean;
}

const STEP_OF: Record<string, Step> = { receiving: 'receiving', verifying: 'verifying', installing: 'installing', trial: 'restarting', checking: 'checking' };

/** Where each step starts on the bar: receiving takes most of the time a user waits for. */
const STEP_START: Record<Step, number> = { receiving: 0, verifying: 0.6, installing: 0.7, restarting: 0.8, checking: 0.9 };

export function showUpdate(update: UpdateState | null | undefined): Shown {
  if (!update) return { message: '', tone: '', busy: false };
  const step = STEP_OF[update.state];
  if (step) {
    const received = step === 'receiving' && update.total ? Math.min(1, (update.received ?? 0) / update.total) : 0;
    const message =
      step === 'receiving' ? T.receiving(Math.floor(received * 100))
      : step === 'verifying' ? T.verifying(update.version)
      : step === 'installing' ? T.installing(update.version)
      : step === 'restarting' ? T.restarting(update.version)
      : T.checking(update.version);
    return { step, progress: STEP_START[step] + received * 0.6, message, tone: '', busy: true };
  }
  switch (update.state) {
    case 'committed':
      // "Go back" commits the older version: what it could not keep is said here too.
      return { message: T.committed(update.version) + undoneText(update), tone: update.undone?.length ? 'bad' : 'ok', busy: false, progress: 1 };
    case 'rolled-back':
      return { message: T.rolledBack(update.version, update.reason) + undoneText(update), tone: 'bad', busy: false };
    case 'refused':
      return { message: T.refused(update.reason), tone: 'bad', busy: false };
    default:
      return { message: T.failed(update.reason || update.state), tone: 'bad', busy: false };
  }
}

function undoneText(update: UpdateState): string {
  return update.undone?.length ? ` ${T.undone(update.undone.join('; '))}` : '';
}

/** The upload's own progress in the browser (XHR), before the device reports anything. */
export function showUpload(sent: number, total: number): Shown {
  const part = total > 0 ? Math.min(1, sent / total) : 0;
  return { step: 'receiving', progress: part * 0.6, message: T.receiving(Math.floor(part * 100)), tone: '', busy: true };
}
