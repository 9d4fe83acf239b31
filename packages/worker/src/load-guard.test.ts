import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis, waitFor } from '@orch/testing';
import { setWorkerConcurrency, startLoadGuard } from './load-guard';

/** Issue 17: a busy worker takes no new calls while its event loop lags, and takes them again after. */
describe('load guard', () => {
  it('takes no new calls while the loop is busy nearly all the time (utilisation), even in short turns', async () => {
    const set: number[] = [];
    const guard = startLoadGuard({ concurrency: 500, initial: 64, maxLagMs: 60_000, maxUtilization: 0.7, maxHeapFraction: 0.99, active: () => 12, setConcurrency: (n) => set.push(n), checkEveryMs: 200 });
    // Stopped in `finally` too: a loop left spinning after a failed wait keeps jest from ever ending.
    let spinning = true;
    try {
      // Short turns (5 ms) back to back: little delay, but a loop that is never idle.
      const spin = () => {
        const end = Date.now() + 5;
        while (Date.now() < end);
        if (spinning) setImmediate(spin);
      };
      spin();
      await waitFor(() => guard.limited() || undefined, { timeoutMs: 10_000, what: 'the guard to limit the worker' });
      spinning = false;
      expect(set.slice(0, 2)).toEqual([64, 12]);
      await waitFor(() => !guard.limited() || undefined, { timeoutMs: 20_000, what: 'the guard to let go' });
      // Back under: it grows again, from the calls it had, by half per check while nearly full.
      expect(set.at(-1)).toBe(18);
    } finally {
      spinning = false;
      guard.stop();
    }
  });

  it('starts low and grows by half while nearly full, up to the configured concurrency (a burst is not all taken at once)', async () => {
    const set: number[] = [];
    let running = 0;
    const guard = startLoadGuard({ concurrency: 200, initial: 64, maxLagMs: 60_000, maxUtilization: 1, maxHeapFraction: 0.99, active: () => running, setConcurrency: (n) => ((running = n), set.push(n)), checkEveryMs: 50 });
    try {
      await waitFor(() => set.at(-1) === 200 || undefined, { timeoutMs: 10_000, what: 'growth to 200' });
      expect(set).toEqual([64, 96, 144, 200]);
    } finally {
      guard.stop();
    }
  });

  it('lowers the concurrency to the calls running while the loop lags past the limit, and restores it after', async () => {
    const set: number[] = [];
    const changes: boolean[] = [];
    const guard = startLoadGuard({ concurrency: 1000, initial: 1000, maxLagMs: 150, maxUtilization: 1, maxHeapFraction: 0.99, active: () => 37, setConcurrency: (n) => set.push(n), onChange: (s) => changes.push(s.limited), checkEveryMs: 100 });
    // Block the loop for 400 ms at a time, as a worker drowning in stream chunks would. Cleared in
    // `finally` too: left blocking after a failed wait, it holds a core until jest is killed.
    let busy: NodeJS.Timeout | undefined;
    try {
      busy = setInterval(() => {
        const end = Date.now() + 400;
        while (Date.now() < end);
      }, 10);
      await waitFor(() => guard.limited() || undefined, { timeoutMs: 30_000, what: 'the guard to limit the worker' });
      clearInterval(busy);
      expect(set.slice(0, 2)).toEqual([1000, 37]);
      await waitFor(() => !guard.limited() || undefined, { timeoutMs: 20_000, what: 'the guard to let go' });
      // Still 37 running: nearly full at 37, so it grows by half each calm check (37 → 56 → …).
      await waitFor(() => set.at(-1)! >= 56 || undefined, { timeoutMs: 10_000, what: 'the guard to grow again' });
      expect(changes).toEqual([true, false]);
    } finally {
      clearInterval(busy);
      guard.stop();
    }
  }, 90_000);
});

describe('setWorkerConcurrency on a real BullMQ worker', () => {
  it('a raise takes waiting jobs at once, while the running ones go on (not when one of them ends)', async () => {
    const redis = await startRedis();
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('raise', { connection: conn });
    const started: string[] = [];
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    // BullMQ leaves a connection it was given open: closed below, or jest never exits.
    const workerConn = conn.duplicate({ maxRetriesPerRequest: null });
    const worker = new Worker('raise', async (job) => {
      started.push(job.name);
      await held;
    }, { connection: workerConn, concurrency: 1 });
    try {
      await queue.add('first', {});
      await waitFor(() => started.length === 1 || undefined, { timeoutMs: 10_000, what: 'the first job to start' });
      await queue.add('second', {});
      await queue.add('third', {});
      await setWorkerConcurrency(worker, 3);
      // The first job still runs: only the raise can have started the others.
      await waitFor(() => started.length === 3 || undefined, { timeoutMs: 10_000, what: 'the waiting jobs to start after the raise' });
      expect(started).toEqual(['first', 'second', 'third']);
      expect(worker.isPaused()).toBe(false);
    } finally {
      release();
      await worker.close();
      await queue.close();
      workerConn.disconnect();
      conn.disconnect();
      await redis.stop();
    }
  });
});
