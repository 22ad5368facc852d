// The Settings view: a form built from the device's schema (settings-form.ts does the pure part),
// in groups that collapse and can be jumped to, with a filter; Apply with If-Match in a bar that
// stays on screen and says what Apply will cost; one status beside it that follows a change through
// (apply-progress.ts); sliders for the picture adjustments with a preview on the live picture
// (picture-preview.ts), applied once on release; Revert, the device's problems next to their
// fields, reset, export and import.

import { isSettingsDocument, type DeviceApi, type Failure, type SettingsDocument } from './api.js';
import type { DeviceStatus } from '../api/types.js';
import { ApplyProgress, type Said } from './apply-progress.js';
import { byId, h, say } from './dom.js';
import { t } from './i18n/translate.js';
import { previewFilter, SLIDERS } from './picture-preview.js';
import {
  appliesText,
  collect,
  displayValue,
  fieldsOf,
  getAt,
  groupFields,
  groupLabel,
  mapProblems,
  matchesFilter,
  optionText,
  originText,
  rangeText,
  sectionsOf,
  setAt,
  splitDescription,
  valueOf,
  coerce,
  type Applies,
  type Field,
  type Section,
} from './settings-form.js';

interface Control {
  field: Field;
  input: HTMLInputElement | HTMLSelectElement;
  /** The picture adjustments' slider beside the number box. */
  slider?: HTMLInputElement;
  box: HTMLElement;
  origin: HTMLElement;
  problem: HTMLElement;
}

/** How long after a slider's last change its value is applied (arrow keys step many times). */
const SLIDER_SETTLE_MS = 500;

export function findSettingsElements(doc: Document) {
  const id = <T extends HTMLElement = HTMLElement>(name: string) => byId<T>(doc, name);
  return {
    open: id<HTMLButtonElement>('settings-open'),
    section: id('settings'),
    heading: id('settings-heading'),
    form: id<HTMLFormElement>('settings-form'),
    problems: id('settings-problems'),
    loading: id('settings-loading'),
    groups: id('settings-groups'),
    apply: id<HTMLButtonElement>('settings-apply'),
    revert: id<HTMLButtonElement>('settings-revert'),
    cost: id('settings-cost'),
    message: id('settings-message'),
    reset: id<HTMLButtonElement>('settings-reset'),
    resetConfirm: id('reset-confirm'),
    resetYes: id<HTMLButtonElement>('reset-yes'),
    resetNo: id<HTMLButtonElement>('reset-no'),
    exportButton: id<HTMLButtonElement>('settings-export'),
    importInput: id<HTMLInputElement>('settings-import'),
    fileMessage: id('file-message'),
    /** The live picture, for the sliders' preview. */
    frame: id('frame'),
  };
}

export type SettingsElements = ReturnType<typeof findSettingsElements>;

export class SettingsView {
  private fields: Field[] = [];
  private controls: Control[] = [];
  /** One switch per object that may be null as a whole (e.g. no status LED). */
  private sectionSwitches = new Map<string, HTMLInputElement>();
  private groupBoxes = new Map<string, { details: HTMLDetailsElement; count: HTMLElement; fields: Field[] }>();
  private document: SettingsDocument | undefined;
  private etag = '';
  private busy = false;
  private readonly progress = new ApplyProgress((path) => this.fields.find((f) => f.path === path)?.title ?? path);
  private privacy = false;
  /** The filter box, the jump list and the "nothing matches" line, made once. */
  private readonly filter: HTMLInputElement;
  private readonly jump: HTMLElement;
  private readonly filterNone: HTMLElement;
  private readonly details: HTMLDetailsElement;
  private readonly detailsText: HTMLElement;
  private readonly previewChip: HTMLElement;
  /** Filters over the picture by setting path, while a slider's value is not yet the camera's. */
  private readonly previews = new Map<string, string>();
  private sliderTimer: number | undefined;
  /** Called each time the view opens, for the users section. */
  onOpen: () => void = () => {};

  constructor(
    private readonly ui: SettingsElements,
    private readonly api: DeviceApi,
    private readonly download: (blob: Blob, name: string) => void,
  ) {
    this.filter = h('input', { id: 'settings-filter', type: 'search', placeholder: t('settings.filterPlaceholder'), autocomplete: 'off', 'aria-controls': 'settings-groups' });
    this.jump = h('nav', { class: 'jump', 'aria-label': t('settings.jump') });
    this.filterNone = h('p', { class: 'muted', role: 'status', hidden: true });
    this.detailsText = h('p', { class: 'camera-line' });
    this.details = h('details', { class: 'status-details', hidden: true }, h('summary', {}, t('settings.status.details')), this.detailsText);
    this.previewChip = h('span', { class: 'chip preview-chip', hidden: true });
  }

