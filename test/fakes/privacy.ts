import type { LoadResult, PrivacyState } from '../../src/device/privacy/store.js';

/** A PrivacyStore in memory: `loadResult` is what load() returns, `saved` every state written. */
export class MemoryPrivacyStore {
  readonly path = '/fake/privacy.json';
  readonly saved: PrivacyState[] = [];
  /** When set, save() rejects with it. */
  saveError: Error | null = null;

  constructor(public loadResult: LoadResult = { kind: 'missing' }) {}

  async load(): Promise<LoadResult> {
    return this.loadResult;
  }

  async save(state: PrivacyState): Promise<void> {
    if (this.saveError) throw this.saveError;
    this.saved.push({ ...state });
  }
}

/** Records setPaused calls the way the camera supervisor would receive them. */
export class FakeCamera {
  readonly calls: boolean[] = [];

  setPaused(paused: boolean): void {
    this.calls.push(paused);
  }

  get paused(): boolean | undefined {
    return this.calls.at(-1);
  }
}
