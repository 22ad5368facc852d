import { METRICS_CONTENT_TYPE } from '../../observe/prometheus.js';
import type { Router } from '../server/router.js';

// GET /metrics in the Prometheus text format: behind the login like everything else, or open when
// the owner sets metrics.open (a Prometheus on the LAN that holds no password).

export interface MetricsRouteDeps {
  source: () => string;
  open: () => boolean;
}

export function metricsRoute(deps: MetricsRouteDeps) {
  return (router: Router): void => {
    router.get('/metrics', () => ({ status: 200, headers: { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' }, body: deps.source() }), {
      public: deps.open,
    });
  };
}
