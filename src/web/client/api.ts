// The device's JSON API for settings, users and setup: one request function that turns every
// answer (or no answer) into a plain result, so the views only decide what to say.

import type { MeDocument, OpenViewingConfirmation, Role, SettingsDocument, SetupRequest, SetupState, UsersDocument } from '../api/types.js';
import { t } from './i18n/translate.js';
import { httpUrl, type Fetch, type PageLocation } from './net.js';

export type Failure = { ok: false; status: number; error: string; message: string; problems: string[] };
export type Result<T> = { ok: true; status: number; body: T; etag: string } | Failure;

export type { MeDocument, Role, SettingsDocument, SettingsStatus, SetupRequest, SetupState, UsersDocument } from '../api/types.js';

/** The words the device wants before it lets anyone watch without a password. */
export const OPEN_VIEWING_CONFIRMATION: OpenViewingConfirmation = 'I understand';


const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export class DeviceApi {
  constructor(private readonly deps: { location: PageLocation; fetch: Fetch }) {}

  async request<T>(method: string, path: string, options: { json?: unknown; text?: string; headers?: Record<string, string> } = {}): Promise<Result<T>> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) body = JSON.stringify(options.json);
    else if (options.text !== undefined) body = options.text;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await this.deps.fetch(httpUrl(this.deps.location, path), { method, headers, body, cache: 'no-store' });
    } catch {
      return { ok: false, status: 0, error: 'unreachable', message: t('common.unreachable'), problems: [] };
    }
    const parsed: unknown = await res.json().catch(() => undefined);
    if (res.ok) return { ok: true, status: res.status, body: parsed as T, etag: res.headers.get('etag') ?? '' };
    const answer = isObject(parsed) ? parsed : {};
    return {
      ok: false,
      status: res.status,
      error: typeof answer.error === 'string' ? answer.error : `http-${res.status}`,
      message: typeof answer.message === 'string' ? answer.message : t('common.httpStatus', { status: res.status }),
      problems: Array.isArray(answer.problems) ? answer.problems.filter((p): p is string => typeof p === 'string') : [],
    };
  }

  /** The response itself, for downloads. */
  async raw(path: string): Promise<Response | undefined> {
    try {
      return await this.deps.fetch(httpUrl(this.deps.location, path), { cache: 'no-store' });
    } catch {
      return undefined;
    }
  }

  schema() {
    return this.request<unknown>('GET', '/api/settings/schema');
  }
  settings() {
    return this.request<SettingsDocument>('GET', '/api/settings');
  }
  /** The whole settable tree, only if nobody changed the settings since `etag`. */
  putSettings(values: unknown, etag: string) {
    return this.request<SettingsDocument>('PUT', '/api/settings', { json: values, headers: etag ? { 'If-Match': etag } : {} });
  }
  /** Part of the settable tree (one setting), only if nobody changed the settings since `etag`. */
  patchSettings(values: unknown, etag: string) {
    return this.request<SettingsDocument>('PATCH', '/api/settings', { json: values, headers: etag ? { 'If-Match': etag } : {} });
  }
  resetSettings() {
    return this.request<SettingsDocument>('POST', '/api/settings/reset');
  }
  importSettings(text: string) {
    return this.request<SettingsDocument>('POST', '/api/settings/import', { text });
  }
  users() {
    return this.request<UsersDocument>('GET', '/api/users');
  }
  addUser(name: string, password: string, role: Role) {
    return this.request<unknown>('POST', '/api/users', { json: { name, password, role } });
  }
  me() {
    return this.request<MeDocument>('GET', '/api/me');
  }
  removeUser(name: string) {
    return this.request<unknown>('DELETE', `/api/users/${encodeURIComponent(name)}`);
  }
  changePassword(current: string, password: string) {
    return this.request<unknown>('POST', '/api/users/password', { json: { current, password } });
  }
  setOpenViewing(enabled: boolean) {
    return this.request<unknown>('POST', '/api/users/open-viewing', { json: { enabled, confirm: OPEN_VIEWING_CONFIRMATION } });
  }
  setup() {
    return this.request<SetupState>('GET', '/api/setup');
  }
  logOut() {
    return this.request<{ loggedOut: boolean }>('POST', '/api/logout');
  }
  claim(request: SetupRequest) {
    return this.request<{ claimed: boolean }>('POST', '/api/setup', { json: request });
  }
}

/** A settings document as the device sent it, or undefined when it is not one. */
export function isSettingsDocument(x: unknown): x is SettingsDocument {
  return isObject(x) && isObject(x.values) && (x.origins === undefined || isObject(x.origins));
}
