// One ZooKeeper and one Redis per test run; tests isolate by ZooKeeper root and Redis key prefix.
import type { TestProject } from 'vitest/node';
import { startRedis, startZooKeeper, type Server } from '../dev/servers.ts';

let servers: Server[] = [];

export async function setup(project: TestProject): Promise<void> {
  const [zk, redis] = await Promise.all([startZooKeeper(), startRedis()]);
  servers = [zk, redis];
  project.provide('zkConnect', zk.address);
  project.provide('redisUrl', `redis://127.0.0.1:${redis.port}`);
}

export async function teardown(): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
}

declare module 'vitest' {
  export interface ProvidedContext {
    zkConnect: string;
    redisUrl: string;
  }
}
