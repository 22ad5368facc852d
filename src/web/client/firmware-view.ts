// Settings → Firmware (owners only; the device refuses anyone else): the running version, "Upload
// update" with its progress through receiving (the browser's upload progress), verifying,
// installing, restarting and checking, then the result; "Go back to <previous>". The card builds
// its own elements inside the Settings view, and its words are in firmware-text.ts.

import type { DeviceApi } from './api.js';
import { h, say } from './dom.js';
import { FIRMWARE_TEXT as T } from './firmware-text.js';
import { showUpdate, showUpload, STEPS, type Shown, type UpdateState } from './firmware-steps.js';
import { httpUrl, type PageLocation } from './net.js';

interface FirmwareDocument {
  version: string;
  previous: string | null;
  update: UpdateState | null;
}

/** How often the card asks while an update runs; and for how long at most (a Pi Zero 2 W takes minutes). */
const POLL_MS = 1_000;
const POLL_LIMIT_MS = 30 * 60_000;

export class FirmwareView {
  private readonly card: HTMLElement;
  private readonly version = h('p', { id: 'firmware-version' });
  private readonly file = h('input', { id: 'firmware-file', class: 'file', type: 'file', accept: '.update,application/octet-stream' });
  private readonly uploadLabel = h('label', { class: 'btn', for: 'firmware-file' }, T.upload);
  private readonly downgrade = h('input', { id: 'firmware-downgrade', type: 'checkbox' });
  private readonly back = h('button', { id: 'firmware-back', class: 'btn', type: 'button', hidden: true });
  private readonly backConfirm = h('div', { id: 'firmware-back-confirm', class: 'confirm', hidden: true });
  private readonly backQuestion = h('p');
  private readonly steps = h('ol', { id: 'firmware-steps', class: 'firmware-steps', hidden: true });
  private readonly progress = h('progress', { id: 'firmware-progress', max: '1', value: '0', hidden: true });
  private readonly message = h('p', { id: 'firmware-message', class: 'form-message', role: 'status', 'aria-live': 'polite' });
  private previous: string | null = null;
  private polling: number | undefined;
  private pollUntil = 0;

  constructor(
    private readonly doc: Document,
    private readonly api: DeviceApi,
    private readonly location: PageLocation,
  ) {
    const yes = h('button', { id: 'firmware-back-yes', class: 'btn danger', type: 'button' }, T.goBackYes);
    const no = h('button', { class: 'btn', type: 'button' }, T.cancel);
    this.backConfirm.append(this.backQuestion, h('div', { class: 'form-actions' }, yes, no));
    for (const step of STEPS) this.steps.append(h('li', { 'data-step': step }, T.steps[step]));
    this.card = h(
      'section',
      { id: 'firmware', class: 'card firmware', 'aria-labelledby': 'firmware-heading' },
      h('h3', { id: 'firmware-heading' }, T.heading),
      this.version,
      h('p', { class: 'hint' }, T.uploadHint),
      h('div', { class: 'field check' }, this.downgrade, h('label', { for: 'firmware-downgrade' }, T.allowDowngrade)),
      h('div', { class: 'form-actions' }, this.uploadLabel, this.file, this.back),
      this.backConfirm,
      this.steps,
      this.progress,
      this.message,
    );
    this.file.addEventListener('change', () => {
      const chosen = this.file.files?.[0];
      this.file.value = '';
      if (chosen) this.upload(chosen);
    });
    this.back.addEventListener('click', () => {
      this.backQuestion.textContent = T.goBackConfirm(this.previous ?? '');
      this.backConfirm.hidden = false;
      no.focus();
    });
    no.addEventListener('click', () => (this.backConfirm.hidden = true));
    yes.addEventListener('click', () => void this.goBack());
  }

  /** Puts the card at the end of the Settings view and shows the device's state. */
  mount(parent: HTMLElement): void {
    parent.append(this.card);
    void this.refresh();
  }

