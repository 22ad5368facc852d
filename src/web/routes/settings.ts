import type { ChangeResult, Origin, SettingsStatus } from '../../device/settings/store.js';
import { maskSecrets, restoreSecrets } from '../../device/settings/secrets.js';
import type { Tree } from '../../device/settings/tree.js';
import { invalid, jsonObjectBody } from '../server/json-body.js';
import type { Request } from '../server/request.js';
import { json, problem, type Response } from '../server/response.js';
import type { Router } from '../server/router.js';

// The settings API: GET the effective values with each one's origin, PUT or PATCH them whole or in
// part (validated as a whole; If-Match so two browsers never overwrite each other), the JSON Schema
// the page builds its form from, reset, export and import. Users have their own routes.

export interface SettingsPort {
  readonly etag: string;
  values(): Tree;
  origins(): Record<string, Origin>;
  update(body: unknown, options: { mode: 'put' | 'patch'; ifMatch?: string; keptSecrets?: readonly string[] }): Promise<ChangeResult>;
  importSettings(document: unknown, options?: { ifMatch?: string; keptSecrets?: readonly string[] }): Promise<ChangeResult>;
  reset(): Promise<ChangeResult>;
  exportSettings(): { format: 1; settings: Tree };
}

export interface SettingsRouteDeps {
  store: SettingsPort;
  /** What the page shows about the settings now: ok, applying, rolled back (with the camera's line), fallback. */
  status: () => SettingsStatus | { state: 'applying'; message: string };
  /** The JSON Schema of the settable tree; asked for at the first request (the settings view), not at start. */
  schema: () => Record<string, unknown>;
}

export function settingsRoutes(deps: SettingsRouteDeps) {
  const current = (status = 200): Response =>
    json(status, { values: maskSecrets(deps.store.values()), origins: deps.store.origins(), status: deps.status() }, { ETag: deps.store.etag });
  const answer = (result: ChangeResult): Response => {
    if (result.ok) return current();
    if (result.status === 400) return invalid(result.problems);
    return problem(result.status, result.error, result.message);
  };
  const ifMatch = (req: Request) => req.headers['if-match'] || undefined;
  const change = (mode: 'put' | 'patch') => async (req: Request) => {
    const body = jsonObjectBody(req);
    if (!body.ok) return body.response;
    // Which secrets came back as the placeholder: a kept password is not sent to a new broker.
    const { tree, kept } = restoreSecrets(body.value, deps.store.values());
    return answer(await deps.store.update(tree, { mode, ifMatch: ifMatch(req), keptSecrets: kept }));
  };
  return (router: Router): void => {
    router.get('/api/settings', () => current());
    router.put('/api/settings', change('put'));
    router.patch('/api/settings', change('patch'));
    router.get('/api/settings/schema', () => json(200, deps.schema()));
    router.post('/api/settings/reset', async () => answer(await deps.store.reset()));
    router.get('/api/settings/export', () =>
      json(200, { ...deps.store.exportSettings(), settings: maskSecrets(deps.store.exportSettings().settings) }, {
        'Content-Disposition': 'attachment; filename="picamd-settings.json"',
      }),
    );
    router.post('/api/settings/import', async (req) => {
      const body = jsonObjectBody(req);
      if (!body.ok) return body.response;
      const settings = body.value.settings;
      const restored = typeof settings === 'object' && settings !== null ? restoreSecrets(settings as Tree, deps.store.values()) : undefined;
      const document = restored ? { ...body.value, settings: restored.tree } : body.value;
      return answer(await deps.store.importSettings(document, { ifMatch: ifMatch(req), keptSecrets: restored?.kept ?? [] }));
    });
  };
}
