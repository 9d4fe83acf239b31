import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';
import type { Logger } from '@orch/logging';
import { queueStats } from './queue-stats';

/** What the metrics read when scraped: the queues and the day's ledger. */
export interface MetricsSources {
  queues: Record<string, Queue>;
  spend(): Promise<{ spentUsd: number; reservedUsd: number; remainingUsd: number; limits: { dailyUsd: number; perRequestUsd: number } }>;
}

/**
 * The Prometheus metrics every front door (MCP gateway, REST and WebSocket bridges) exports on
 * /metrics: tool calls by tool, door and outcome, their latency, refusals by budget and rate limit,
 * the provider queues (waiting, active, delayed, and how long the oldest has waited) and the day's
 * spend against its limit. Process metrics too. Queue and spend gauges are read when scraped.
 */
export class FrontDoorMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'tool' | 'door' | 'outcome'>;
  private readonly seconds: Histogram<'tool' | 'door'>;
  private readonly refusals: Counter<'door' | 'reason'>;
  /** Model calls this door's requests moved to a fallback model, by the model that failed and its fallback. */
  readonly fallbacks: Counter<'model' | 'fallback'>;

  constructor(private readonly door: string) {
    collectDefaultMetrics({ register: this.registry });
    this.calls = new Counter({ name: 'orch_tool_calls_total', help: 'Tool calls by tool, front door and outcome (completed, failed, cancelled, or the error code), counted when the outcome is known.', labelNames: ['tool', 'door', 'outcome'], registers: [this.registry] });
    this.seconds = new Histogram({
      name: 'orch_tool_call_duration_seconds',
      help: 'Time from a tool call at this front door to its outcome (for a call answered with a request id, until its request ends).',
      labelNames: ['tool', 'door'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [this.registry],
    });
    this.refusals = new Counter({ name: 'orch_refusals_total', help: 'Calls refused by a spend limit (budget) or a rate limit.', labelNames: ['door', 'reason'], registers: [this.registry] });
    for (const reason of ['budget', 'rate_limit']) this.refusals.labels(door, reason).inc(0);
    this.fallbacks = new Counter({ name: 'orch_model_fallbacks_total', help: "Model calls that failed for good (unavailable, rate-limited, timed out, out of quota) and were asked of one of their model's fallbacks instead.", labelNames: ['model', 'fallback'], registers: [this.registry] });
  }

  /** Counts one tool call whose outcome is known: completed, failed, cancelled, or an error code. */
  observe(tool: string, outcome: string, seconds: number): void {
    this.calls.labels(tool, this.door, outcome).inc();
    this.seconds.labels(tool, this.door).observe(seconds);
    if (outcome === 'budget_exceeded') this.refusals.labels(this.door, 'budget').inc();
    if (outcome === 'rate_limited') this.refusals.labels(this.door, 'rate_limit').inc();
  }

  /** The queue and spend gauges, read from Redis at each scrape (one gauge's collect reads them all). */
  watch(sources: MetricsSources, logger: Logger): void {
    // Registered first: prom-client collects in order, so the gauges after it get this scrape's values.
    new Gauge({
      name: 'orch_queue_jobs',
      help: 'Model-call jobs by provider queue and state (waiting, active, delayed: retries waiting their turn).',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        try {
          for (const [name, { oldestWaitingSeconds, ...counts }] of Object.entries(await queueStats(sources.queues))) {
            for (const [state, n] of Object.entries(counts)) this.labels(name, state).set(n);
            oldest.labels(name).set(oldestWaitingSeconds);
          }
          const s = await sources.spend();
          spend.labels('spent').set(s.spentUsd);
          spend.labels('reserved').set(s.reservedUsd);
          spend.labels('left').set(s.remainingUsd);
          limit.labels('daily').set(s.limits.dailyUsd);
          limit.labels('per_request').set(s.limits.perRequestUsd);
        } catch (err) {
          // A scrape while Redis is away: the last values stay, the scrape still answers.
          logger.warn('metrics: could not read queues or spend', { err: (err as Error).message });
        }
      },
    });
    const oldest = new Gauge({ name: 'orch_queue_oldest_waiting_seconds', help: 'How long the oldest waiting job of each provider queue has waited.', labelNames: ['queue'], registers: [this.registry] });
    const spend = new Gauge({ name: 'orch_spend_usd', help: "Today's spend: booked (spent), held for calls in flight (reserved), and left under the daily limit (left).", labelNames: ['kind'], registers: [this.registry] });
    const limit = new Gauge({ name: 'orch_spend_limit_usd', help: 'The spend limits.', labelNames: ['limit'], registers: [this.registry] });
  }
}
