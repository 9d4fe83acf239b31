import { Cluster, Redis } from 'ioredis';
import { startRedisCluster, startSentinelGroup, type RedisGroup } from './redis-group';
import { startRedis, type RedisServerHandle } from './redis-server';

export type TestRedisMode = 'standalone' | 'cluster' | 'sentinel';

/** The Redis a test runs on, in any mode, behind one face. */
export interface TestRedis {
  mode: TestRedisMode;
  /** The standalone redis-server, or the group's first node. */
  server: RedisServerHandle;
  /** The cluster or sentinel group, in those modes. */
  group: RedisGroup | undefined;
  /** Environment that points a process or `loadConfig` at it (REDIS_URL, or the group's variables). */
  env: Record<string, string>;
  /** A connection for a test's own reads and writes (a Cluster client on a cluster). */
  client(): Redis | Cluster;
  /** Every key matching `pattern` on every master (KEYS on a cluster asks one node only). */
  keys(pattern: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** The mode tests run on: ORCH_TEST_REDIS=cluster|sentinel (pnpm run test:scale-out), standalone otherwise. */
export function testRedisMode(): TestRedisMode {
  const m = process.env.ORCH_TEST_REDIS;
  return m === 'cluster' || m === 'sentinel' ? m : 'standalone';
}

/**
 * A private Redis for a suite: a redis-server, or with ORCH_TEST_REDIS=cluster (or `mode`) a 3-master
 * + 3-replica Redis Cluster, with ORCH_TEST_REDIS=sentinel a sentinel group, all on loopback.
 */
export async function startTestRedis(mode: TestRedisMode = testRedisMode()): Promise<TestRedis> {
  const group = mode === 'cluster' ? await startRedisCluster() : mode === 'sentinel' ? await startSentinelGroup() : undefined;
  const server = group ? group.nodes[0]! : await startRedis();
  const client = () => (group ? group.client() : new Redis(server.url));
  return {
    mode,
    server,
    group,
    env: group ? group.env : { REDIS_URL: server.url },
    client,
    keys: async (pattern) => {
      const c = client();
      try {
        const masters = c instanceof Cluster ? (await c.ping(), c.nodes('master')) : [c];
        return (await Promise.all(masters.map((m) => m.keys(pattern)))).flat();
      } finally {
        c.disconnect();
      }
    },
    stop: () => (group ?? server).stop(),
  };
}
