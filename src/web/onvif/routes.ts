import type { Request } from '../server/request.js';
import { problem, type Response } from '../server/response.js';
import type { Router } from '../server/router.js';

// The two ONVIF paths on the HTTP server. Registered always, and small: the services behind them
// (the SOAP handling, its XML parser) are loaded only when ONVIF is on (app/onvif.ts). The routes are
// public to the router, because ONVIF brings its own logins (WS-Security, HTTP Digest) and needs
// GetSystemDateAndTime without one; the services check every other operation themselves. With ONVIF
// off they are ordinary routes behind the page's login, and answer 404.

export const DEVICE_PATH = '/onvif/device_service';
export const MEDIA_PATH = '/onvif/media_service';
/** The RTSP server's stream path (the RTSP side of issue 23). */
export const RTSP_PATH = '/stream';

export interface OnvifHandler {
  handle(service: 'device' | 'media', req: Request): Response | Promise<Response>;
}

/** `handler()` is undefined while ONVIF is off (or still loading). */
export function onvifRoutes(handler: () => OnvifHandler | undefined) {
  return (router: Router) => {
    const on = () => handler() !== undefined;
    for (const [path, service] of [[DEVICE_PATH, 'device'], [MEDIA_PATH, 'media']] as const) {
      router.post(path, (req) => handler()?.handle(service, req) ?? problem(404, 'not-found', 'ONVIF is off on this camera (Settings → RTSP / ONVIF).'), { public: on, body: true });
    }
  };
}
