import { z } from 'zod';

/** `rtsp`: the RTSP server (rtsp://<device>:<port>/stream), src/integrations/rtsp/. */
export const rtspSchema = z.strictObject({
  /** 554, the standard port; 0 turns the server off (nothing of it is loaded). Taken at the next start. */
  port: z.number().int().min(0).max(65535).default(554),
});

export type RtspConfig = z.infer<typeof rtspSchema>;
