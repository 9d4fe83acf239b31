import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Worker } from 'bullmq';
import { getHeapStatistics } from 'node:v8';

export interface LoadGuardOptions {
  /** The configured concurrency: the most the worker takes when it keeps up. */
  concurrency: number;
  /** Where it starts, and grows from by half while it keeps up and is nearly full (256). */
  initial?: number;
  /** Event-loop delay (p99 over the last check period, ms) above which the worker takes no new calls. */
  maxLagMs: number;
  /**
   * Event-loop utilisation (0–1, the share of the last check period the loop was busy) above which
   * the worker takes no new calls: a loop that is never idle has stopped keeping up with its
   * streams even while each turn is short (chunks then wait in the socket buffers).
   */
  maxUtilization: number;
  /** Fraction of the V8 heap limit above which the worker takes no new calls. */
  maxHeapFraction: number;
  /** How many calls run now. */
  active: () => number;
  /** Sets how many calls the worker may run (BullMQ `worker.concurrency`). */
  setConcurrency: (n: number) => void;
  onChange?: (state: { limited: boolean; lagMs: number; utilization: number; heapFraction: number; concurrency: number }) => void;
  checkEveryMs?: number;
}

/**
 * Keeps a busy worker from taking more than it can carry. It starts at `initial` calls (256) and grows by
 * half each check while it keeps up and is nearly full, up to the configured concurrency, so a burst
 * of a thousand jobs is not all taken at once. Every check it reads the event loop's delay (p99
 * since the last check), how busy the loop was (utilisation) and the heap; past any limit it lowers
 * the concurrency to the calls it already runs, so it takes no new ones until all three are back well
 * under (delay under half, utilisation 0.1 under, heap 90% of its limits). Job locks are renewed on
 * the same event loop every lockDurationMs / 2 (2.5 s by default): a worker whose loop delay stays
 * under the limit (1 s) keeps its locks, and one past it stops adding work. What it does not take
 * stays queued for other replicas (KEDA scales on the waiting list).
 */
export function startLoadGuard(opts: LoadGuardOptions): { stop(): void; limited(): boolean } {
  const lag = lagSampler(20);
  const heapLimit = getHeapStatistics().heap_size_limit;
  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  let limited = false;
  let current = 0;
  const set = (n: number) => {
    current = n;
    opts.setConcurrency(n);
  };
  set(Math.min(opts.concurrency, opts.initial ?? 256));
  const timer = setInterval(() => {
    const lagMs = lag.p99();
    const elu = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(elu, lastElu).utilization;
    lastElu = elu;
    const heapFraction = process.memoryUsage().heapUsed / heapLimit;
    const state = { lagMs, utilization, heapFraction };
    if (lagMs > opts.maxLagMs || utilization > opts.maxUtilization || heapFraction > opts.maxHeapFraction) {
      const n = Math.max(1, opts.active());
      if (!limited || n < current) set(n);
      if (!limited) opts.onChange?.({ limited: true, ...state, concurrency: current });
      limited = true;
      return;
    }
    const calm = lagMs < opts.maxLagMs / 2 && utilization < opts.maxUtilization - 0.1 && heapFraction < opts.maxHeapFraction * 0.9;
    if (!calm) return;
    if (limited) {
      limited = false;
      opts.onChange?.({ limited: false, ...state, concurrency: current });
    }
    // Grow while nearly full: a worker that is not busy has no reason to hold more slots.
    if (current < opts.concurrency && opts.active() >= current * 0.8) set(Math.min(opts.concurrency, Math.ceil(current * 1.5)));
  }, opts.checkEveryMs ?? 500);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      lag.stop();
    },
    limited: () => limited,
  };
}

/**
 * Sets how many jobs a BullMQ worker runs at once, taking effect now. A lower number stops it
 * fetching; a higher one would otherwise wait: BullMQ's loop looks for more jobs only when a running
 * one ends (minutes, for long calls). `resume()` wakes that loop at once (BullMQ does so for a worker
 * paused with doNotWaitActive), so a raise is paired with a pause that lets the running jobs go on.
 */
export function setWorkerConcurrency(worker: Pick<Worker, 'concurrency' | 'isRunning' | 'pause' | 'resume'>, n: number): Promise<void> {
  const grew = n > worker.concurrency;
  worker.concurrency = n;
  if (!grew || !worker.isRunning()) return Promise.resolve();
  return worker.pause(true).then(() => worker.resume());
}

/**
 * Event-loop delay, measured by a timer of our own: every `resolutionMs` it records how late it ran.
 * (perf_hooks' monitorEventLoopDelay stops recording in a process where another such monitor was
 * disabled — Node 20 — which a worker started after another one's guard stopped would meet.)
 */
function lagSampler(resolutionMs: number): { p99(): number; stop(): void } {
  let samples: number[] = [];
  let expected = performance.now() + resolutionMs;
  const timer = setInterval(() => {
    const now = performance.now();
    samples.push(Math.max(0, now - expected));
    expected = now + resolutionMs;
  }, resolutionMs);
  timer.unref();
  return {
    /** The 99th percentile since the last call (ms), then starts afresh. */
    p99: () => {
      const sorted = samples.sort((a, b) => a - b);
      samples = [];
      return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]! : 0;
    },
    stop: () => clearInterval(timer),
  };
}
