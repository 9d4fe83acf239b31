import { Redis, type RedisOptions } from 'ioredis';
import { ScrubbingRedis } from './scrubbing-redis';

export type RedisRole =
  /** BullMQ workers and blocking reads: commands wait for a reconnect instead of failing. */
  | 'blocking'
  /** Producers and short commands: fail fast when Redis is down rather than queue in memory. */
  | 'command'
  /** Pub/sub subscriber. */
  | 'subscriber';

/**
 * ioredis connection with the settings BullMQ's production guide asks for: workers and blocking
 * readers use `maxRetriesPerRequest: null`; command connections fail fast. With `scrub`, every
 * value written through it (and its duplicates) is scrubbed of secrets first (ScrubbingRedis).
 */
export function createRedis(url: string, role: RedisRole, name?: string, scrub?: (text: string) => string): Redis {
  const opts: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest: role === 'command' ? 2 : null,
    enableReadyCheck: true,
    // Commands issued in the same tick go out in one write (one syscall) instead of one each: under
    // load many requests share each write. Blocking connections must not pipeline.
    enableAutoPipelining: role === 'command',
    // Reconnect every 200 ms, then at most every second: a process serves again within a second or
    // two of Redis returning (the old exponential backoff grew to 20 s and kept everything down ~18 s).
    retryStrategy: (times) => Math.min(200 * times, 1000),
  };
  return scrub ? new ScrubbingRedis(scrub, url, opts) : new Redis(url, opts);
}

/** Resolves once the connection answers PING; rejects after `timeoutMs`. */
export async function waitForRedis(redis: Redis, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Quits a connection, or disconnects it if QUIT cannot complete (Redis gone). */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await Promise.race([redis.quit(), new Promise((r) => setTimeout(r, 1000))]);
  } catch {
    // already closed
  }
  redis.disconnect();
}

