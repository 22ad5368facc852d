import type { z } from 'zod';

/**
 * A small file of the accounts folder (accounts-digest.json, recorder.json) read against its
 * schema: the document, or the reason it is not one (`what` names it; the first problem's path).
 */
export function parseJsonDocument<T>(text: string, schema: z.ZodType<T>, what: string): { ok: true; doc: T } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `not ${what} (${issue ? `${issue.path.join('.') || 'file'}: ${issue.message}` : 'invalid'})` };
  }
  return { ok: true, doc: parsed.data };
}