  start(): void {
    const { ui } = this;
    ui.groups.before(
      h('div', { class: 'settings-tools' }, h('div', { class: 'field filter' }, h('label', { for: 'settings-filter' }, t('settings.filter')), this.filter), this.jump, this.filterNone),
    );
    ui.message.after(this.details);
    ui.frame.append(this.previewChip);
    ui.apply.setAttribute('aria-describedby', 'settings-cost');
    this.filter.addEventListener('input', () => this.applyFilter());
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
    // The live picture stays in view beside the settings (pinned above them on a phone): style.css.
    document.body.classList.toggle('settings-open', open);
    if (!open) {
      this.clearPreview();
      return;
    }
    this.ui.heading.focus();
    this.ui.section.scrollIntoView({ block: 'start' });
    if (!this.document) void this.load();
    this.onOpen();
  }

  /** A status document (WebSocket or polling): the status beside Apply follows it. */
  showStatus(status: DeviceStatus | undefined): void {
    if (!status) return;
    this.privacy = status.privacy.enabled;
    this.show(this.progress.status(status));
  }

  private show(said: Said): void {
    const el = this.ui.message;
    if (el.textContent !== said.text) el.textContent = said.text;
    el.dataset.tone = said.tone;
    this.details.hidden = !said.details;
    if (this.detailsText.textContent !== said.details) this.detailsText.textContent = said.details;
    // The preview ends once the camera shows the real thing, or went back.
    if (!this.progress.busy && said.tone !== '') this.clearPreview();
  }

