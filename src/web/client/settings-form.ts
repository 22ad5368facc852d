// The settings form's pure part: from the device's JSON Schema (GET /api/settings/schema) to a
// list of fields, from what is typed back to values, and from the device's "path: message"
// problems to the fields they belong to. No DOM here: tested under Node.

import { fieldText, t, type MessageKey } from './i18n/translate.js';

export const GROUPS = ['Camera', 'Video', 'Picture', 'Focus', 'Exposure', 'Device', 'RTSP / ONVIF'] as const;
export type Group = (typeof GROUPS)[number];
export type Applies = 'live' | 'camera' | 'gpio' | 'restart';
export type Origin = 'default' | 'config' | 'page';
export type Scalar = string | number | boolean | null;

export interface Field {
  /** `camera.width` */
  path: string;
  keys: string[];
  group: Group;
  title: string;
  description: string;
  unit: string;
  applies: Applies;
  kind: 'integer' | 'number' | 'boolean' | 'string' | 'enum';
  /** For kind 'enum'. */
  options: Scalar[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  maxLength?: number;
  minLength?: number;
  /** null is a value (e.g. "no --camera flag"): an empty input means null. */
  nullable: boolean;
  /** Not required and not nullable: an empty input leaves the setting out. */
  optional: boolean;
  default?: unknown;
  /** Write-only (a broker password): the device shows a placeholder, and takes it back as "unchanged". */
  secret: boolean;
  /** The nearest enclosing object that may be null as a whole (`gpio.led`: no LED), if any. */
  section?: string;
}

/** An object that may be null as a whole: one switch on the form turns all of its fields on or off. */
export interface Section {
  path: string;
  keys: string[];
  /** What its fields' titles have in common ("LED" for "LED pin", "LED active low"), else its key. */
  title: string;
}

type JsonSchema = Record<string, unknown>;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const str = (x: unknown): string => (typeof x === 'string' ? x : '');

/** Follows a local `$ref` (`#/$defs/...`) against the root schema. */
function resolve(node: JsonSchema, root: JsonSchema): JsonSchema {
  for (let i = 0; i < 16 && typeof node.$ref === 'string' && node.$ref.startsWith('#/'); i++) {
    let target: unknown = root;
    for (const part of node.$ref.slice(2).split('/')) target = isObject(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    if (!isObject(target)) break;
    const { $ref: _ref, ...rest } = node;
    node = { ...target, ...rest };
  }
  return node;
}

/** A node's own keywords with `anyOf: [X, {type: 'null'}]` folded into X (and nullable). */
function unwrap(node: JsonSchema, root: JsonSchema): { node: JsonSchema; nullable: boolean } {
  node = resolve(node, root);
  const alternatives = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (!alternatives) {
    const types = Array.isArray(node.type) ? node.type : undefined;
    if (types?.includes('null')) {
      const rest = types.filter((t) => t !== 'null');
      return { node: { ...node, type: rest.length === 1 ? rest[0] : rest }, nullable: true };
    }
    return { node, nullable: Array.isArray(node.enum) && node.enum.includes(null) };
  }
  const parts = alternatives.filter(isObject).map((a) => resolve(a, root));
  const nonNull = parts.filter((a) => a.type !== 'null');
  const nullable = nonNull.length < parts.length;
  const { anyOf: _a, oneOf: _o, ...own } = node;
  if (nonNull.length === 1) return { node: { ...nonNull[0], ...own }, nullable };
  // Several literals (z.literal([0, 180]) may come out as anyOf of consts): one enum.
  if (nonNull.length > 1 && nonNull.every((a) => 'const' in a || Array.isArray(a.enum))) {
    const options = nonNull.flatMap((a) => ('const' in a ? [a.const] : (a.enum as unknown[])));
    return { node: { ...own, enum: options }, nullable };
  }
  return { node: { ...own, anyOf: nonNull }, nullable };
}

/**
 * Settable, but not from the form: open viewing lets anyone watch without a password, so it is
 * turned on only in the Users section, after an explicit confirmation (POST /api/users/open-viewing).
 */
export const MANAGED_ELSEWHERE: ReadonlySet<string> = new Set(['server.openViewing']);

const isGroup = (x: unknown): x is Group => (GROUPS as readonly unknown[]).includes(x);
const APPLIES: readonly Applies[] = ['live', 'camera', 'gpio', 'restart'];

/**
 * Every settable leaf of the schema, in schema order: a node is a field when it carries a `group`
 * the page knows; objects without one are walked into. Leaves of a kind the page cannot edit
 * (arrays, objects with a group) are left out rather than shown wrong.
 */
export function fieldsOf(schema: unknown): Field[] {
  if (!isObject(schema)) return [];
  const fields: Field[] = [];
  const walk = (raw: JsonSchema, keys: string[], required: boolean, section: string | undefined) => {
    const { node, nullable } = unwrap(raw, schema);
    if (isGroup(node.group)) {
      const field = fieldOf(node, keys, nullable, required);
      if (field && section) field.section = section;
      if (field && !MANAGED_ELSEWHERE.has(field.path)) fields.push(field);
      return;
    }
    if (node.type === 'object' && isObject(node.properties)) {
      const req = Array.isArray(node.required) ? node.required : [];
      const inner = nullable && keys.length > 0 ? keys.join('.') : section;
      for (const [key, child] of Object.entries(node.properties)) {
        if (isObject(child)) walk(child, [...keys, key], req.includes(key) || 'default' in child, inner);
      }
    }
  };
  walk(schema, [], true, undefined);
  return fields;
}

function fieldOf(node: JsonSchema, keys: string[], nullable: boolean, required: boolean): Field | undefined {
  let kind: Field['kind'];
  const options: Scalar[] = [];
  if (Array.isArray(node.enum)) {
    kind = 'enum';
    for (const o of node.enum) if (o !== null && ['string', 'number', 'boolean'].includes(typeof o)) options.push(o as Scalar);
  } else if ('const' in node && ['string', 'number', 'boolean'].includes(typeof node.const)) {
    kind = 'enum';
    options.push(node.const as Scalar);
  } else if (node.type === 'integer' || node.type === 'number' || node.type === 'boolean' || node.type === 'string') {
    kind = node.type;
  } else {
    return undefined;
  }
  const applies = APPLIES.includes(node.applies as Applies) ? (node.applies as Applies) : 'live';
  const path = keys.join('.');
  const field: Field = {
    path,
    keys,
    group: node.group as Group,
    // The page's language when its table has the setting, else the device's English.
    title: fieldText(path, 'title') ?? (str(node.title) || keys[keys.length - 1] || ''),
    description: fieldText(path, 'description') ?? str(node.description),
    unit: str(node.unit),
    applies,
    kind,
    options,
    nullable,
    optional: !required && !nullable,
    secret: node.secret === true,
  };
  for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'maxLength', 'minLength'] as const) {
    const v = num(node[k]);
    if (v !== undefined) field[k] = v;
  }
  if ('default' in node) field.default = node.default;
  return field;
}

