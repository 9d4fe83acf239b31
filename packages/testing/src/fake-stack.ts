import { Cluster, Redis } from 'ioredis';
import { startFakeProvider, type FakeProvider } from '@orch/fake-provider';
import { startRedisCluster, startSentinelGroup, type RedisGroup } from './redis-group';
import { startRedis, type RedisServerHandle } from './redis-server';

export interface FakeStack {
  /** The standalone redis-server, or (ORCH_TEST_REDIS=cluster|sentinel) the group's first node. */
  redis: RedisServerHandle;
  /** The cluster or sentinel group when ORCH_TEST_REDIS chose one; `env()` points at it. */
  group: RedisGroup | undefined;
  openrouter: FakeProvider;
  openai: FakeProvider;
  /**
   * Environment for a process or `loadConfig({ env })` that reaches this stack: Redis, both fake
   * providers and their keys, worker health on a free port. `extra` wins.
   */
  env(extra?: Record<string, string>): Record<string, string>;
  /** A connection for a test's own reads and writes (a Cluster client on a cluster). */
  client(): Redis | Cluster;
  /** Every key matching `pattern` on every master (KEYS on a cluster asks one node only). */
  keys(pattern: string): Promise<string[]>;
  /** Clears recorded requests, faults and behaviour of both providers. */
  reset(): void;
  stop(): Promise<void>;
}

export const FAKE_KEYS = { openrouter: 'or-key', openai: 'oa-key' } as const;

/**
 * A private redis-server and fake OpenRouter and OpenAI servers: what a whole-stack test needs.
 * With ORCH_TEST_REDIS=cluster (or sentinel) in the environment, or `redis` given, the stack's Redis
 * is a 3-master Redis Cluster (or a sentinel group) on loopback instead: the same suites run on it.
 */
export async function startFakeStack(opts: { redis?: 'standalone' | 'cluster' | 'sentinel' } = {}): Promise<FakeStack> {
  const mode = opts.redis ?? testRedisMode();
  const startGroup = mode === 'cluster' ? startRedisCluster() : mode === 'sentinel' ? startSentinelGroup() : undefined;
  const [group, openrouter, openai] = await Promise.all([
    startGroup,
    startFakeProvider({ flavor: 'openrouter', apiKey: FAKE_KEYS.openrouter }),
    startFakeProvider({ flavor: 'openai', apiKey: FAKE_KEYS.openai }),
  ]);
  const redis = group ? group.nodes[0]! : await startRedis();
  return {
    redis,
    group,
    openrouter,
    openai,
    env: (extra = {}) => ({
      ...(group ? group.env : { REDIS_URL: redis.url }),
      OPENROUTER_BASE_URL: openrouter.baseURL,
      OPENROUTER_API_KEY: FAKE_KEYS.openrouter,
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_API_KEY: FAKE_KEYS.openai,
      WORKER_METRICS_PORT: '0',
      ...extra,
    }),
    client: () => (group ? group.client() : new Redis(redis.url)),
    keys: async (pattern) => {
      const c = group ? group.client() : new Redis(redis.url);
      try {
        const masters = c instanceof Cluster ? (await c.ping(), c.nodes('master')) : [c];
        return (await Promise.all(masters.map((m) => m.keys(pattern)))).flat();
      } finally {
        c.disconnect();
      }
    },
    reset: () => {
      openrouter.reset();
      openai.reset();
    },
    stop: async () => {
      await Promise.all([openrouter.stop(), openai.stop()]);
      await (group ?? redis).stop();
    },
  };
}

/** The Redis a whole-stack test runs on: ORCH_TEST_REDIS=cluster|sentinel, standalone otherwise. */
export function testRedisMode(): 'standalone' | 'cluster' | 'sentinel' {
  const m = process.env.ORCH_TEST_REDIS;
  return m === 'cluster' || m === 'sentinel' ? m : 'standalone';
}
