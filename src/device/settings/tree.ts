// Plain-value helpers for config trees (JSON objects): merging layers, the difference between two
// trees, and which leaves changed. Arrays, null and scalars are leaves: a layer replaces them whole.

export type Tree = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `over` on top of `base`: objects merge key by key, anything else in `over` replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) setOwn(out, key, deepMerge(Object.hasOwn(base, key) ? base[key] : undefined, value));
  return out;
}

/**
 * `tree[key] = value` as an own data property even for a key like "__proto__" (JSON.parse makes it
 * an ordinary key; assigning it would change the object's prototype instead).
 */
function setOwn(tree: Tree, key: string, value: unknown): void {
  Object.defineProperty(tree, key, { value, enumerable: true, writable: true, configurable: true });
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The smallest layer that, merged over `base`, gives `next`: only what differs. Undefined when
 * nothing does. A subtree that replaces a leaf (an object where `base` has null) is kept whole.
 */
export function diffTree(base: unknown, next: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(next)) {
    const out: Tree = {};
    for (const [key, value] of Object.entries(next)) {
      const d = diffTree(Object.hasOwn(base, key) ? base[key] : undefined, value);
      if (d !== undefined) setOwn(out, key, d);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return deepEqual(base, next) ? undefined : next;
}

/** Dotted paths of the leaves (or replaced subtrees) that differ between two trees, sorted. */
export function changedPaths(previous: unknown, next: unknown, prefix = ''): string[] {
  if (isPlainObject(previous) && isPlainObject(next)) {
    const keys = new Set([...Object.keys(previous), ...Object.keys(next)]);
    return [...keys].sort().flatMap((k) => changedPaths(previous[k], next[k], prefix ? `${prefix}.${k}` : k));
  }
  return deepEqual(previous, next) ? [] : [prefix];
}

/**
 * Which layer, from the top, decides the value at `path`: the first that holds the full path or
 * puts a non-object (null) on the way to it. A higher layer's object over a lower layer's null
 * hides that layer, and what the higher one leaves out comes from the defaults (undefined here).
 */
export function decidingLayer(layers: readonly unknown[], path: readonly string[]): number | undefined {
  let objectDepth = -1;
  for (let i = 0; i < layers.length; i++) {
    let node = layers[i];
    for (let depth = 0; depth <= path.length; depth++) {
      if (node === undefined) break;
      if (depth === path.length) return i;
      if (!isPlainObject(node)) return depth <= objectDepth ? undefined : i;
      objectDepth = Math.max(objectDepth, depth);
      node = node[path[depth]!];
    }
  }
  return undefined;
}

export function getPath(tree: unknown, path: readonly string[]): unknown {
  let node = tree;
  for (const key of path) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** A copy of `tree` without the value at `path` (and without objects that become empty). */
export function withoutPath(tree: Tree, path: readonly string[]): Tree {
  const [key, ...rest] = path;
  if (key === undefined || !(key in tree)) return tree;
  const out = { ...tree };
  const child = out[key];
  if (rest.length === 0 || !isPlainObject(child)) {
    if (rest.length === 0) delete out[key];
    return out;
  }
  const pruned = withoutPath(child, rest);
  if (Object.keys(pruned).length === 0) delete out[key];
  else out[key] = pruned;
  return out;
}