/** The nullable objects the fields belong to, each once, in field order. */
export function sectionsOf(fields: readonly Field[]): Section[] {
  const sections: Section[] = [];
  for (const field of fields) {
    if (!field.section || sections.some((s) => s.path === field.section)) continue;
    const members = fields.filter((f) => f.section === field.section);
    const keys = field.section.split('.');
    const title = fieldText(field.section, 'title') ?? (commonWords(members.map((f) => f.title)) || keys[keys.length - 1] || field.section);
    sections.push({ path: field.section, keys, title });
  }
  return sections;
}

/** The leading words all titles share: "Privacy input" for "Privacy input pin" and "Privacy input type". */
function commonWords(titles: readonly string[]): string {
  const split = titles.map((t) => t.split(' '));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length && split.every((words) => words.length > n + 1 && words[n] === first[n])) n++;
  return first.slice(0, n).join(' ');
}

/** The fields by group, in the page's group order; empty groups left out. */
export function groupFields(fields: Field[]): Array<{ group: Group; fields: Field[] }> {
  return GROUPS.map((group) => ({ group, fields: fields.filter((f) => f.group === group) })).filter((g) => g.fields.length > 0);
}

/** `1 280` style numbers are not needed on a camera; plain `1280`, and 0.5 as `0.5`. */
const n = (x: number) => String(x);

