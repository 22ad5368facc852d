import { settableLeaves } from './settable.js';
import { isPlainObject, type Tree } from './tree.js';

// Settings marked `secret` (a broker password) are write-only from the page: GET and export show a
// placeholder instead of the value, and a PUT or PATCH that sends the placeholder back keeps the
// value as it is.

export const SECRET_PLACEHOLDER = '(unchanged)';

const secretPaths = settableLeaves.filter((leaf) => leaf.meta.secret).map((leaf) => leaf.path);

function at(tree: Tree, path: readonly string[]): { parent: Tree; key: string } | undefined {
  let node: unknown = tree;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return isPlainObject(node) ? { parent: node, key: path.at(-1)! } : undefined;
}

/** A copy of `tree` with every set secret replaced by the placeholder. */
export function maskSecrets(tree: Tree): Tree {
  const copy = structuredClone(tree);
  for (const path of secretPaths) {
    const spot = at(copy, path);
    if (spot && typeof spot.parent[spot.key] === 'string') spot.parent[spot.key] = SECRET_PLACEHOLDER;
  }
  return copy;
}

/** A copy of a request body with each placeholder put back to the current value. */
export function unmaskSecrets(body: Tree, current: Tree): Tree {
  return restoreSecrets(body, current).tree;
}

/** unmaskSecrets, also naming the secrets (dotted paths) that were put back rather than sent. */
export function restoreSecrets(body: Tree, current: Tree): { tree: Tree; kept: string[] } {
  const copy = structuredClone(body);
  const kept: string[] = [];
  for (const path of secretPaths) {
    const spot = at(copy, path);
    if (!spot || spot.parent[spot.key] !== SECRET_PLACEHOLDER) continue;
    const now = at(current, path);
    spot.parent[spot.key] = now ? now.parent[now.key] : null;
    kept.push(path.join('.'));
  }
  return { tree: copy, kept };
}