  async load(): Promise<boolean> {
    say(this.ui.message, '');
    const [schema, settings] = await Promise.all([this.api.schema(), this.api.settings()]);
    if (!schema.ok || !settings.ok || !isSettingsDocument(settings.body)) {
      const failure = (!schema.ok ? schema : !settings.ok ? settings : undefined) as Failure | undefined;
      this.ui.loading.hidden = false;
      this.ui.loading.textContent = failure?.status === 404 ? t('settings.noApi') : t('settings.loadFailed', { reason: failure?.message ?? t('settings.otherAnswer') });
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
    // A reload (someone else's change, an import) keeps the groups that were open.
    const wasOpen = new Set([...this.groupBoxes].filter(([, box]) => box.details.open).map(([group]) => group));
    groups.replaceChildren();
    this.controls = [];
    this.sectionSwitches.clear();
    this.groupBoxes.clear();
    const sections = sectionsOf(this.fields);
    const links: HTMLElement[] = [];
    for (const { group, fields } of groupFields(this.fields)) {
      const id = `group-${group.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
      const name = groupLabel(group);
      const fieldset = h('fieldset', {}, h('legend', { class: 'visually-hidden' }, name));
      for (const field of fields) {
        const section = sections.find((s) => s.path === field.section);
        if (section && !this.sectionSwitches.has(section.path)) fieldset.append(this.buildSectionSwitch(section));
        fieldset.append(this.buildField(field));
      }
      // Collapsed, never hidden: the summary stays with its name and count.
      const count = h('span', { class: 'group-count' }, t('settings.groupCount', { n: fields.length }));
      const details = h('details', { class: 'card group', id, 'data-group': group, open: wasOpen.has(group) }, h('summary', {}, h('span', { class: 'group-name' }, name), count), fieldset);
      this.groupBoxes.set(group, { details, count, fields });
      groups.append(details);
      const link = h('a', { href: `#${id}`, class: 'jump-link' }, name);
      link.addEventListener('click', (event) => {
        event.preventDefault();
        details.open = true;
        details.scrollIntoView({ block: 'start' });
        details.querySelector('summary')?.focus({ preventScroll: true });
      });
      links.push(link);
    }
    this.jump.replaceChildren(...links);
    this.applyFilter();
  }

  private buildSectionSwitch(section: Section): HTMLElement {
    const id = `set-section-${section.keys.join('-')}`;
    const input = h('input', { id, type: 'checkbox', 'aria-describedby': `${id}-hint` });
    input.addEventListener('change', () => {
      this.enableSections();
      this.updateCost();
    });
    this.sectionSwitches.set(section.path, input);
    return h(
      'div',
      { class: 'field check', 'data-section': section.path },
      input,
      h('label', { for: id }, t('settings.sectionInUse', { title: section.title })),
      h('p', { class: 'hint', id: `${id}-hint` }, t('settings.sectionHint')),
    );
  }

  /** Fields of a section that is off cannot be edited (their values are not sent). */
  private enableSections(): void {
    for (const { field, input, slider } of this.controls) {
      if (!field.section) continue;
      input.disabled = this.sectionSwitches.get(field.section)?.checked === false;
      if (slider) slider.disabled = input.disabled;
    }
  }

  private buildField(field: Field): HTMLElement {
    const id = `set-${field.keys.join('-')}`;
    const hint = h('span', {}, `${rangeText(field)} · ${appliesText(field.applies)}`);
    const origin = h('span', { class: 'origin' });
    const problem = h('p', { class: 'problem', id: `${id}-problem`, hidden: true });
    const { short, more } = splitDescription(field.description);
    const described = `${id}-hint${short ? ` ${id}-desc` : ''} ${id}-problem`;
    let input: HTMLInputElement | HTMLSelectElement;
    if (field.kind === 'enum') {
      input = h('select', { id, name: field.path, 'aria-describedby': described });
      if (field.nullable || field.optional) input.append(h('option', { value: '' }, field.nullable ? t('settings.notSet') : t('settings.automatic')));
      field.options.forEach((option, i) => input.append(h('option', { value: String(i) }, optionText(field, option))));
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
    const box = h('div', { class: field.kind === 'boolean' ? 'field check' : 'field', 'data-path': field.path });
    const control: Control = { field, input, box, origin, problem };
    input.addEventListener('input', () => {
      this.clearProblem(control);
      if (control.slider) {
        control.slider.value = input.value;
        this.preview(control);
      }
      this.updateCost();
    });
    input.addEventListener('change', () => this.updateCost());
    this.controls.push(control);
    const label = h('label', { for: id }, field.title);
    const hintLine = h('p', { class: 'hint', id: `${id}-hint` }, hint, ' · ', origin);
    const description = short ? h('p', { class: 'desc', id: `${id}-desc` }, short) : '';
    const moreText = more ? h('details', { class: 'more' }, h('summary', {}, t('settings.more')), h('p', { class: 'desc' }, more)) : '';
    if (field.kind === 'boolean') box.append(input, label, hintLine, description, moreText, problem);
    else if (SLIDERS[field.path]) box.append(label, h('div', { class: 'slider-row' }, input, this.buildSlider(control, id)), hintLine, description, moreText, problem);
    else box.append(label, input, hintLine, description, moreText, problem);
    return box;
  }

  /** A slider beside the number box: a preview while it moves, the value applied once on release. */
  private buildSlider(control: Control, id: string): HTMLElement {
    const span = SLIDERS[control.field.path]!;
    const slider = h('input', { id: `${id}-slider`, type: 'range', min: String(span.min), max: String(span.max), step: String(span.step) });
    control.slider = slider;
    slider.addEventListener('input', () => {
      control.input.value = slider.value;
      this.clearProblem(control);
      this.preview(control);
      this.updateCost();
    });
    // "change" comes on release (and on each arrow key): one apply once the slider settles.
    slider.addEventListener('change', () => {
      window.clearTimeout(this.sliderTimer);
      this.sliderTimer = window.setTimeout(() => void this.applyOne(control), SLIDER_SETTLE_MS);
    });
    return h('span', { class: 'slider' }, h('label', { for: slider.id, class: 'visually-hidden' }, t('settings.slider', { title: control.field.title })), slider);
  }

  /** The picture as the slider's value would make it, roughly, with a "Preview" label on it. */
  private preview(control: Control): void {
    const value = Number(control.input.value);
    const current = Number(getAt(this.document?.values, control.field.keys) ?? control.field.default ?? 0);
    const filter = Number.isFinite(value) ? previewFilter(control.field.path, value, current) : '';
    if (filter && value !== current) this.previews.set(control.field.path, filter);
    else this.previews.delete(control.field.path);
    this.paintPreview(t('settings.preview', { title: control.field.title, value: control.input.value }));
  }

  private paintPreview(label: string): void {
    const filter = [...this.previews.values()].join(' ');
    for (const el of this.ui.frame.querySelectorAll<HTMLElement>('img, video')) el.style.filter = filter;
    this.previewChip.hidden = !filter;
    if (filter) this.previewChip.textContent = label;
  }

  private clearPreview(): void {
    if (this.previews.size === 0) return;
    this.previews.clear();
    this.paintPreview('');
  }

  /** Shows only the fields that match the filter; groups with a match open, the others say so. */
  private applyFilter(): void {
    const query = this.filter.value.trim();
    let shown = 0;
    for (const control of this.controls) {
      const match = matchesFilter(control.field, query);
      control.box.hidden = !match;
      if (match) shown++;
    }
    for (const [path, input] of this.sectionSwitches) {
      const box = input.closest<HTMLElement>('[data-section]');
      if (box) box.hidden = !this.controls.some((c) => c.field.section === path && !c.box.hidden);
    }
    for (const { details, count, fields } of this.groupBoxes.values()) {
      const matches = this.controls.filter((c) => fields.includes(c.field) && !c.box.hidden).length;
      count.textContent = query && matches === 0 ? t('settings.groupNoMatch') : t('settings.groupCount', { n: query ? matches : fields.length });
      if (query) details.open = matches > 0;
      details.dataset.match = String(!query || matches > 0);
    }
    this.filterNone.hidden = !query || shown > 0;
    this.filterNone.textContent = query && shown === 0 ? t('settings.filterNone', { query }) : '';
  }

  /** What Apply will cost, from the fields whose value differs from the device's. */
  private updateCost(): void {
    const costs = this.changedCosts();
    const phrases = (['camera', 'restart', 'gpio', 'live'] as const).filter((c) => costs.includes(c));
    const text = costs.length === 0 ? t('settings.cost.none') : `${t('settings.cost.changed', { n: costs.length })} · ${(phrases.length > 1 ? phrases.filter((c) => c !== 'live') : phrases).map(appliesText).join('; ')}`;
    if (this.ui.cost.textContent !== text) this.ui.cost.textContent = text;
    this.ui.cost.dataset.cost = phrases[0] ?? '';
  }

  /** One entry per changed field: what its change costs. */
  private changedCosts(): Applies[] {
    if (!this.document) return [];
    const { values } = collect(this.fields, this.document.values, this.raws());
    const costs: Applies[] = [];
    for (const field of this.fields) {
      const before = JSON.stringify(getAt(this.document.values, field.keys) ?? null);
      const after = JSON.stringify(getAt(values, field.keys) ?? null);
      const sectionChanged = field.section !== undefined && (getAt(values, field.section.split('.')) === null) !== (getAt(this.document.values, field.section.split('.')) === null);
      if (before !== after || sectionChanged) costs.push(field.applies);
    }
    return costs;
  }

  /** A settings document from the device: the form shows it, and it is what Revert goes back to. */
  private accept(document: SettingsDocument, etag: string): void {
    this.document = document;
    this.etag = etag;
    this.fill();
  }

  private fill(): void {
    for (const [path, input] of this.sectionSwitches) input.checked = getAt(this.document?.values, path.split('.')) !== null;
    for (const control of this.controls) this.fillControl(control);
    this.enableSections();
    this.ui.problems.hidden = true;
    this.clearPreview();
    this.updateCost();
  }

  private fillControl(control: Control): void {
    const value = valueOf(control.field, this.document?.values);
    const shown = displayValue(control.field, value);
    if (control.input instanceof HTMLInputElement && control.input.type === 'checkbox') control.input.checked = shown === true;
    else control.input.value = String(shown);
    if (control.slider) control.slider.value = String(shown);
    this.showOrigin(control);
    this.clearProblem(control);
  }

  private showOrigin(control: Control): void {
    const origin = this.document?.origins?.[control.field.path] ?? 'default';
    control.origin.textContent = originText(this.document?.origins, control.field.path);
    control.origin.dataset.origin = origin;
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

  /** Problems next to their fields (their groups opened, the first one focused), the rest above the form. */
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
      control.box.hidden = false;
      const details = control.box.closest('details.group');
      if (details instanceof HTMLDetailsElement) details.open = true;
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
    this.show(this.progress.tell({ text: t('settings.reverted'), tone: '', details: '' }));
  }

  async apply(): Promise<void> {
    if (this.busy || !this.document) return;
    const { values, problems } = collect(this.fields, this.document.values, this.raws());
    if (problems.size > 0) {
      this.showProblems(new Map([...problems].map(([path, message]) => [path, [message]])), []);
      this.fail(t('settings.problemsMarked'));
      return;
    }
    const costs = this.changedCosts();
    if (costs.length === 0) {
      this.show(this.progress.tell({ text: t('settings.nothingToApply'), tone: '', details: '' }));
      return;
    }
    await this.send(costs, () => this.api.putSettings(values, this.etag), (document, etag) => this.accept(document, etag));
  }

  /** A slider let go: that one setting is applied on its own (PATCH), other edits stay in the form. */
  private async applyOne(control: Control): Promise<void> {
    if (!this.document) return;
    if (this.busy) {
      // One change at a time: this one follows when the one under way is saved.
      this.sliderTimer = window.setTimeout(() => void this.applyOne(control), SLIDER_SETTLE_MS);
      return;
    }
    const result = coerce(control.field, control.input.value);
    if (!result.ok) {
      this.showProblems(new Map([[control.field.path, [result.problem]]]), []);
      return;
    }
    if (JSON.stringify(result.value) === JSON.stringify(getAt(this.document.values, control.field.keys))) return;
    const patch = setAt({}, control.field.keys, result.value);
    await this.send([control.field.applies], () => this.api.patchSettings(patch, this.etag), (document, etag) => {
      this.document = document;
      this.etag = etag;
      this.fillControl(control);
      for (const c of this.controls) this.showOrigin(c);
      this.updateCost();
    });
  }

  /** Sends a change and follows it: the answer, then the camera's restart through the status documents. */
  private async send(
    costs: Applies[],
    request: () => ReturnType<DeviceApi['putSettings']>,
    keep: (document: SettingsDocument, etag: string) => void,
  ): Promise<void> {
    this.busy = true;
    this.ui.apply.disabled = true;
    this.show(this.progress.saving());
    try {
      const result = await request();
      if (result.ok && isSettingsDocument(result.body)) {
        keep(result.body, result.etag);
        this.show(this.progress.saved(costs, result.body.status, this.privacy));
      } else if (result.ok) {
        await this.load();
        this.show(this.progress.saved(costs, undefined, this.privacy));
      } else if (result.status === 400) {
        const mapped = mapProblems(result.problems, this.fields);
        this.showProblems(mapped.byField, mapped.general.length || mapped.byField.size ? mapped.general : [result.message]);
        this.fail(t('settings.refused'));
      } else if (result.status === 412) {
        const reloaded = await this.load();
        this.fail(reloaded ? t('settings.stale') : t('settings.staleNoReload'));
      } else {
        this.fail(t('settings.notApplied', { message: result.message }));
      }
    } finally {
      this.busy = false;
      this.ui.apply.disabled = false;
    }
  }

  private fail(message: string): void {
    this.clearPreview();
    this.show(this.progress.tell({ text: message, tone: 'bad', details: '' }));
  }

  private async reset(): Promise<void> {
    this.ui.resetConfirm.hidden = true;
    const result = await this.api.resetSettings();
    if (!result.ok) {
      say(this.ui.fileMessage, t('settings.notReset', { message: result.message }), 'bad');
      return;
    }
    await this.load();
    say(this.ui.fileMessage, t('settings.resetDone'), 'ok');
  }

  private async exportFile(): Promise<void> {
    const res = await this.api.raw('/api/settings/export');
    if (!res?.ok) {
      say(this.ui.fileMessage, res ? t('settings.noExport', { status: String(res.status) }) : t('common.unreachable'), 'bad');
      return;
    }
    const stamp = new Date().toISOString().slice(0, 10);
    this.download(await res.blob(), `picamd-settings-${stamp}.json`);
    say(this.ui.fileMessage, t('settings.exported'), 'ok');
  }

  private async importFile(): Promise<void> {
    const file = this.ui.importInput.files?.[0];
    this.ui.importInput.value = '';
    if (!file) return;
    const result = await this.api.importSettings(await file.text());
    if (!result.ok) {
      const lines = result.problems.length ? result.problems.join('; ') : result.message;
      say(this.ui.fileMessage, t('settings.notImported', { name: file.name, lines }), 'bad');
      return;
    }
    await this.load();
    say(this.ui.fileMessage, t('settings.imported', { name: file.name }), 'ok');
  }
}