/** A unit in the page's language (`dioptres` → `屈光度`); a unit the table does not know stays as it is. */
export function unitText(unit: string): string {
  if (!unit) return '';
  const key = `settings.unit.${unit}` as MessageKey;
  const text = t(key);
  return text === key ? unit : text;
}

/** What may be entered, for the hint under the control: `64–4608 px`, `more than 0 µs`, `0, 180 °`. */
export function rangeText(field: Field): string {
  const unit = field.unit ? ` ${unitText(field.unit)}` : '';
  let text = '';
  if (field.kind === 'boolean') return t('settings.range.onOff');
  if (field.kind === 'enum') text = field.options.map((o) => String(o)).join(', ') + unit;
  else if (field.kind === 'string') text = field.maxLength !== undefined ? t('settings.range.upTo', { n: n(field.maxLength) }) : t('settings.range.text');
  else {
    const low = field.minimum !== undefined ? t('settings.range.atLeast', { n: n(field.minimum) }) : field.exclusiveMinimum !== undefined ? t('settings.range.moreThan', { n: n(field.exclusiveMinimum) }) : undefined;
    const high = field.maximum !== undefined ? t('settings.range.atMost', { n: n(field.maximum) }) : field.exclusiveMaximum !== undefined ? t('settings.range.lessThan', { n: n(field.exclusiveMaximum) }) : undefined;
    if (field.minimum !== undefined && field.maximum !== undefined) {
      text = t(field.minimum < 0 ? 'settings.range.fromToNegative' : 'settings.range.fromTo', { min: n(field.minimum), max: n(field.maximum) }) + unit;
    } else if (low && high) text = t('settings.range.and', { a: low, b: high }) + unit;
    else if (low || high) text = (low ?? high ?? '') + unit;
    else text = t(field.kind === 'integer' ? 'settings.range.wholeNumber' : 'settings.range.number') + unit;
    if (field.multipleOf === 2 && field.kind === 'integer') text += t('settings.range.even');
    else if (field.multipleOf !== undefined) text += t('settings.range.multiple', { n: n(field.multipleOf) });
    else if (field.kind === 'integer' && (low || high)) text += t('settings.range.whole');
  }
  if (field.secret) text += t('settings.range.secret');
  if (field.nullable) text += t('settings.range.emptyNotSet');
  else if (field.optional) text += t('settings.range.emptyAutomatic');
  return text;
}

export function appliesText(applies: Applies): string {
  return t(`settings.applies.${applies}`);
}

export function originWords(origin: Origin): string {
  return t(`settings.origin.${origin}`);
}

/** A group's name in the page's language (a group the table does not know keeps its own name). */
export function groupLabel(group: string): string {
  const key = `settings.group.${group}` as MessageKey;
  const label = t(key);
  return label === key ? group : label;
}

/** Plain words for a technical choice (`Compatible (MJPEG)` for codec `mjpeg`), or undefined. */
export function optionLabel(field: Field, option: Scalar): string | undefined {
  const key = `settings.option.${field.keys[field.keys.length - 1]}.${String(option)}` as MessageKey;
  const label = t(key);
  return label === key ? undefined : label;
}

/** What an option shows: its plain words with the raw value beside, or the raw value with its unit. */
export function optionText(field: Field, option: Scalar): string {
  const raw = `${String(option)}${field.unit ? ` ${unitText(field.unit)}` : ''}`;
  const label = optionLabel(field, option);
  return label ? `${label} · ${raw}` : raw;
}

/**
 * A description's first sentence, and the rest for behind a "more" (empty when it is short).
 * Short texts (100 characters or fewer) stay whole.
 */
export function splitDescription(text: string): { short: string; more: string } {
  if (text.length <= 100) return { short: text, more: '' };
  // Chinese: the first "。" or "；", at least a few characters in (a Chinese sentence is shorter).
  const wide = text.slice(8).search(/[。；]/);
  if (wide >= 0 && wide + 8 <= 100) return { short: text.slice(0, wide + 9), more: text.slice(wide + 9).trim() };
  // The first ". " or "; " that ends a sentence (not "e.g. "), at least a few words in.
  const end = text.slice(20).search(/(?<!\b(e\.g|i\.e))[.;]\s/);
  if (end < 0 || end + 20 > 160) return { short: text, more: '' };
  const at = end + 20;
  return { short: text.slice(0, at + 1), more: text.slice(at + 2).trim() };
}

