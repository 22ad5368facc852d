import { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { innerOf, settingMetaOf, type Applies, type SettingMeta } from './meta.js';
import { isPlainObject, type Tree } from './tree.js';

// The part of the config the page may set, derived from the zod schema alone: a leaf is settable
// iff its schema carries `.meta({ group, ... })` (meta.ts), an object iff something under it is.

export type SchemaNode =
  | { kind: 'object'; nullable: boolean; children: Record<string, SchemaNode>; settable: boolean }
  | { kind: 'leaf'; meta?: SettingMeta; settable: boolean };

export interface SettableLeaf {
  /** Dotted, e.g. `camera.width`. */
  key: string;
  path: readonly string[];
  meta: SettingMeta;
}

function describe(schema: z.ZodType): SchemaNode {
  const meta = settingMetaOf(schema);
  let nullable = false;
  let core = schema;
  for (let inner = innerOf(core); inner; inner = innerOf(core)) {
    if (core._zod.def.type === 'nullable') nullable = true;
    core = inner;
  }
  if (core instanceof z.ZodObject) {
    const children: Record<string, SchemaNode> = {};
    for (const [key, child] of Object.entries(core.shape as Record<string, z.ZodType>)) children[key] = describe(child);
    return { kind: 'object', nullable, children, settable: Object.values(children).some((c) => c.settable) };
  }
  return meta ? { kind: 'leaf', meta, settable: true } : { kind: 'leaf', settable: false };
}

/** The whole config schema as a tree of nodes, with what is settable marked. */
export const configTree = describe(configSchema);

function collectLeaves(node: SchemaNode, path: string[]): SettableLeaf[] {
  if (node.kind === 'leaf') return node.meta ? [{ key: path.join('.'), path, meta: node.meta }] : [];
  return Object.entries(node.children).flatMap(([k, child]) => collectLeaves(child, [...path, k]));
}

/** Every settable leaf, in schema order. */
export const settableLeaves: readonly SettableLeaf[] = collectLeaves(configTree, []);
const leafByKey = new Map(settableLeaves.map((l) => [l.key, l]));

export function settableLeaf(key: string): SettableLeaf | undefined {
  return leafByKey.get(key);
}

/** The settable part of a (parsed) config tree: same shape, settable keys only; a null subtree stays null. */
export function pickSettable(config: Config | Tree): Tree {
  return pick(config, configTree) as Tree;
}

function pick(value: unknown, node: SchemaNode): unknown {
  if (node.kind === 'leaf' || !isPlainObject(value)) return value;
  const out: Tree = {};
  for (const [key, child] of Object.entries(node.children)) {
    if (child.settable && value[key] !== undefined) out[key] = pick(value[key], child);
  }
  return out;
}

/**
 * `path: unknown key` and `path: cannot be set from the page` for every key of `body` outside the
 * settable tree. `allow` lists dotted paths taken as they are (the users, in the settings file).
 * Values are not checked here: the merged config is validated as a whole.
 */
export function keyProblems(body: Tree, allow: readonly string[] = []): string[] {
  const problems: string[] = [];
  const walk = (value: Tree, node: SchemaNode & { kind: 'object' }, prefix: string) => {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      const schemaChild = Object.hasOwn(node.children, key) ? node.children[key] : undefined;
      if (allow.includes(path)) continue;
      if (!schemaChild) problems.push(`${path}: unknown key`);
      else if (!schemaChild.settable) problems.push(`${path}: cannot be set from the page`);
      else if (schemaChild.kind === 'object' && isPlainObject(child)) walk(child, schemaChild, path);
    }
  };
  if (configTree.kind === 'object') walk(body, configTree, '');
  return problems;
}

/**
 * The 'applies' classes a change touches: each changed path's own, or those of every settable leaf
 * under it (a whole subtree such as `gpio.led` turned to null). Users and other paths that are not
 * page settings are live (the authenticator reads them per request); anything unknown is a restart.
 */
export function appliesOf(paths: readonly string[]): Set<Applies> {
  const out = new Set<Applies>();
  for (const path of paths) {
    const leaf = leafByKey.get(path);
    if (leaf) {
      out.add(leaf.meta.applies);
      continue;
    }
    const under = settableLeaves.filter((l) => l.key.startsWith(`${path}.`));
    if (under.length > 0) for (const l of under) out.add(l.meta.applies);
    else if (path === 'server.auth' || path.startsWith('server.auth.')) out.add('live');
    else out.add('restart');
  }
  return out;
}

function prune(schema: z.ZodType): z.ZodType | undefined {
  const layers: z.ZodType[] = [];
  let core = schema;
  for (let inner = innerOf(core); inner; inner = innerOf(core)) {
    layers.push(core);
    core = inner;
  }
  if (!(core instanceof z.ZodObject)) return settingMetaOf(schema) ? schema : undefined;
  const shape: Record<string, z.ZodType> = {};
  for (const [key, child] of Object.entries(core.shape as Record<string, z.ZodType>)) {
    const kept = prune(child);
    if (kept) shape[key] = kept;
  }
  if (Object.keys(shape).length === 0) return undefined;
  // Rebuild the wrappers (nullable, prefault, ...) around the smaller object, innermost first.
  let rebuilt: z.ZodType = z.strictObject(shape);
  for (const layer of layers.reverse()) {
    const def = layer._zod.def as { type: string; defaultValue?: unknown };
    if (def.type === 'nullable') rebuilt = rebuilt.nullable();
    else if (def.type === 'optional') rebuilt = rebuilt.optional();
    // The page's tree has every key, so a subtree's default is simply "all its own defaults".
    else if (def.type === 'prefault' || def.type === 'default') rebuilt = rebuilt.prefault({});
    const meta = layer.meta();
    if (meta) rebuilt = rebuilt.meta(meta);
  }
  return rebuilt;
}

/**
 * The zod schema of the settable tree (config keys with a setting meta only). Built at the first
 * request for the JSON Schema, not at start: a second zod tree that only the settings view reads.
 */
export function settableSchema(): z.ZodType {
  return prune(configSchema) ?? z.strictObject({});
}

/**
 * JSON Schema (draft 2020-12) of the settable tree for the page: each leaf with its meta (group,
 * title, description, unit, applies), bounds, enums and default; input form, so nothing is required.
 */
export function settingsJsonSchema(): Record<string, unknown> {
  jsonSchema ??= z.toJSONSchema(settableSchema(), { io: 'input' }) as Record<string, unknown>;
  return structuredClone(jsonSchema);
}
let jsonSchema: Record<string, unknown> | undefined;
