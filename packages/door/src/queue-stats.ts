import type { Queue } from 'bullmq';

export interface QueueStats {
  waiting: number;
  active: number;
  /** Retries waiting their turn (backoff) and delayed jobs. */
  delayed: number;
  prioritized: number;
  /** How long the oldest waiting job has waited (0 when none waits). */
  oldestWaitingSeconds: number;
}

/** Each queue's job counts and the age of its oldest waiting job: what /metrics and the dashboard show. */
export async function queueStats(queues: Record<string, Queue>, now = Date.now()): Promise<Record<string, QueueStats>> {
  const entries = await Promise.all(
    Object.entries(queues).map(async ([name, queue]) => {
      const [counts, [first]] = await Promise.all([queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'), queue.getJobs(['wait'], 0, 0, true)]);
      const stats: QueueStats = {
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        prioritized: counts.prioritized ?? 0,
        oldestWaitingSeconds: first ? Math.max(0, (now - first.timestamp) / 1000) : 0,
      };
      return [name, stats] as const;
    }),
  );
  return Object.fromEntries(entries);
}
