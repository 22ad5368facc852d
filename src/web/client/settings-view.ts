// The Settings view: a form built from the device's schema (settings-form.ts does the pure part),
// Apply with If-Match and Revert, the device's problems next to their fields, reset, export and
// import. The status document's settings.state says when settings are being applied or were rolled back.

import { isSettingsDocument, type DeviceApi, type Failure, type SettingsDocument, type SettingsStatus } from './api.js';
import { byId, h, say } from './dom.js';
import {
  APPLIES_TEXT,
  collect,
  displayValue,
  fieldsOf,
  getAt,
  groupFields,
  mapProblems,
  originText,
  rangeText,
  sectionsOf,
  valueOf,
  type Field,
  type Section,
} from './settings-form.js';
import { settingsStateText } from './view.js';

interface Control {
  field: Field;
  input: HTMLInputElement | HTMLSelectElement;
  origin: HTMLElement;
  problem: HTMLElement;
}

export function findSettingsElements(doc: Document) {
  const id = <T extends HTMLElement = HTMLElement>(name: string) => byId<T>(doc, name);
  return {
    open: id<HTMLButtonElement>('settings-open'),
    section: id('settings'),
    heading: id('settings-heading'),
    state: id('settings-state'),
    form: id<HTMLFormElement>('settings-form'),
    problems: id('settings-problems'),
    loading: id('settings-loading'),
    groups: id('settings-groups'),
    apply: id<HTMLButtonElement>('settings-apply'),
    revert: id<HTMLButtonElement>('settings-revert'),
    message: id('settings-message'),
    reset: id<HTMLButtonElement>('settings-reset'),
    resetConfirm: id('reset-confirm'),
    resetYes: id<HTMLButtonElement>('reset-yes'),
    resetNo: id<HTMLButtonElement>('reset-no'),
    exportButton: id<HTMLButtonElement>('settings-export'),
    importInput: id<HTMLInputElement>('settings-import'),
    fileMessage: id('file-message'),
  };
}

export type SettingsElements = ReturnType<typeof findSettingsElements>;

export class SettingsView {
  private fields: Field[] = [];
  private controls: Control[] = [];
  /** One switch per object that may be null as a whole (e.g. no status LED). */
  private sectionSwitches = new Map<string, HTMLInputElement>();
  private document: SettingsDocument | undefined;
  private etag = '';
  private busy = false;
  /** Called each time the view opens, for the users section. */
  onOpen: () => void = () => {};

  constructor(
    private readonly ui: SettingsElements,
    private readonly api: DeviceApi,
    private readonly download: (blob: Blob, name: string) => void,
  ) {}

