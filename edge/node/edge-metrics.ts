// The Node edge's Prometheus metrics, in their own registry.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type EdgeMetrics = ReturnType<typeof createEdgeMetrics>;

export function createEdgeMetrics() {
  const registry = new Registry();
  const requests = new Counter({ name: 'zkedge_edge_requests_total', help: 'Requests answered, by status code', labelNames: ['status'], registers: [registry] });
  const seconds = new Histogram({
    name: 'zkedge_edge_request_seconds',
    help: 'Time to answer a proxied request (response headers)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  return {
    registry,
    snapshotVersion: new Gauge({ name: 'zkedge_edge_snapshot_version', help: 'Version of the snapshot this edge serves', registers: [registry] }),
    snapshotAge: new Gauge({ name: 'zkedge_edge_snapshot_unconfirmed_seconds', help: 'Seconds since the store last confirmed the served version is current', registers: [registry] }),
    refreshFailures: new Counter({ name: 'zkedge_edge_refresh_failures_total', help: 'Snapshot refreshes that failed (store unreachable)', registers: [registry] }),
    observe(o: { status: number; durationMs: number; internal: boolean }) {
      requests.inc({ status: String(o.status) });
      if (!o.internal) seconds.observe(o.durationMs / 1000);
    },
  };
}