/** Whether a field matches the filter: every word of the query in its title, description, path or options. */
export function matchesFilter(field: Field, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const options = field.options.map((o) => `${String(o)} ${optionLabel(field, o) ?? ''}`).join(' ');
  const haystack = `${field.title} ${field.description} ${field.path} ${groupLabel(field.group)} ${options}`.toLowerCase();
  return words.every((w) => haystack.includes(w));
}

/** The dearest cost among changed fields: restart > camera > gpio > live. */
export function costOf(applies: readonly Applies[]): Applies | undefined {
  for (const cost of ['restart', 'camera', 'gpio', 'live'] as const) if (applies.includes(cost)) return cost;
  return undefined;
}

export function originText(origins: Record<string, string> | undefined, path: string): string {
  const origin = origins?.[path];
  return originWords(origin === 'config' || origin === 'page' ? origin : 'default');
}

export function getAt(tree: unknown, keys: readonly string[]): unknown {
  let node = tree;
  for (const key of keys) node = isObject(node) ? node[key] : undefined;
  return node;
}

/** A copy of `tree` with `value` at `keys` (undefined removes the key); objects on the way are created. */
export function setAt(tree: unknown, keys: readonly string[], value: unknown): Record<string, unknown> {
  const root: Record<string, unknown> = isObject(tree) ? { ...tree } : {};
  let node = root;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      if (value === undefined) delete node[key];
      else node[key] = value;
      return;
    }
    const next = isObject(node[key]) ? { ...(node[key] as Record<string, unknown>) } : {};
    node[key] = next;
    node = next;
  });
  return root;
}

/**
 * The value a field's control starts from: the device's, or, inside a section that is off (null),
 * the field's default, so that turning the section on starts from sensible values.
 */
export function valueOf(field: Field, values: unknown): unknown {
  if (field.section && getAt(values, field.section.split('.')) === null) return field.default;
  return getAt(values, field.keys);
}

/** What a control shows for a value: the text of an input, an option's index, a checkbox's state. */
export function displayValue(field: Field, value: unknown): string | boolean {
  if (field.kind === 'boolean') return value === true;
  if (value === null || value === undefined) return '';
  if (field.kind === 'enum') {
    const i = field.options.findIndex((o) => o === value);
    return i < 0 ? '' : String(i);
  }
  return String(value);
}

export type Coerced = { ok: true; value: unknown } | { ok: false; problem: string };

/**
 * From what a control holds to the value the device takes, with the schema's bounds checked here
 * too so a typo is pointed at before anything is sent. `undefined` means "leave the setting out".
 */
export function coerce(field: Field, raw: string | boolean): Coerced {
  if (field.kind === 'boolean') return { ok: true, value: raw === true };
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') {
    if (field.nullable) return { ok: true, value: null };
    if (field.optional) return { ok: true, value: undefined };
    if (field.kind === 'string') return checkString(field, '');
    return { ok: false, problem: t('settings.problem.required') };
  }
  if (field.kind === 'enum') {
    const option = field.options[Number(text)];
    return option === undefined || !/^\d+$/.test(text) ? { ok: false, problem: t('settings.problem.option') } : { ok: true, value: option };
  }
  if (field.kind === 'string') return checkString(field, typeof raw === 'string' ? raw : '');
  const value = Number(text.replace(',', '.'));
  if (!Number.isFinite(value) || !/^[-+]?(\d+([.,]\d*)?|[.,]\d+)(e[-+]?\d+)?$/i.test(text)) return { ok: false, problem: t('settings.problem.number') };
  if (field.kind === 'integer' && !Number.isInteger(value)) return { ok: false, problem: t('settings.problem.whole') };
  const unit = field.unit ? ` ${unitText(field.unit)}` : '';
  if (field.minimum !== undefined && value < field.minimum) return { ok: false, problem: t('settings.problem.atLeast', { n: n(field.minimum) + unit }) };
  if (field.maximum !== undefined && value > field.maximum) return { ok: false, problem: t('settings.problem.atMost', { n: n(field.maximum) + unit }) };
  if (field.exclusiveMinimum !== undefined && value <= field.exclusiveMinimum) return { ok: false, problem: t('settings.problem.moreThan', { n: n(field.exclusiveMinimum) + unit }) };
  if (field.exclusiveMaximum !== undefined && value >= field.exclusiveMaximum) return { ok: false, problem: t('settings.problem.lessThan', { n: n(field.exclusiveMaximum) + unit }) };
  if (field.multipleOf !== undefined && !isMultiple(value, field.multipleOf)) {
    return { ok: false, problem: field.multipleOf === 2 && field.kind === 'integer' ? t('settings.problem.even') : t('settings.problem.multiple', { n: n(field.multipleOf) }) };
  }
  return { ok: true, value };
}

