import { respondToPrivacyRequest } from './privacy-request.js';
import type { PrivacySaveProblem, SetResult } from '../../device/privacy/controller.js';
import { json } from '../server/response.js';
import type { Router } from '../server/router.js';

export interface PrivacyPort {
  set(enabled: boolean, source: 'api'): SetResult;
  /** Resolves once the state is on disk (or its write failed and was logged). */
  flush(): Promise<void>;
  /** Why the state is not on disk after that write, if it failed. */
  readonly notSaved?: PrivacySaveProblem | null;
}

/** POST /api/privacy {"enabled": true|false}: 200 with the new state, 400, 409 (switch). */
/** `viewers`: whether users with the viewer role may switch privacy too (privacy.viewersToggle). */
export function privacyRoutes(privacy: PrivacyPort, access: { viewers?: () => boolean } = {}) {
  return (router: Router): void => {
    router.post('/api/privacy', async (req) => {
      // The camera is already stopped or started; answer once the state is also on disk, so a
      // client that saw 200 knows it survives a power cut, or (notSaved, a full or read-only card)
      // that it holds but will not.
      const { status, body } = respondToPrivacyRequest(privacy, req.body);
      await privacy.flush();
      const notSaved = privacy.notSaved;
      return json(status, 'privacy' in body && body.privacy && notSaved ? { ...body, privacy: { ...body.privacy, notSaved } } : body);
    }, { body: true, viewer: access.viewers ?? false });
  };
}
