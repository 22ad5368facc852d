import type { PrivacyState, SetResult } from '../../device/privacy/controller.js';

// The HTTP side of privacy without the HTTP server: the handler for POST /api/privacy gets the body
// (capped by the router), calls respondToPrivacyRequest and answers { status, body } as JSON.

export type PrivacyRequest = { ok: true; enabled: boolean } | { ok: false; message: string };

/** Validates `{"enabled": true|false}` and nothing else. */
export function parsePrivacyRequest(body: string | Uint8Array): PrivacyRequest {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: 'Body is not valid JSON; send {"enabled": true} or {"enabled": false}.' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, message: 'Body must be a JSON object like {"enabled": true}.' };
  }
  const extra = Object.keys(json).filter((k) => k !== 'enabled');
  if (extra.length > 0) {
    return { ok: false, message: `Unknown field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}; only "enabled" is accepted.` };
  }
  const enabled = (json as { enabled?: unknown }).enabled;
  if (typeof enabled !== 'boolean') {
    return { ok: false, message: `"enabled" must be true or false (got ${enabled === undefined ? 'nothing' : JSON.stringify(enabled)}).` };
  }
  return { ok: true, enabled };
}

export interface PrivacyResponse {
  status: 200 | 400 | 409;
  body: { privacy: PrivacyState } | { error: string; message: string; privacy?: PrivacyState };
}

/** Request body in, HTTP status and JSON body out: 200 with the new state, 400 bad body, 409 switch. */
export function respondToPrivacyRequest(
  privacy: { set(enabled: boolean, source: 'api'): SetResult },
  body: string | Uint8Array,
): PrivacyResponse {
  const request = parsePrivacyRequest(body);
  if (!request.ok) return { status: 400, body: { error: 'bad-request', message: request.message } };
  const result = privacy.set(request.enabled, 'api');
  if (!result.ok) return { status: 409, body: { error: 'privacy-switch-on', message: result.message, privacy: result.state } };
  return { status: 200, body: { privacy: result.state } };
}
