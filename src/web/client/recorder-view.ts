// The recorder credential in the Settings view (owners only; the device refuses anyone else): the
// user name and password a recorder (Home Assistant's ONVIF integration, UniFi Protect, Synology,
// Blue Iris) logs in with, a Copy button and Rotate; on and off. It builds its own card after the
// Users card, so the page's HTML is not touched. Its words come from the translation tables (TEXT).

import { t } from './i18n/translate.js';
import type { RecorderDocument } from '../api/types.js';
import type { DeviceApi } from './api.js';
import { h, say } from './dom.js';

/** Every word of the card, from the translation tables (area `recorder`), looked up when shown. */
export const TEXT = {
  get heading() {
    return t('recorder.heading');
  },
  get intro() {
    return t('recorder.intro');
  },
  get off() {
    return t('recorder.off');
  },
  get turnOn() {
    return t('recorder.turnOn');
  },
  get turnOff() {
    return t('recorder.turnOff');
  },
  get rotate() {
    return t('recorder.rotate');
  },
  get rotateConfirm() {
    return t('recorder.rotateConfirm');
  },
  get user() {
    return t('recorder.user');
  },
  get password() {
    return t('recorder.password');
  },
  get copy() {
    return t('recorder.copy');
  },
  get copied() {
    return t('recorder.copied');
  },
  get selectToCopy() {
    return t('recorder.selectToCopy');
  },
  get rotated() {
    return t('recorder.rotated');
  },
  get on() {
    return t('recorder.on');
  },
  get turnedOff() {
    return t('recorder.turnedOff');
  },
  damaged: (message: string) => t('recorder.damaged', { message }),
  conflict: (message: string) => message,
  failed: (message: string) => t('recorder.failed', { message }),
};

/** What the card says for a state: its status line, and the credential to show (if any). */
export function recorderSummary(doc: RecorderDocument): { line: string; tone: 'ok' | 'bad' | ''; login?: { user: string; password: string } } {
  switch (doc.state) {
    case 'off':
      return { line: TEXT.off, tone: '' };
    case 'on':
      return { line: TEXT.on, tone: 'ok', login: { user: doc.user, password: doc.password } };
    case 'conflict':
      return { line: TEXT.conflict(doc.message), tone: 'bad' };
    case 'damaged':
      return { line: TEXT.damaged(doc.message), tone: 'bad' };
  }
}

export class RecorderView {
  private readonly line = h('p', { class: 'form-message', role: 'status' });
  private readonly userField = h('code', { id: 'recorder-user' });
  private readonly passwordField = h('code', { id: 'recorder-password' });
  private readonly copyButton = h('button', { class: 'btn small', type: 'button' }, TEXT.copy);
  private readonly rotateButton = h('button', { class: 'btn', type: 'button' }, TEXT.rotate);
  private readonly toggleButton = h('button', { class: 'btn', type: 'button' }, TEXT.turnOn);
  private readonly details = h(
    'dl',
    { hidden: true },
    h('dt', {}, TEXT.user),
    h('dd', {}, this.userField),
    h('dt', {}, TEXT.password),
    h('dd', {}, this.passwordField, ' ', this.copyButton),
  );
  readonly card = h('section', { id: 'recorder', class: 'card', hidden: true, 'aria-labelledby': 'recorder-heading' }, h('h3', { id: 'recorder-heading' }, TEXT.heading), h('p', { class: 'hint' }, TEXT.intro), this.details, this.line, this.toggleButton, ' ', this.rotateButton);
  private state: RecorderDocument = { state: 'off' };

  constructor(
    private readonly api: DeviceApi,
    /** navigator.clipboard.writeText in a secure context; undefined on plain HTTP. */
    private readonly writeText: ((text: string) => Promise<void>) | undefined,
  ) {
    this.copyButton.addEventListener('click', () => void this.copy());
    this.rotateButton.addEventListener('click', () => void (confirm(TEXT.rotateConfirm) && this.change('POST', '/api/recorder/rotate', undefined, TEXT.rotated)));
    this.toggleButton.addEventListener('click', () => {
      const on = this.state.state !== 'off';
      void this.change('POST', '/api/recorder', { enabled: !on }, on ? TEXT.turnedOff : TEXT.on);
    });
  }

  /** Reads the state; a viewer (403) never sees the card. */
  async load(): Promise<void> {
    const result = await this.api.request<RecorderDocument>('GET', '/api/recorder');
    if (!result.ok) return;
    this.show(result.body);
  }

  show(doc: RecorderDocument): void {
    this.state = doc;
    const summary = recorderSummary(doc);
    this.card.hidden = false;
    this.details.hidden = summary.login === undefined;
    this.userField.textContent = summary.login?.user ?? '';
    this.passwordField.textContent = summary.login?.password ?? '';
    this.rotateButton.hidden = doc.state !== 'on';
    // Damaged or in conflict: turning it on again makes a new file and password.
    this.toggleButton.textContent = doc.state === 'on' ? TEXT.turnOff : TEXT.turnOn;
    say(this.line, summary.line, summary.tone);
  }

  private async change(method: string, path: string, json: unknown, done: string): Promise<void> {
    const result = await this.api.request<RecorderDocument>(method, path, json === undefined ? {} : { json });
    if (!result.ok) return say(this.line, TEXT.failed(result.message), 'bad');
    this.show(result.body);
    say(this.line, done, 'ok');
  }

  private async copy(): Promise<void> {
    try {
      if (!this.writeText) throw new Error('no clipboard');
      await this.writeText(this.passwordField.textContent ?? '');
      say(this.line, TEXT.copied, 'ok');
    } catch {
      // Plain HTTP has no clipboard API: select the text so Ctrl+C / long-press copies it.
      const range = document.createRange();
      range.selectNodeContents(this.passwordField);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      say(this.line, TEXT.selectToCopy);
    }
  }
}

/** Adds the card after the Users card and loads it: the one line the page needs. */
export function mountRecorderView(doc: Document, api: DeviceApi): RecorderView {
  const view = new RecorderView(api, window.isSecureContext ? (t) => navigator.clipboard.writeText(t) : undefined);
  (doc.getElementById('users') ?? doc.body).after(view.card);
  void view.load();
  return view;
}
