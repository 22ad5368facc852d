import { z } from 'zod';

/** `metrics`: the Prometheus endpoint (GET /metrics). */
export const metricsSchema = z.strictObject({
  open: z
    .boolean()
    .default(false)
    .meta({
      group: 'Device',
      title: 'Open metrics',
      description: 'Let anyone on the network read /metrics without a login (for a Prometheus server without credentials).',
      applies: 'live',
    }),
});

export type MetricsConfig = z.infer<typeof metricsSchema>;
