import type { TemplatedApp } from 'uWebSockets.js';
import { MAX_PRIVACY_BODY_BYTES, respondToPrivacyRequest } from '../privacy/api.js';
import type { SetResult } from '../privacy/controller.js';
import { readBody } from './body.js';
import { sendError, sendJson } from './respond.js';

export interface PrivacyPort {
  set(enabled: boolean, source: 'api'): SetResult;
  /** Resolves once the state is on disk (or its write failed and was logged). */
  flush(): Promise<void>;
}

/** POST /api/privacy {"enabled": true|false}: 200 with the new state, 400, 409 (switch), 413. */
export function privacyRoutes(privacy: PrivacyPort) {
  return (app: TemplatedApp): void => {
    app.post('/api/privacy', (res) => {
      const request = readBody(res, MAX_PRIVACY_BODY_BYTES, (result) => {
        if (!result.ok) {
          res.cork(() =>
            sendError(res, 413, 'too-large', `Body over ${MAX_PRIVACY_BODY_BYTES} bytes; send {"enabled": true} or {"enabled": false}.`),
          );
          return;
        }
        // The camera is already stopped or started; answer once the state is also on disk, so a
        // client that saw 200 knows it survives a power cut.
        const { status, body } = respondToPrivacyRequest(privacy, result.body);
        void privacy.flush().then(() => {
          if (!request.aborted) res.cork(() => sendJson(res, status, body));
        });
      });
    });
    app.any('/api/privacy', (res) => sendError(res, 405, 'method-not-allowed', 'Use POST.', { Allow: 'POST' }));
  };
}
