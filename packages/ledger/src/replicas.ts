import type { RedisClient } from './scripts';

/** The log line of a wait that ran out before enough replicas had the write. */
export const REPLICAS_SHORT = 'a write reached fewer replicas than REDIS_WAIT_REPLICAS before its wait ran out (REDIS_WAIT_TIMEOUT_MS)';

/** How many replicas a write that holds money or an accepted request waits for (Redis WAIT). */
export interface ReplicaWait {
  /** Replicas to wait for; 0 waits for none. */
  count: number;
  /** Longest one wait blocks; the write stands either way. */
  timeoutMs: number;
  /** Told when fewer replicas than `count` had the write when the wait ended. */
  onShort?: (info: { key: string; acked: number; wanted: number }) => void;
}

/**
 * Waits until `wait.count` replicas hold every write this connection sent to the node that serves
 * `key` (Redis WAIT), so a failover that promotes one of them cannot lose it. WAIT names no key:
 * sent in a pipeline behind a read of `key`, it reaches that key's node on a Cluster too, over the
 * same connection the writes went out on. Resolves with the replicas that acknowledged.
 */
export async function waitForReplicas(redis: RedisClient, key: string, wait: ReplicaWait | undefined): Promise<number> {
  if (!wait || wait.count <= 0) return 0;
  const replies = await redis.pipeline().exists(key).wait(wait.count, wait.timeoutMs).exec();
  const [err, acked] = replies?.[1] ?? [new Error('no reply to WAIT'), 0];
  if (err) throw err;
  const n = Number(acked);
  if (n < wait.count) wait.onShort?.({ key, acked: n, wanted: wait.count });
  return n;
}
