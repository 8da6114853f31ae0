// The Node edge as the product runs it (edge/node.ts startNodeEdge), in its own process.
import { silentLogger } from '../../shared/log.ts';
import { startNodeEdge } from '../../edge/node.ts';
import { arg, serveParent } from './ipc.ts';

const edge = await startNodeEdge({
  redisUrl: arg('redis'),
  redisPrefix: arg('prefix'),
  port: 0,
  host: '127.0.0.1',
  pollMs: 2_000,
  staleAfterMs: 600_000,
  log: silentLogger,
});
serveParent({ port: edge.port, version: edge.cache.current()?.version ?? null }, {}, () => edge.close());
