import { z } from 'zod';

/** `rtsp`: the RTSP server (rtsp://<device>:<port>/stream), src/integrations/rtsp/. */
export const rtspSchema = z.strictObject({
  /** 554, the standard port; 0 turns the server off (nothing of it is loaded). Taken at the next start. */
  port: z.number().int().min(0).max(65535).default(554).meta({
    group: 'RTSP / ONVIF',
    title: 'RTSP port',
    description: 'Recorders and players read rtsp://<this camera>/stream on this port (554 is the standard one); 0 turns RTSP off.',
    applies: 'restart',
  }),
});

export type RtspConfig = z.infer<typeof rtspSchema>;
