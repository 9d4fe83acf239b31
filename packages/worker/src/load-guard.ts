import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
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
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
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
    const lagMs = histogram.percentile(99) / 1e6;
    histogram.reset();
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
      histogram.disable();
    },
    limited: () => limited,
  };
}
