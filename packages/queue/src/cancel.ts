import type { RedisClient } from './redis';
import { CANCEL_CHANNEL, requestKeys } from './keys';

/**
 * Marks a request cancelled (workers skip its queued jobs) and tells every worker to abort its
 * in-flight calls. Returns how many workers heard the announcement.
 */
export async function cancelRequest(redis: RedisClient, requestId: string, ttlSeconds: number): Promise<number> {
  await redis.set(requestKeys(requestId).cancel, String(Date.now()), 'EX', ttlSeconds);
  return redis.publish(CANCEL_CHANNEL, requestId);
}

export async function isCancelled(redis: RedisClient, requestId: string): Promise<boolean> {
  return (await redis.exists(requestKeys(requestId).cancel)) === 1;
}

/** Calls `onCancel(requestId)` for every cancellation announced from now on. */
export async function subscribeCancellations(subscriber: RedisClient, onCancel: (requestId: string) => void): Promise<void> {
  subscriber.on('message', (channel: string, message: string) => {
    if (channel === CANCEL_CHANNEL) onCancel(message);
  });
  await subscriber.subscribe(CANCEL_CHANNEL);
}
