import { z } from 'zod';

// The `onvif` section: the ONVIF Profile S device and media services on the HTTP port, and
// WS-Discovery. Off by default: a camera announces itself on the network only when its owner says so.

const group = (title: string, description: string) => ({ group: 'RTSP / ONVIF', title, description, applies: 'live' }) as const;

export const onvifSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(false)
    .meta(group('ONVIF', 'Recorders (Home Assistant, UniFi Protect, Synology, Blue Iris) may add this camera through ONVIF, with the users of this page.')),
  discovery: z
    .boolean()
    .default(true)
    .meta(group('ONVIF discovery', 'With ONVIF on, recorders on this network find the camera by themselves (WS-Discovery, UDP 3702).')),
  /** The WS-Discovery port: 3702 as ONVIF says; another only for tests. Not settable from the page. */
  discoveryPort: z.number().int().min(1).max(65535).default(3702),
});

export type OnvifConfig = z.infer<typeof onvifSchema>;
