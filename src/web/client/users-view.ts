// The Users section of the Settings view (an owner's): who may log in and as what (owners change
// everything, viewers only watch), my own password, and open viewing (anyone on the network may
// watch), which is only turned on after an explicit confirmation.

import type { DeviceApi, Role, UsersDocument } from './api.js';
import { byId, h, say } from './dom.js';
import { newPasswordProblems, passwordHint, userNameProblem } from './credentials.js';
import { t } from './i18n/translate.js';

export function findUsersElements(doc: Document) {
  const id = <T extends HTMLElement = HTMLElement>(name: string) => byId<T>(doc, name);
  return {
    list: id<HTMLUListElement>('users-list'),
    passwordForm: id<HTMLFormElement>('password-form'),
    current: id<HTMLInputElement>('password-current'),
    password: id<HTMLInputElement>('password-new'),
    password2: id<HTMLInputElement>('password-new2'),
    passwordMessage: id('password-message'),
    addForm: id<HTMLFormElement>('adduser-form'),
    addName: id<HTMLInputElement>('adduser-name'),
    addPassword: id<HTMLInputElement>('adduser-password'),
    addPassword2: id<HTMLInputElement>('adduser-password2'),
    addRole: id<HTMLSelectElement>('adduser-role'),
    passwordHints: [id('password-new-hint'), id('adduser-password-hint')],
    addMessage: id('adduser-message'),
    open: id<HTMLInputElement>('open-viewing'),
    openConfirm: id('open-confirm'),
    openYes: id<HTMLButtonElement>('open-yes'),
    openNo: id<HTMLButtonElement>('open-no'),
    openMessage: id('open-message'),
  };
}

export type UsersElements = ReturnType<typeof findUsersElements>;

export class UsersView {
  private document: UsersDocument | undefined;
  /** Open viewing changed (it is one of the settings too). */
  onOpenViewingChanged: () => void = () => {};
  /** The device's password minimum (GET /api/me), once known. */
  private passwordMinimum: number | undefined;

  constructor(
    private readonly ui: UsersElements,
    private readonly api: DeviceApi,
  ) {}

  /** The device's password minimum, for the hints and the checks before sending. */
  setPasswordMinimum(minimum: number): void {
    this.passwordMinimum = minimum;
    for (const hint of this.ui.passwordHints) hint.textContent = passwordHint(minimum);
  }

  start(): void {
    const { ui } = this;
    ui.passwordForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.changePassword();
    });
    ui.addForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.addUser();
    });
    ui.open.addEventListener('change', () => {
      if (ui.open.checked) {
        // Nothing changes until the confirmation: the box shows the device's state meanwhile.
        ui.open.checked = false;
        ui.openConfirm.hidden = false;
        ui.openNo.focus();
      } else {
        void this.setOpenViewing(false);
      }
    });
    ui.openYes.addEventListener('click', () => void this.setOpenViewing(true));
    ui.openNo.addEventListener('click', () => {
      ui.openConfirm.hidden = true;
      ui.open.focus();
    });
  }

  async load(): Promise<void> {
    const result = await this.api.users();
    if (!result.ok) {
      this.ui.list.replaceChildren(h('li', { class: 'muted' }, result.status === 404 ? t('users.noApi') : t('users.loadFailed', { message: result.message })));
      return;
    }
    this.document = result.body;
    this.render();
  }

  private render(): void {
    const doc = this.document;
    if (!doc) return;
    const items = doc.users.map((user) => {
      const me = user.name === doc.me;
      const role = user.role === 'viewer' ? t('users.note.viewer') : user.role === 'owner' ? t('users.note.owner') : '';
      const note = `${role}${user.inConfig ? t('users.note.config') : ''}${me ? t('users.note.you') : ''}`;
      const label = h('span', {}, user.name, note ? h('span', { class: 'muted' }, note) : '');
      // No Remove beside your own name: removing yourself would end your own access mid-page.
      if (me) return h('li', { 'data-user': user.name, 'data-role': user.role ?? '' }, label);
      const remove = h('button', { class: 'btn small', type: 'button', 'aria-label': t('users.removeLabel', { name: user.name }) }, t('users.remove'));
      remove.addEventListener('click', () => void this.removeUser(user.name));
      return h('li', { 'data-user': user.name, 'data-role': user.role ?? '' }, label, remove);
    });
    if (items.length === 0) items.push(h('li', { class: 'muted' }, t('users.none')));
    this.ui.list.replaceChildren(...items);
    this.ui.open.checked = doc.openViewing;
    this.ui.passwordForm.hidden = !doc.me;
  }

  private async changePassword(): Promise<void> {
    const { ui } = this;
    const problems = newPasswordProblems(ui.password.value, ui.password2.value, this.passwordMinimum);
    if (!ui.current.value) return this.fail(ui.passwordMessage, ui.current, t('users.password.enterCurrent'));
    if (problems.password) return this.fail(ui.passwordMessage, ui.password, problems.password);
    if (problems.password2) return this.fail(ui.passwordMessage, ui.password2, problems.password2);
    const result = await this.api.changePassword(ui.current.value, ui.password.value);
    if (!result.ok) {
      return this.fail(ui.passwordMessage, result.status === 401 ? ui.current : ui.password, result.status === 401 ? t('users.password.wrongCurrent') : result.message);
    }
    ui.passwordForm.reset();
    say(ui.passwordMessage, t('users.password.changed'), 'ok');
  }

  private async addUser(): Promise<void> {
    const { ui } = this;
    const nameProblem = userNameProblem(ui.addName.value);
    const problems = newPasswordProblems(ui.addPassword.value, ui.addPassword2.value, this.passwordMinimum);
    if (nameProblem) return this.fail(ui.addMessage, ui.addName, nameProblem);
    if (problems.password) return this.fail(ui.addMessage, ui.addPassword, problems.password);
    if (problems.password2) return this.fail(ui.addMessage, ui.addPassword2, problems.password2);
    const name = ui.addName.value;
    const role: Role = ui.addRole.value === 'owner' ? 'owner' : 'viewer';
    const result = await this.api.addUser(name, ui.addPassword.value, role);
    if (!result.ok) {
      return this.fail(ui.addMessage, ui.addName, result.status === 409 ? t('users.add.exists', { name }) : [result.message, ...result.problems].join(' '));
    }
    ui.addForm.reset();
    say(ui.addMessage, t(role === 'owner' ? 'users.add.ownerAdded' : 'users.add.viewerAdded', { name }), 'ok');
    await this.load();
  }

  private async removeUser(name: string): Promise<void> {
    const result = await this.api.removeUser(name);
    if (!result.ok) {
      const why = result.error === 'last-owner' ? t('users.remove.lastOwner', { name }) : t('users.remove.failed', { name, message: result.message });
      say(this.ui.addMessage, why, 'bad');
      return;
    }
    say(this.ui.addMessage, t('users.remove.done', { name }), 'ok');
    await this.load();
  }

  private async setOpenViewing(enabled: boolean): Promise<void> {
    this.ui.openConfirm.hidden = true;
    const result = await this.api.setOpenViewing(enabled);
    if (!result.ok) {
      say(this.ui.openMessage, t('users.open.unchanged', { message: result.message }), 'bad');
      if (this.document) this.ui.open.checked = this.document.openViewing;
      return;
    }
    say(this.ui.openMessage, t(enabled ? 'users.open.on' : 'users.open.off'), 'ok');
    this.onOpenViewingChanged();
    await this.load();
    this.ui.open.focus();
  }

  private fail(line: HTMLElement, input: HTMLInputElement, message: string): void {
    say(line, message, 'bad');
    input.focus();
  }
}
