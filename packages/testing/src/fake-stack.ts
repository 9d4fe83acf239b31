import type { Cluster, Redis } from 'ioredis';
import { startFakeProvider, type FakeProvider } from '@orch/fake-provider';
import type { RedisGroup } from './redis-group';
import type { RedisServerHandle } from './redis-server';
import { startTestRedis, type TestRedisMode } from './test-redis';

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
export async function startFakeStack(opts: { redis?: TestRedisMode } = {}): Promise<FakeStack> {
  const [testRedis, openrouter, openai] = await Promise.all([
    startTestRedis(opts.redis),
    startFakeProvider({ flavor: 'openrouter', apiKey: FAKE_KEYS.openrouter }),
    startFakeProvider({ flavor: 'openai', apiKey: FAKE_KEYS.openai }),
  ]);
  return {
    redis: testRedis.server,
    group: testRedis.group,
    openrouter,
    openai,
    env: (extra = {}) => ({
      ...testRedis.env,
      OPENROUTER_BASE_URL: openrouter.baseURL,
      OPENROUTER_API_KEY: FAKE_KEYS.openrouter,
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_API_KEY: FAKE_KEYS.openai,
      WORKER_METRICS_PORT: '0',
      ...extra,
    }),
    client: testRedis.client,
    keys: testRedis.keys,
    reset: () => {
      openrouter.reset();
      openai.reset();
    },
    stop: async () => {
      await Promise.all([openrouter.stop(), openai.stop()]);
      await testRedis.stop();
    },
  };
}
