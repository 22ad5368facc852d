import { jsonNestingDepth, MAX_JSON_DEPTH } from './json-depth.js';
import type { Request } from './request.js';
import { problem, type Response } from './response.js';

// Request bodies of the JSON API: an object, or a 400 that says what was wrong.

export type JsonBody = { ok: true; value: Record<string, unknown> } | { ok: false; response: Response };

export function jsonObjectBody(req: Request): JsonBody {
  const text = req.body.toString('utf8');
  if (jsonNestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    return { ok: false, response: problem(400, 'bad-request', `The body nests deeper than ${MAX_JSON_DEPTH} levels.`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, response: problem(400, 'bad-request', 'The body is not valid JSON.') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, response: problem(400, 'bad-request', 'The body must be a JSON object.') };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** `field` of a body as a string, or the 400 naming it. */
export function stringField(body: Record<string, unknown>, field: string, problems: string[]): string {
  const value = body[field];
  if (typeof value === 'string') return value;
  problems.push(`${field}: must be a string`);
  return '';
}

/** One password rule for the page, the API and picamd-setup.txt. */
export { MAX_PASSWORD, MIN_PASSWORD, passwordProblems } from '../../device/accounts/rules.js';

/** Unknown keys in a body, as problems: a typo must not pass silently. */
export function unknownKeys(body: Record<string, unknown>, known: readonly string[]): string[] {
  return Object.keys(body)
    .filter((key) => !known.includes(key))
    .map((key) => `${key}: unknown key`);
}

export function invalid(problems: string[]): Response {
  return problem(400, 'invalid', problems.join('; '), {}, { problems });
}
