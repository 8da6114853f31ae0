// The daemon's Prometheus metrics, in their own registry (several daemons may share a test process).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type SyncMetrics = ReturnType<typeof createSyncMetrics>;

export function createSyncMetrics() {
  const registry = new Registry();
  return {
    registry,
    zkConnected: new Gauge({ name: 'zkedge_sync_zookeeper_connected', help: '1 while the ZooKeeper session is connected', registers: [registry] }),
    leader: new Gauge({ name: 'zkedge_sync_leader', help: '1 while this daemon is the elected leader', registers: [registry] }),
    heldServices: new Gauge({ name: 'zkedge_sync_guard_held_services', help: 'Services whose mass removal the guard holds back', registers: [registry] }),
    overCapacity: new Gauge({ name: 'zkedge_sync_over_capacity_instances', help: 'Instances the last published snapshot puts over capacityRps at --expected-rps', registers: [registry] }),
    currentVersion: new Gauge({ name: 'zkedge_sync_published_version', help: 'Highest snapshot version this daemon published', registers: [registry] }),
    publishes: new Counter({ name: 'zkedge_sync_publishes_total', help: 'Snapshots published', labelNames: ['store'], registers: [registry] }),
    publishFailures: new Counter({ name: 'zkedge_sync_publish_failures_total', help: 'Publish attempts that failed', labelNames: ['store', 'code'], registers: [registry] }),
    invalidNodes: new Counter({ name: 'zkedge_sync_invalid_nodes_total', help: 'Invalid ZooKeeper nodes reported (skipped or kept at last good value)', registers: [registry] }),
    publishSeconds: new Histogram({
      name: 'zkedge_sync_publish_seconds',
      help: 'Time from a build starting to the store acknowledging the publish',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}
