import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { UsernameToken } from '../../../src/formats/soap/envelope.js';
import { OnvifAuth, type AuthResult } from '../../../src/web/onvif/auth.js';
import { LoginLimiter } from '../../../src/web/server/auth/limiter.js';
import { memoryLogger } from '../../fakes/logger.js';

// The recorder credential in ONVIF's login check, with the wall clock in the test's hands: the exact
// edges of the 5-minute Created window, a nonce required, a replay refused and counted, a stale
// token refused but not counted, the one limiter applied to the recorder too, and its viewer role.

const RECORDER = { user: 'recorder', password: 'Abcdefghij0123456789' };
const NOW = Date.UTC(2026, 11, 7, 6, 0, 0);

function setup(recorderOn = true) {
  let wall = NOW;
  const limiter = new LoginLimiter();
  const logger = memoryLogger();
  const auth = new OnvifAuth({
    authenticator: () => undefined,
    limiter,
    roleOf: () => 'owner',
    logger,
    now: () => 1000,
    recorder: () => (recorderOn ? RECORDER : undefined),
    wallClock: () => wall,
  });
  return { auth, limiter, logger, setWall: (ms: number) => (wall = ms) };
}

function token(createdMs: number, options: { nonce?: Buffer; password?: string; user?: string } = {}): UsernameToken {
  const nonce = options.nonce ?? randomBytes(16);
  const created = new Date(createdMs).toISOString();
  const digest = createHash('sha1').update(nonce).update(created).update(options.password ?? RECORDER.password).digest('base64');
  return { user: options.user ?? RECORDER.user, password: digest, kind: 'digest', nonce, created };
}

const identify = (auth: OnvifAuth, t: UsernameToken | undefined, authorization = ''): AuthResult => {
  const result = auth.identify({ authorization, token: t, method: 'POST', path: '/onvif/media_service', remote: '10.0.0.9' });
  assert.ok(!(result instanceof Promise), 'the recorder is checked at once');
  return result;
};

test('a PasswordDigest of the recorder logs in as a viewer, with Created at most 5 minutes off either way', () => {
  const { auth } = setup();
  assert.deepEqual(identify(auth, token(NOW)), { kind: 'user', user: 'recorder', role: 'viewer' });
  assert.equal(identify(auth, token(NOW - 5 * 60_000)).kind, 'user');
  assert.equal(identify(auth, token(NOW + 5 * 60_000)).kind, 'user');
  const late = identify(auth, token(NOW - 5 * 60_000 - 1));
  assert.ok(late.kind === 'refused' && late.status === 401 && /more than 5 minutes off/.test(late.reason));
  assert.equal(identify(auth, token(NOW + 5 * 60_000 + 1)).kind, 'refused');
});

test('a replayed nonce is refused and counted; a stale Created is refused and not counted', () => {
  const { auth, limiter, logger } = setup();
  const once = token(NOW);
  assert.equal(identify(auth, once).kind, 'user');
  const again = identify(auth, once);
  assert.ok(again.kind === 'refused' && /already used/.test(again.reason));
  assert.match(logger.lines.join('\n'), /failed ONVIF login as "recorder" from 10\.0\.0\.9 \(1 in a row/);
  identify(auth, token(NOW - 3_600_000));
  assert.doesNotMatch(logger.lines.join('\n'), /\(2 in a row/);
  // A nonce too short to stop replays, and none at all, are refused like a wrong password.
  assert.equal(identify(auth, token(NOW, { nonce: Buffer.from('short') })).kind, 'refused');
  assert.equal(identify(auth, { ...token(NOW), created: '' }).kind, 'refused');
  assert.match(logger.lines.join('\n'), /\(3 in a row/);
  assert.equal(limiter.check('10.0.0.9', 1000).allowed, true);
});

test('the one limiter: after the free failures even the right token waits', () => {
  const { auth } = setup();
  for (let i = 0; i < 6; i++) assert.equal(identify(auth, token(NOW, { password: `wrong ${i}` })).kind, 'refused');
  const right = identify(auth, token(NOW));
  assert.ok(right.kind === 'refused' && right.status === 429, JSON.stringify(right));
});

test('Basic and PasswordText with the recorder login; another name is not the recorder; off means the Digest challenge', () => {
  const { auth } = setup();
  const basic = `Basic ${Buffer.from(`${RECORDER.user}:${RECORDER.password}`).toString('base64')}`;
  assert.deepEqual(identify(auth, undefined, basic), { kind: 'user', user: 'recorder', role: 'viewer' });
  assert.deepEqual(identify(auth, { user: 'recorder', password: RECORDER.password, kind: 'text', nonce: Buffer.alloc(0), created: '' }), { kind: 'user', user: 'recorder', role: 'viewer' });
  assert.equal(identify(auth, { user: 'recorder', password: `${RECORDER.password}x`, kind: 'text', nonce: Buffer.alloc(0), created: '' }).kind, 'refused');
  // The same password under another name is a page user's token: not checkable, the Digest challenge.
  const other = identify(auth, token(NOW, { user: 'owner' }));
  assert.ok(other.kind === 'refused' && /cannot be checked/.test(other.reason));

  const off = setup(false).auth;
  const refused = identify(off, token(NOW));
  assert.ok(refused.kind === 'refused' && refused.status === 401 && /cannot be checked/.test(refused.reason));
});
