import { startFakeProvider, type FakeProvider } from '@orch/fake-provider';
import { startRedis, type RedisServerHandle } from './redis-server';

export interface FakeStack {
  redis: RedisServerHandle;
  openrouter: FakeProvider;
  openai: FakeProvider;
  /**
   * Environment for a process or `loadConfig({ env })` that reaches this stack: Redis, both fake
   * providers and their keys, worker health on a free port. `extra` wins.
   */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Clears recorded requests, faults and behaviour of both providers. */
  reset(): void;
  stop(): Promise<void>;
}

export const FAKE_KEYS = { openrouter: 'or-key', openai: 'oa-key' } as const;

/** A private redis-server and fake OpenRouter and OpenAI servers: what a whole-stack test needs. */
export async function startFakeStack(): Promise<FakeStack> {
  const [redis, openrouter, openai] = await Promise.all([
    startRedis(),
    startFakeProvider({ flavor: 'openrouter', apiKey: FAKE_KEYS.openrouter }),
    startFakeProvider({ flavor: 'openai', apiKey: FAKE_KEYS.openai }),
  ]);
  return {
    redis,
    openrouter,
    openai,
    env: (extra = {}) => ({
      REDIS_URL: redis.url,
      OPENROUTER_BASE_URL: openrouter.baseURL,
      OPENROUTER_API_KEY: FAKE_KEYS.openrouter,
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_API_KEY: FAKE_KEYS.openai,
      WORKER_METRICS_PORT: '0',
      ...extra,
    }),
    reset: () => {
      openrouter.reset();
      openai.reset();
    },
    stop: async () => {
      await Promise.all([openrouter.stop(), openai.stop()]);
      await redis.stop();
    },
  };
}