/** 0.3 is a multiple of 0.1 although 0.3 % 0.1 is not 0 in floating point. */
function isMultiple(value: number, step: number): boolean {
  if (step <= 0) return true;
  const q = value / step;
  return Math.abs(q - Math.round(q)) < 1e-9;
}

function checkString(field: Field, value: string): Coerced {
  const length = [...value].length;
  if (field.maxLength !== undefined && length > field.maxLength) return { ok: false, problem: t('settings.problem.maxChars', { n: n(field.maxLength) }) };
  if (field.minLength !== undefined && length < field.minLength) return { ok: false, problem: field.minLength === 1 ? t('settings.problem.required') : t('settings.problem.minChars', { n: n(field.minLength) }) };
  return { ok: true, value };
}

/**
 * The whole settable tree to PUT: the values as loaded with every field's control applied on top
 * (keys the page has no field for go back unchanged, as do empty fields the device sent no value
 * for), and the problems by field path. A section
 * switched off (`raws` holds false under the section's path) is null, its fields ignored.
 */
export function collect(fields: Field[], loaded: unknown, raws: ReadonlyMap<string, string | boolean>): { values: Record<string, unknown>; problems: Map<string, string> } {
  let values: Record<string, unknown> = isObject(loaded) ? structuredClone(loaded) : {};
  const problems = new Map<string, string>();
  for (const section of sectionsOf(fields)) {
    const on = raws.get(section.path);
    if (on === false) values = setAt(values, section.keys, null);
    else if (on === true && !isObject(getAt(values, section.keys))) values = setAt(values, section.keys, {});
  }
  for (const field of fields) {
    const raw = raws.get(field.path);
    if (raw === undefined) continue;
    if (field.section && raws.get(field.section) === false) continue;
    // Left empty and not on the device either: nothing to send (the device fills in its default).
    if (raw === '' && getAt(loaded, field.keys) === undefined) continue;
    const result = coerce(field, raw);
    if (result.ok) values = setAt(values, field.keys, result.value);
    else problems.set(field.path, result.problem);
  }
  return { values, problems };
}

/**
 * The device's problems (`"camera.width: must be at most 4608"`) by field: each goes to the field
 * whose path is the problem's path or the nearest enclosing one; the rest are shown above the form.
 */
export function mapProblems(problems: readonly string[], fields: readonly Field[]): { byField: Map<string, string[]>; general: string[] } {
  const byField = new Map<string, string[]>();
  const general: string[] = [];
  const paths = new Set(fields.map((f) => f.path));
  for (const problem of problems) {
    const colon = problem.indexOf(': ');
    const path = colon > 0 ? problem.slice(0, colon).trim() : '';
    const message = colon > 0 ? problem.slice(colon + 2) : problem;
    let match: string | undefined;
    for (let parts = path.split('.'); parts.length > 0 && path; parts = parts.slice(0, -1)) {
      if (paths.has(parts.join('.'))) {
        match = parts.join('.');
        break;
      }
    }
    if (match) byField.set(match, [...(byField.get(match) ?? []), message]);
    else general.push(problem);
  }
  return { byField, general };
}
