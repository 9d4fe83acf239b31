import type { JobsOptions } from 'bullmq';
import { QUEUE_NAMES, type QueueKey } from '@orch/contracts';
import type { Config } from '@orch/config';

/** Name of the custom backoff strategy workers register (exponential, or Retry-After when longer). */
export const PROVIDER_BACKOFF = 'provider';

export function queueName(key: QueueKey): string {
  return QUEUE_NAMES[key];
}

/** Job options for a model call: attempts, backoff, and bounded retention of finished jobs. */
export function modelCallJobOptions(config: Config): JobsOptions {
  return {
    attempts: config.worker.attempts,
    backoff: { type: PROVIDER_BACKOFF, delay: config.worker.backoffMs },
    removeOnComplete: { age: config.queue.keepCompleted.ageSeconds, count: config.queue.keepCompleted.count },
    removeOnFail: { age: config.queue.keepFailed.ageSeconds, count: config.queue.keepFailed.count },
  };
}

/** Job ids: unique per model call of a request. BullMQ forbids ':' in custom ids. */
export function modelCallJobId(requestId: string, callIndex: number): string {
  return `${requestId}.${callIndex}`;
}

/** The call index of a model-call job id, or of a BullMQ job key ending in one (`bull:{openai}:01J….3` → 3). */
export function callIndexOfJobId(jobIdOrKey: string): number | undefined {
  const m = /\.(\d+)$/.exec(jobIdOrKey);
  return m ? Number(m[1]) : undefined;
}

/**
 * Exponential backoff with jitter, unless the provider said how long to wait (Retry-After), in
 * which case at least that long.
 */
export function providerBackoff(baseDelayMs: number, random: () => number = Math.random) {
  return (attemptsMade: number, _type?: string, err?: Error): number => {
    const exp = baseDelayMs * 2 ** Math.max(0, attemptsMade - 1);
    const jittered = Math.round(exp * (0.8 + 0.4 * random()));
    const retryAfter = (err as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
    return typeof retryAfter === 'number' && retryAfter > jittered ? retryAfter : jittered;
  };
}
