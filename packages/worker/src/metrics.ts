import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one worker process, on its own registry (no global state). */
export function createWorkerMetrics(queue: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ queue });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    jobs: new Counter({
      name: 'orch_worker_jobs_total',
      help: 'Model-call attempts finished, by model and outcome (completed, retry, failed, cancelled, handed_back).',
      labelNames: ['model', 'outcome', 'code'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'orch_worker_call_duration_seconds',
      help: 'Provider call duration per attempt.',
      labelNames: ['model', 'outcome'] as const,
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    costUsd: new Counter({ name: 'orch_worker_cost_usd_total', help: 'USD spent on provider calls.', labelNames: ['model'] as const, registers: [registry] }),
    tokens: new Counter({ name: 'orch_worker_tokens_total', help: 'Tokens used, by kind (prompt, completion, reasoning, cached).', labelNames: ['model', 'kind'] as const, registers: [registry] }),
    budgetAlerts: new Counter({ name: 'orch_budget_alerts_total', help: 'Budget alerts raised by this process (each threshold once per window across all processes).', labelNames: ['budget', 'percent'] as const, registers: [registry] }),
    active: new Gauge({ name: 'orch_worker_active_jobs', help: 'Jobs running in this process.', registers: [registry] }),
    admission: new Gauge({ name: 'orch_worker_concurrency', help: 'Calls this process may run now: WORKER_CONCURRENCY, or fewer while its event loop or heap is over its limit (it takes no new calls).', registers: [registry] }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
