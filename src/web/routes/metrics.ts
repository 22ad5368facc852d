import { METRICS_CONTENT_TYPE } from '../../observe/prometheus.js';
import type { Router } from '../server/router.js';

// GET /metrics in the Prometheus text format: behind the login like everything else, or open when
// the owner sets metrics.open (a Prometheus on the LAN that holds no password).

export interface MetricsRouteDeps {
  source: () => string;
  open: () => boolean;
  /** The device has an owner. Before that nothing is open: the not-set-up gate answers instead. */
  claimed: () => boolean;
}

export function metricsRoute(deps: MetricsRouteDeps) {
  return (router: Router): void => {
    router.get('/metrics', () => ({ status: 200, headers: { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' }, body: deps.source() }), {
      // A public route skips the gates: open only once someone owns the device and chose it.
      public: () => deps.open() && deps.claimed(),
    });
  };
}
