import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { settingsJsonSchema, SettingsStore } from '../../../src/device/settings/store.js';
import { jsonNestingDepth, MAX_JSON_DEPTH } from '../../../src/web/server/json-depth.js';
import { Router, type Route } from '../../../src/web/server/router.js';
import { settingsRoutes } from '../../../src/web/routes/settings.js';
import { memoryLogger } from '../../fakes/logger.js';
import { makeRequest } from '../../fakes/request.js';

test('nesting depth is read from the text; brackets in strings do not count', () => {
  assert.equal(jsonNestingDepth('{}'), 1);
  assert.equal(jsonNestingDepth('{"a": [1, {"b": []}]}'), 4);
  assert.equal(jsonNestingDepth('{"a": "[[[[{{{{\\\\"}'), 1);
  assert.equal(jsonNestingDepth('{"a": "\\"[[["}'), 1, 'an escaped quote does not end the string');
  assert.equal(jsonNestingDepth('1'), 0);
  assert.equal(jsonNestingDepth('['.repeat(10_000), 40), 41, 'stops counting past the limit');
});

test('a settings body nested deeper than the limit is a 400, not a 500', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'picamd-depth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const logger = memoryLogger();
  const store = new SettingsStore({ base: {}, file: join(dir, 'settings.json'), logger });
  await store.load();
  const router = new Router({ authenticator: () => undefined, logger, now: () => 0, secure: false });
  settingsRoutes({ store, status: () => store.status, schema: settingsJsonSchema })(router);
  const deep = (n: number, key: string) => `${`{"${key}":`.repeat(n)}1${'}'.repeat(n)}`;
  for (const [method, path, body] of [
    ['patch', '/api/settings', `{"camera":${deep(8000, 'camera')}}`],
    ['put', '/api/settings', `{"mqtt":${'['.repeat(8000)}${']'.repeat(8000)}}`],
    ['patch', '/api/settings', deep(8000, 'server')],
    ['post', '/api/settings/import', `{"format":1,"settings":${deep(8000, 'camera')}}`],
  ] as const) {
    const route = router.find(method, path) as Route;
    const res = (await router.handle(route, makeRequest({ method, path }), Promise.resolve({ ok: true, body: Buffer.from(body) }))) as { status: number; body: unknown };
    assert.equal(res.status, 400, `${method} ${path}: ${String(res.body).slice(0, 200)}`);
    assert.match(String(res.body), /nests deeper than/);
  }
  assert.ok(!logger.lines.some((l) => l.includes('failed')), logger.lines.join('\n'));
  // A body within the limit is still read as usual.
  const ok = (await router.handle(router.find('patch', '/api/settings') as Route, makeRequest({ method: 'patch', path: '/api/settings' }), Promise.resolve({ ok: true, body: Buffer.from('{"server":{"maxViewers":3}}') }))) as { status: number };
  assert.equal(ok.status, 200, JSON.stringify(ok));
  assert.ok(MAX_JSON_DEPTH >= 8);
});
