import type { RecorderChange, RecorderStatus } from '../../device/accounts/recorder.js';
import type { Logger } from '../../platform/log/logger.js';
import { invalid, jsonObjectBody, unknownKeys } from '../server/json-body.js';
import { json, problem, type Response } from '../server/response.js';
import type { Router, Session } from '../server/router.js';

// The recorder credential from the page (device/accounts/recorder.ts), the owners' only:
//   GET  /api/recorder               {state: off | on (user, password) | conflict | damaged, ...}
//   POST /api/recorder {enabled, user?}  on (a new password; `user` names it) or off (the file removed)
//   POST /api/recorder/rotate        a new password for the same name; the old one stops at once
// The password is shown to owners whenever they ask, not once: the device keeps it in plain form
// anyway (that is the point of it), and a second recorder can then be added without rotating the
// password the first one uses. Answers are no-store; no route for viewers, the recorder itself, or
// anyone else ever returns it.

export interface RecorderPort {
  status(): RecorderStatus;
  enable(user?: string): Promise<RecorderChange>;
  disable(): Promise<RecorderChange>;
  rotate(): Promise<RecorderChange>;
}

export function recorderRoutes(recorder: RecorderPort, logger: Logger) {
  const by = (session: Session) => (session.user ? `by ${JSON.stringify(session.user)}` : 'without a login');
  const answer = (result: RecorderChange): Response =>
    result.ok ? json(200, result.status) : problem(result.status, result.status === 409 ? 'conflict' : result.status === 400 ? 'invalid' : 'internal', result.message);
  return (router: Router): void => {
    router.get('/api/recorder', () => json(200, recorder.status()));
    router.post(
      '/api/recorder',
      async (req, session) => {
        const body = jsonObjectBody(req);
        if (!body.ok) return body.response;
        const problems = unknownKeys(body.value, ['enabled', 'user']);
        const { enabled, user } = body.value;
        if (typeof enabled !== 'boolean') problems.push('enabled: must be true or false');
        if (user !== undefined && typeof user !== 'string') problems.push('user: must be a string');
        if (problems.length > 0) return invalid(problems);
        const result = enabled ? await recorder.enable(user as string | undefined) : await recorder.disable();
        if (result.ok) logger.warn(`recorder login ${enabled ? 'on (a new password)' : 'off'}, ${by(session)}`);
        return answer(result);
      },
      { body: true },
    );
    router.post('/api/recorder/rotate', async (_req, session) => {
      const result = await recorder.rotate();
      if (result.ok) logger.warn(`recorder password rotated, ${by(session)}`);
      return answer(result);
    });
  };
}
