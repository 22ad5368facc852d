import type { DeviceTime } from '../../platform/time/device-time.js';
import type { Logger } from '../../platform/log/logger.js';
import { loggableName } from '../server/auth/headers.js';
import { invalid, jsonObjectBody, stringField, unknownKeys } from '../server/json-body.js';
import { json, problem } from '../server/response.js';
import type { Router, Session } from '../server/router.js';

// The device's time zone from the page: GET /api/time-zones lists the zones the device knows,
// POST /api/time-zone {"timeZone": "Europe/Berlin"} sets one (owners only, as every route not
// marked for viewers). A name the device does not know is a 400 before anything is asked; the
// change itself goes to systemd-timedated through a root helper (platform/time/device-time.ts);
// its refusal is a 403, no helper or no time service a 503.

export interface TimeRouteDeps {
  time: DeviceTime;
  /** The status document's `time`, sent back after a change. */
  status: () => unknown;
  logger: Logger;
}

export function timeRoutes(deps: TimeRouteDeps) {
  return (router: Router): void => {
    router.get('/api/time-zones', () => json(200, { zones: deps.time.zones() }));
    router.post('/api/time-zone', async (req, session: Session) => {
      const body = jsonObjectBody(req);
      if (!body.ok) return body.response;
      const problems = unknownKeys(body.value, ['timeZone']);
      const timeZone = stringField(body.value, 'timeZone', problems);
      if (problems.length === 0 && !deps.time.isZone(timeZone)) {
        problems.push(`timeZone: ${JSON.stringify(timeZone.slice(0, 80))} is not a time zone this device knows (GET /api/time-zones lists them)`);
      }
      if (problems.length > 0) return invalid(problems);
      const before = deps.time.state().timeZone;
      const result = await deps.time.setTimeZone(timeZone);
      if (!result.ok) {
        deps.logger.warn(`time zone ${timeZone} refused (${result.reason}): ${result.message}`);
        if (result.reason === 'not-permitted') {
          return problem(403, 'time-zone-not-permitted', `The time service refused: ${result.message}.`);
        }
        if (result.reason === 'unavailable') return problem(503, 'time-service-unavailable', `The time service cannot be reached: ${result.message}.`);
        return problem(500, 'time-zone-failed', `The time zone was not changed: ${result.message}.`);
      }
      deps.logger.info(`time zone ${before} -> ${timeZone} by ${loggableName(session.user ?? '(no login)')}`);
      return json(200, deps.status());
    });
  };
}