  start(): void {
    const { ui } = this;
    ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.apply();
    });
    ui.revert.addEventListener('click', () => this.revert());
    ui.reset.addEventListener('click', () => {
      ui.resetConfirm.hidden = false;
      ui.resetNo.focus();
    });
    ui.resetNo.addEventListener('click', () => {
      ui.resetConfirm.hidden = true;
      ui.reset.focus();
    });
    ui.resetYes.addEventListener('click', () => void this.reset());
    ui.exportButton.addEventListener('click', () => void this.exportFile());
    ui.importInput.addEventListener('change', () => void this.importFile());
  }

  toggle(): void {
    const open = this.ui.section.hidden;
    this.ui.section.hidden = !open;
    this.ui.open.setAttribute('aria-expanded', String(open));
    if (!open) return;
    this.ui.heading.focus();
    this.ui.section.scrollIntoView({ block: 'start' });
    if (!this.document) void this.load();
    this.onOpen();
  }

  /** settings.state from the status document (WebSocket or polling) or from an answer. */
  showStatus(status: SettingsStatus | undefined): void {
    const said = settingsStateText(status);
    const el = this.ui.state;
    el.hidden = !said;
    if (el.textContent !== (said?.text ?? '')) el.textContent = said?.text ?? '';
    el.dataset.tone = said?.tone ?? '';
  }

  async load(): Promise<boolean> {
    say(this.ui.message, '');
    const [schema, settings] = await Promise.all([this.api.schema(), this.api.settings()]);
    if (!schema.ok || !settings.ok || !isSettingsDocument(settings.body)) {
      const failure = (!schema.ok ? schema : !settings.ok ? settings : undefined) as Failure | undefined;
      this.ui.loading.hidden = false;
      this.ui.loading.textContent =
        failure?.status === 404 ? 'This device has no settings API.' : `The settings could not be loaded: ${failure?.message ?? 'the device sent something else.'}`;
      return false;
    }
    this.ui.loading.hidden = true;
    this.fields = fieldsOf(schema.body);
    this.build();
    this.accept(settings.body, settings.etag);
    return true;
  }

  private build(): void {
    const { groups } = this.ui;
    groups.replaceChildren();
    this.controls = [];
    this.sectionSwitches.clear();
    const sections = sectionsOf(this.fields);
    for (const { group, fields } of groupFields(this.fields)) {
      const fieldset = h('fieldset', { class: 'card group' }, h('legend', {}, group));
      for (const field of fields) {
        const section = sections.find((s) => s.path === field.section);
        if (section && !this.sectionSwitches.has(section.path)) fieldset.append(this.buildSectionSwitch(section));
        fieldset.append(this.buildField(field));
      }
      groups.append(fieldset);
    }
  }

  private buildSectionSwitch(section: Section): HTMLElement {
    const id = `set-section-${section.keys.join('-')}`;
    const input = h('input', { id, type: 'checkbox', 'aria-describedby': `${id}-hint` });
    input.addEventListener('change', () => this.enableSections());
    this.sectionSwitches.set(section.path, input);
    return h(
      'div',
      { class: 'field check', 'data-section': section.path },
      input,
      h('label', { for: id }, `${section.title} in use`),
      h('p', { class: 'hint', id: `${id}-hint` }, 'Off: not used, and its settings below are not sent.'),
    );
  }

  /** Fields of a section that is off cannot be edited (their values are not sent). */
  private enableSections(): void {
    for (const { field, input } of this.controls) {
      if (field.section) input.disabled = this.sectionSwitches.get(field.section)?.checked === false;
    }
  }

  private buildField(field: Field): HTMLElement {
    const id = `set-${field.keys.join('-')}`;
    const hint = h('span', {}, `${rangeText(field)} · ${APPLIES_TEXT[field.applies]}`);
    const origin = h('span', { class: 'origin' });
    const problem = h('p', { class: 'problem', id: `${id}-problem`, hidden: true });
    const described = `${id}-hint${field.description ? ` ${id}-desc` : ''} ${id}-problem`;
    let input: HTMLInputElement | HTMLSelectElement;
    if (field.kind === 'enum') {
      input = h('select', { id, name: field.path, 'aria-describedby': described });
      if (field.nullable || field.optional) input.append(h('option', { value: '' }, field.nullable ? '— not set —' : '— automatic —'));
      field.options.forEach((option, i) => input.append(h('option', { value: String(i) }, `${String(option)}${field.unit ? ` ${field.unit}` : ''}`)));
    } else if (field.kind === 'boolean') {
      input = h('input', { id, name: field.path, type: 'checkbox', 'aria-describedby': described });
    } else {
      const numeric = field.kind === 'integer' || field.kind === 'number';
      input = h('input', {
        id,
        name: field.path,
        type: numeric ? 'number' : field.secret ? 'password' : 'text',
        inputmode: numeric ? (field.kind === 'integer' ? 'numeric' : 'decimal') : undefined,
        step: numeric ? (field.multipleOf !== undefined ? String(field.multipleOf) : field.kind === 'integer' ? '1' : 'any') : undefined,
        min: field.minimum !== undefined ? String(field.minimum) : undefined,
        max: field.maximum !== undefined ? String(field.maximum) : undefined,
        maxlength: field.maxLength !== undefined ? String(field.maxLength) : undefined,
        autocomplete: field.secret ? 'new-password' : 'off',
        'aria-describedby': described,
      });
    }
    input.addEventListener('input', () => this.clearProblem(control));
    const control: Control = { field, input, origin, problem };
    this.controls.push(control);
    const label = h('label', { for: id }, field.title);
    const hintLine = h('p', { class: 'hint', id: `${id}-hint` }, hint, ' · ', origin);
    const description = field.description ? h('p', { class: 'desc', id: `${id}-desc` }, field.description) : '';
    const box = h('div', { class: field.kind === 'boolean' ? 'field check' : 'field', 'data-path': field.path });
    if (field.kind === 'boolean') box.append(input, label, hintLine, description, problem);
    else box.append(label, input, hintLine, description, problem);
    return box;
  }

  /** A settings document from the device: the form shows it, and it is what Revert goes back to. */
  private accept(document: SettingsDocument, etag: string): void {
    this.document = document;
    this.etag = etag;
    this.fill();
    this.showStatus(document.status);
  }

  private fill(): void {
    for (const [path, input] of this.sectionSwitches) input.checked = getAt(this.document?.values, path.split('.')) !== null;
    for (const control of this.controls) {
      const value = valueOf(control.field, this.document?.values);
      const shown = displayValue(control.field, value);
      if (control.input instanceof HTMLInputElement && control.input.type === 'checkbox') control.input.checked = shown === true;
      else control.input.value = String(shown);
      const origin = this.document?.origins?.[control.field.path] ?? 'default';
      control.origin.textContent = originText(this.document?.origins, control.field.path);
      control.origin.dataset.origin = origin;
      this.clearProblem(control);
    }
    this.enableSections();
    this.ui.problems.hidden = true;
  }

  private clearProblem(control: Control): void {
    control.problem.hidden = true;
    control.problem.textContent = '';
    control.input.removeAttribute('aria-invalid');
  }

  private raws(): Map<string, string | boolean> {
    const raws = new Map<string, string | boolean>();
    for (const [path, input] of this.sectionSwitches) raws.set(path, input.checked);
    for (const { field, input } of this.controls) {
      raws.set(field.path, input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : input.value);
    }
    return raws;
  }

  /** Problems next to their fields (the first one focused), the rest above the form. */
  private showProblems(byField: Map<string, string[]>, general: string[]): void {
    let first: Control | undefined;
    for (const control of this.controls) {
      const messages = byField.get(control.field.path);
      if (!messages) {
        this.clearProblem(control);
        continue;
      }
      control.problem.textContent = messages.map((m) => m.charAt(0).toUpperCase() + m.slice(1)).join(' ');
      control.problem.hidden = false;
      control.input.setAttribute('aria-invalid', 'true');
      first ??= control;
    }
    this.ui.problems.hidden = general.length === 0;
    this.ui.problems.replaceChildren(...general.map((g) => h('p', {}, g)));
    first?.input.focus();
  }

  /**
   * Reloads the values when the form holds no changes of its own, e.g. after open viewing was
   * turned on or off in the Users section (it is part of the settings, so their ETag moved on).
   * With changes, Apply's If-Match will find out, and nothing typed is thrown away here.
   */
  async refreshIfUnchanged(): Promise<void> {
    if (!this.document || this.busy) return;
    const { values, problems } = collect(this.fields, this.document.values, this.raws());
    if (problems.size === 0 && JSON.stringify(values) === JSON.stringify(this.document.values)) await this.load();
  }

  revert(): void {
    this.fill();
    say(this.ui.message, 'Back to the values on the device.');
  }

  async apply(): Promise<void> {
    if (this.busy || !this.document) return;
    const { values, problems } = collect(this.fields, this.document.values, this.raws());
    if (problems.size > 0) {
      this.showProblems(new Map([...problems].map(([path, message]) => [path, [message]])), []);
      say(this.ui.message, 'Nothing was applied: see the marked fields.', 'bad');
      return;
    }
    this.busy = true;
    this.ui.apply.disabled = true;
    say(this.ui.message, 'Applying…');
    try {
      const result = await this.api.putSettings(values, this.etag);
      if (result.ok && isSettingsDocument(result.body)) {
        this.accept(result.body, result.etag);
        say(this.ui.message, 'Saved.', 'ok');
      } else if (result.ok) {
        await this.load();
        say(this.ui.message, 'Saved.', 'ok');
      } else if (result.status === 400) {
        const mapped = mapProblems(result.problems, this.fields);
        this.showProblems(mapped.byField, mapped.general.length || mapped.byField.size ? mapped.general : [result.message]);
        say(this.ui.message, 'The device refused these settings: see the marked fields.', 'bad');
      } else if (result.status === 412) {
        const reloaded = await this.load();
        say(
          this.ui.message,
          reloaded
            ? 'Someone else changed the settings meanwhile. These are the values now on the device; your changes were not applied.'
            : 'Someone else changed the settings meanwhile, and they could not be reloaded; your changes were not applied.',
          'bad',
        );
      } else {
        say(this.ui.message, `Not applied: ${result.message}`, 'bad');
      }
    } finally {
      this.busy = false;
      this.ui.apply.disabled = false;
    }
  }

  private async reset(): Promise<void> {
    this.ui.resetConfirm.hidden = true;
    const result = await this.api.resetSettings();
    if (!result.ok) {
      say(this.ui.fileMessage, `Not reset: ${result.message}`, 'bad');
      return;
    }
    await this.load();
    say(this.ui.fileMessage, "Back to the config file's settings.", 'ok');
  }

  private async exportFile(): Promise<void> {
    const res = await this.api.raw('/api/settings/export');
    if (!res?.ok) {
      say(this.ui.fileMessage, res ? `No export (HTTP ${res.status}).` : 'The device did not answer.', 'bad');
      return;
    }
    const stamp = new Date().toISOString().slice(0, 10);
    this.download(await res.blob(), `picamd-settings-${stamp}.json`);
    say(this.ui.fileMessage, 'Exported (without passwords).', 'ok');
  }

  private async importFile(): Promise<void> {
    const file = this.ui.importInput.files?.[0];
    this.ui.importInput.value = '';
    if (!file) return;
    const result = await this.api.importSettings(await file.text());
    if (!result.ok) {
      const lines = result.problems.length ? result.problems.join('; ') : result.message;
      say(this.ui.fileMessage, `${file.name} was not imported, nothing changed: ${lines}`, 'bad');
      return;
    }
    await this.load();
    say(this.ui.fileMessage, `Imported ${file.name}.`, 'ok');
  }
}
