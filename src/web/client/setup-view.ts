// The first-run screen: while nobody owns the device (GET /api/setup: claimed false) the page shows
// only this form. On 200 the device has set a session cookie and the live view starts; on 409
// someone else was faster, and the page reloads to their login.

import type { DeviceApi } from './api.js';
import { byId, say } from './dom.js';
import { passwordHint } from './credentials.js';
import { t } from './i18n/translate.js';
import { setupProblems, setupRequest, validateSetup, type SetupField, type SetupInput } from './setup.js';

export function findSetupElements(doc: Document) {
  const id = <T extends HTMLElement = HTMLElement>(name: string) => byId<T>(doc, name);
  return {
    section: id('setup'),
    form: id<HTMLFormElement>('setup-form'),
    inputs: {
      user: id<HTMLInputElement>('setup-user'),
      password: id<HTMLInputElement>('setup-password'),
      password2: id<HTMLInputElement>('setup-password2'),
      deviceName: id<HTMLInputElement>('setup-name'),
    } satisfies Record<SetupField, HTMLInputElement>,
    problems: {
      user: id('setup-user-problem'),
      password: id('setup-password-problem'),
      password2: id('setup-password2-problem'),
      deviceName: id('setup-name-problem'),
    } satisfies Record<SetupField, HTMLElement>,
    openViewing: id<HTMLInputElement>('setup-open'),
    passwordHint: id('setup-password-hint'),
    message: id('setup-message'),
    submit: id<HTMLButtonElement>('setup-submit'),
    /** Everything else on the page, hidden while the form shows. */
    rest: [doc.querySelector('header.top'), doc.querySelector('main'), id('settings')].filter((el): el is HTMLElement => el !== null),
  };
}

export type SetupElements = ReturnType<typeof findSetupElements>;

const FIELDS: SetupField[] = ['user', 'password', 'password2', 'deviceName'];

export class SetupView {
  private busy = false;
  private passwordMinimum: number | undefined;

  constructor(
    private readonly ui: SetupElements,
    private readonly api: DeviceApi,
    /** The device is claimed and this browser logged in: show the live view. */
    private readonly done: () => void,
    private readonly reload: () => void,
  ) {}

  /** `passwordMinimum`: the device's, from GET /api/setup. */
  show(deviceName: string, passwordMinimum?: number): void {
    const { ui } = this;
    this.passwordMinimum = passwordMinimum;
    if (passwordMinimum !== undefined) {
      ui.passwordHint.textContent = passwordHint(passwordMinimum);
      ui.inputs.password.minLength = passwordMinimum;
    }
    for (const el of ui.rest) el.hidden = true;
    ui.section.hidden = false;
    ui.inputs.deviceName.value = deviceName;
    document.title = t('setup.title');
    ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    for (const field of FIELDS) ui.inputs[field].addEventListener('input', () => this.mark(field, undefined));
    ui.inputs.user.focus();
  }

  private input(): SetupInput {
    const { inputs, openViewing } = this.ui;
    return {
      user: inputs.user.value,
      password: inputs.password.value,
      password2: inputs.password2.value,
      deviceName: inputs.deviceName.value,
      openViewing: openViewing.checked,
    };
  }

  private mark(field: SetupField, problem: string | undefined): void {
    const el = this.ui.problems[field];
    el.textContent = problem ?? '';
    el.hidden = !problem;
    if (problem) this.ui.inputs[field].setAttribute('aria-invalid', 'true');
    else this.ui.inputs[field].removeAttribute('aria-invalid');
  }

  private showProblems(problems: Partial<Record<SetupField, string>>): boolean {
    for (const field of FIELDS) this.mark(field, problems[field]);
    const first = FIELDS.find((f) => problems[f]);
    if (first) this.ui.inputs[first].focus();
    return first !== undefined;
  }

  private async submit(): Promise<void> {
    if (this.busy) return;
    const input = this.input();
    if (this.showProblems(validateSetup(input, this.passwordMinimum))) {
      say(this.ui.message, '');
      return;
    }
    this.busy = true;
    this.ui.submit.disabled = true;
    say(this.ui.message, t('setup.busy'));
    try {
      const result = await this.api.claim(setupRequest(input));
      if (result.ok) {
        say(this.ui.message, '');
        this.ui.section.hidden = true;
        for (const el of this.ui.rest) el.hidden = el.id === 'settings';
        this.done();
      } else if (result.status === 409) {
        say(this.ui.message, t('setup.tooLate'), 'bad');
        window.setTimeout(this.reload, 3_000);
      } else if (result.status === 400) {
        const mapped = setupProblems(result.problems);
        this.showProblems(mapped.byField);
        say(this.ui.message, mapped.general.join(' ') || (Object.keys(mapped.byField).length ? t('setup.seeFields') : result.message), 'bad');
      } else {
        say(this.ui.message, t('setup.failed', { message: result.message }), 'bad');
      }
    } finally {
      this.busy = false;
      this.ui.submit.disabled = false;
    }
  }
}