  private async refresh(): Promise<boolean> {
    const answer = await this.api.request<FirmwareDocument>('GET', '/api/update');
    if (!answer.ok) {
      // Restarting into the new version: no answer for a while is expected.
      if (this.polling !== undefined) this.render({ step: 'restarting', message: T.unreachable, tone: '', busy: true });
      return this.polling !== undefined;
    }
    const { version, previous, update } = answer.body;
    this.version.textContent = T.running(version);
    this.previous = previous;
    this.back.textContent = previous ? T.goBack(previous) : '';
    const shown = showUpdate(update);
    this.card.dataset.state = update?.state ?? '';
    this.render(shown);
    this.back.hidden = !previous || shown.busy;
    return shown.busy;
  }

  private render(shown: Shown): void {
    this.uploadLabel.toggleAttribute('aria-disabled', shown.busy);
    this.file.disabled = shown.busy;
    this.steps.hidden = !shown.step;
    const at = shown.step ? STEPS.indexOf(shown.step) : -1;
    for (const li of Array.from(this.steps.children) as HTMLElement[]) {
      const index = STEPS.indexOf(li.dataset.step as (typeof STEPS)[number]);
      li.dataset.state = index < at ? 'done' : index === at ? 'now' : 'todo';
      if (index === at) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    }
    this.progress.hidden = shown.progress === undefined || !shown.busy;
    if (shown.progress !== undefined) this.progress.value = shown.progress;
    say(this.message, shown.message, shown.tone);
  }

  private upload(file: File): void {
    const allow = this.downgrade.checked;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', httpUrl(this.location, `/api/update${allow ? '?allowDowngrade=1' : ''}`));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    this.card.dataset.state = 'receiving';
    this.back.hidden = true;
    this.render(showUpload(0, file.size));
    xhr.upload.addEventListener('progress', (event) => this.render(showUpload(event.loaded, event.lengthComputable ? event.total : file.size)));
    // All sent: the device checks the file before it answers.
    xhr.upload.addEventListener('load', () => this.render(showUpdate({ state: 'verifying', version: '', from: '', reason: '' })));
    xhr.addEventListener('load', () => {
      let answer: { error?: string; message?: string } = {};
      try {
        answer = JSON.parse(xhr.responseText) as typeof answer;
      } catch {
        // Not JSON: the status line says enough.
      }
      if (xhr.status === 202) {
        this.downgrade.checked = false;
        this.poll();
        return;
      }
      const reason = answer.message ?? `HTTP ${xhr.status}`;
      const message = answer.error === 'downgrade-not-confirmed' ? `${reason}. ${T.downgradeHint}` : T.refused(reason);
      this.card.dataset.state = 'refused';
      this.render({ message, tone: 'bad', busy: false });
      this.back.hidden = !this.previous;
    });
    xhr.addEventListener('error', () => {
      this.card.dataset.state = '';
      this.render({ message: T.uploadFailed, tone: 'bad', busy: false });
      void this.refresh();
    });
    xhr.send(file);
  }

  private async goBack(): Promise<void> {
    this.backConfirm.hidden = true;
    const answer = await this.api.request<FirmwareDocument>('POST', '/api/update/rollback');
    if (!answer.ok) {
      this.render({ message: T.refused(answer.message), tone: 'bad', busy: false });
      return;
    }
    this.poll();
  }

  /** Follows the update until it ends, through the restart (when the device does not answer). */
  private poll(): void {
    this.pollUntil = Date.now() + POLL_LIMIT_MS;
    if (this.polling !== undefined) return;
    const tick = async () => {
      const busy = await this.refresh();
      if (busy && Date.now() < this.pollUntil) {
        this.polling = this.doc.defaultView!.setTimeout(() => void tick(), POLL_MS);
      } else {
        this.polling = undefined;
      }
    };
    this.polling = this.doc.defaultView!.setTimeout(() => void tick(), 0);
  }
}

/** The one-line hook for the Settings view: the Firmware card at its end. */
export function mountFirmware(doc: Document, api: DeviceApi, location: PageLocation): FirmwareView {
  const view = new FirmwareView(doc, api, location);
  view.mount(doc.getElementById('settings')!);
  return view;
}
