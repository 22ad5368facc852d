import type { InboxResult, UpdateInbox } from '../../device/update/inbox.js';
import { MAX_UPDATE_FILE_BYTES } from '../../device/update/inbox.js';
import { json, problem, type Response } from '../server/response.js';
import type { Router } from '../server/router.js';

// The firmware from the page (owners only, as every route not marked for viewers):
//   GET  /api/update                   the running version, the one to go back to, the update's state
//   POST /api/update[?allowDowngrade=1] the update file as the body (streamed to disk, its own cap):
//                                      202 once checked and handed to the root updater; 400 with the
//                                      reason for a bad file, 409 while another update runs or for an
//                                      unconfirmed downgrade, 413 over the cap, 507 when the card has
//                                      no room for it
//   POST /api/update/rollback          go back to the previous version (202), 409 while busy
// The progress after the handover is in /api/status `update` (and GET /api/update).

export interface UpdateRoutesDeps {
  inbox: UpdateInbox;
  version: string;
}

const STATUS: Record<Exclude<InboxResult, { ok: true }>['problem'], [number, string]> = {
  busy: [409, 'update-running'],
  downgrade: [409, 'downgrade-not-confirmed'],
  refused: [400, 'bad-update'],
  'too-large': [413, 'too-large'],
  'no-room': [507, 'no-room'],
  aborted: [400, 'upload-cut-off'],
  failed: [507, 'cannot-store'],
};

function refusal(result: Exclude<InboxResult, { ok: true }>): Response {
  const [status, error] = STATUS[result.problem];
  return problem(status, error, result.reason);
}

export function updateRoutes({ inbox, version }: UpdateRoutesDeps) {
  const state = () => ({ version, previous: inbox.previous(), update: inbox.status() });
  return (router: Router): void => {
    router.get('/api/update', () => json(200, state()));
    router.post(
      '/api/update',
      async (req) => {
        const upload = req.upload!;
        const busy = inbox.busyReason();
        // Refused before the body is read; the router closes the connection after it.
        if (busy) return problem(409, 'update-running', `Not now: ${busy}.`);
        const result = await inbox.receive(upload.readable(), upload.declared, { allowDowngrade: req.query.get('allowDowngrade') === '1' });
        if (result.ok) return json(202, { ...state(), accepted: result.manifest.version });
        // The rest of a refused file is read and dropped (never stored), so the client gets to read the reason.
        if (result.problem !== 'too-large') await upload.discard();
        return refusal(result);
      },
      { upload: MAX_UPDATE_FILE_BYTES },
    );
    router.post('/api/update/rollback', async () => {
      const result = await inbox.requestRollback();
      return result.ok ? json(202, state()) : refusal(result);
    }, {});
  };
}
