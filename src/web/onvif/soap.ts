import { fault, faultEnvelope, envelope, parseEnvelope, usernameToken, type SoapFault } from '../../formats/soap/envelope.js';
import { NS } from '../../formats/soap/namespaces.js';
import type { Logger } from '../../platform/log/logger.js';
import { escapeForLog } from '../../platform/log/escape.js';
import type { Request } from '../server/request.js';
import { NO_STORE, type Response } from '../server/response.js';
import type { OnvifAuth } from './auth.js';
import { DEVICE_OPERATIONS } from './device-service.js';
import type { OnvifFacts, Operation } from './facts.js';
import { MEDIA_OPERATIONS } from './media-service.js';

// One ONVIF request, from the captured HTTP request to the answer: the envelope read (capped by the
// router's body limit, refused when malformed), the operation looked up in its service, the caller
// identified (auth.ts) unless the operation is public, the role and open viewing applied, the
// operation run. Every refusal is a SOAP 1.2 fault with ONVIF's subcodes.

export type OnvifServiceName = 'device' | 'media';

const SERVICES: Record<OnvifServiceName, { ns: string; operations: Readonly<Record<string, Operation>> }> = {
  device: { ns: NS.tds, operations: DEVICE_OPERATIONS },
  media: { ns: NS.trt, operations: MEDIA_OPERATIONS },
};

export interface OnvifSoapDeps {
  facts: OnvifFacts;
  auth: OnvifAuth;
  /** The device has an owner: before that, ONVIF answers nothing but a fault. */
  claimed: () => boolean;
  /** Open viewing: the stream and snapshot URIs need no login. */
  openViewing: () => boolean;
  logger: Logger;
}

export class OnvifSoap {
  constructor(private readonly deps: OnvifSoapDeps) {}

  handle(service: OnvifServiceName, req: Request): Response | Promise<Response> {
    const { deps } = this;
    if (!deps.claimed()) return answer(fault('Receiver', ['ter:Action', 'ter:NotSetUp'], 'This camera is not set up yet: open its page to choose the owner.'), { 'Retry-After': '5' }, 503);
    const parsed = parseEnvelope(req.body);
    if (!parsed.ok) return answer(parsed.fault);
    const { operation: call, header } = parsed.request;
    const { ns, operations } = SERVICES[service];
    const operation = call.ns === ns && Object.hasOwn(operations, call.name) ? operations[call.name] : undefined;
    const run = (): Response => {
      if (!operation) {
        const name = escapeForLog(call.name, 64);
        deps.logger.debug(`ONVIF ${service}: ${name} (${escapeForLog(call.ns, 100)}) is not supported`);
        return answer(fault('Receiver', ['ter:ActionNotSupported'], `The ${service} service of picamd does not support ${name}.`));
      }
      const result = operation.run({ params: call, facts: deps.facts, host: req.headers.host || 'localhost' });
      return typeof result === 'string' ? soap(200, envelope(result)) : answer(result);
    };
    const access = operation?.access ?? 'user';
    if (access === 'public' || (access === 'media' && deps.openViewing())) return run();
    const token = usernameToken(header);
    if (token.kind === 'invalid') return answer(fault('Sender', ['ter:NotAuthorized'], `Sender not authorized: ${token.reason}.`));
    const who = deps.auth.identify({
      authorization: req.headers.authorization,
      token: token.kind === 'token' ? token.token : undefined,
      method: req.method,
      path: req.path,
      remote: req.remote,
    });
    const decide = (result: Awaited<typeof who>): Response => {
      if (result.kind === 'anonymous') return answer(fault('Sender', ['ter:NotAuthorized'], 'Sender not authorized: this camera needs a user name and password.'), deps.auth.challenge(), 401);
      if (result.kind === 'refused') return answer(fault('Sender', ['ter:NotAuthorized'], result.reason), result.headers, result.status);
      if (access === 'owner' && result.role !== 'owner') return answer(fault('Sender', ['ter:NotAuthorized'], 'Only an owner of this camera may do this.'));
      return run();
    };
    return who instanceof Promise ? who.then(decide) : decide(who);
  }
}

function soap(status: number, body: string, headers: Record<string, string> = {}): Response {
  return {
    status,
    headers: { 'Content-Type': 'application/soap+xml; charset=utf-8', 'Cache-Control': NO_STORE, 'X-Content-Type-Options': 'nosniff', ...headers },
    body,
  };
}

function answer(f: SoapFault, headers: Record<string, string> = {}, status: number = f.status): Response {
  return soap(status, faultEnvelope(f), headers);
}
