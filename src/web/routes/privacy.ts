import { respondToPrivacyRequest } from './privacy-request.js';
import type { SetResult } from '../../device/privacy/controller.js';
import { json } from '../server/response.js';
import type { Router } from '../server/router.js';

export interface PrivacyPort {
  set(enabled: boolean, source: 'api'): SetResult;
  /** Resolves once the state is on disk (or its write failed and was logged). */
  flush(): Promise<void>;
}

/** POST /api/privacy {"enabled": true|false}: 200 with the new state, 400, 409 (switch). */
/** `viewers`: whether users with the viewer role may switch privacy too (privacy.viewersToggle). */
export function privacyRoutes(privacy: PrivacyPort, access: { viewers?: () => boolean } = {}) {
  return (router: Router): void => {
    router.post('/api/privacy', async (req) => {
      // The camera is already stopped or started; answer once the state is also on disk, so a
      // client that saw 200 knows it survives a power cut.
      const { status, body } = respondToPrivacyRequest(privacy, req.body);
      await privacy.flush();
      return json(status, body);
    }, { body: true, viewer: access.viewers ?? false });
  };
}
