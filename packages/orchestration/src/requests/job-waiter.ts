import { ModelCallResultSchema, errorFromFailureReason, type ErrorInfo, type ModelCallResult, type StoredRequestEvent } from '@orch/contracts';
import type { EventHub, ProviderQueues, Subscription } from '@orch/queue';

export interface CallOutcome {
  jobId: string;
  model: string;
  result?: ModelCallResult;
  error?: ErrorInfo;
  /** The model this call stood in for: it failed, and this one was its fallback. */
  fallbackOf?: string;
  /** The failed calls this one replaced (the model's own, then earlier fallbacks). */
  replaced?: CallOutcome[];
}

export interface JobWaiterOptions {
  requestId: string;
  /** The process's shared reader of event streams. */
  hub: EventHub;
  queues: ProviderQueues;
  signal: AbortSignal;
  /** Every event of the request, as it arrives (progress forwarding). */
  onEvent?: (e: StoredRequestEvent) => void;
  /** How often job states are also read from BullMQ, for outcomes no event reported. */
  pollMs?: number;
}

/**
 * Follows one request's event stream and resolves when given jobs have ended (a result, or an error
 * that is final). Event streams can miss nothing a job reports, but a job can also end without
 * reporting (e.g. it stalled too often), so job states are read from BullMQ every few seconds too.
 */
export class JobWaiter {
  private readonly outcomes = new Map<string, CallOutcome>();
  private readonly models = new Map<string, string>();
  private readonly ensures = new Map<string, () => Promise<unknown>>();
  private readonly listeners = new Set<() => void>();
  private readonly sub: Subscription;
  private readonly poller: NodeJS.Timeout;

  constructor(private readonly opts: JobWaiterOptions) {
    this.sub = opts.hub.subscribe(opts.requestId, '0-0', (e) => this.onEvent(e));
    this.poller = setInterval(() => void this.poll(), opts.pollMs ?? 5000);
    this.poller.unref();
  }

  private onEvent(e: StoredRequestEvent): void {
    this.opts.onEvent?.(e);
    if (!e.jobId) return;
    if (e.type === 'result') this.settle({ jobId: e.jobId, model: e.result.model, result: e.result });
    else if (e.type === 'error' && e.final) this.settle({ jobId: e.jobId, model: e.model ?? this.models.get(e.jobId) ?? '', error: e.error });
  }

  private async poll(): Promise<void> {
    for (const [jobId, model] of this.models) {
      if (this.outcomes.has(jobId)) continue;
      try {
        const job = await this.opts.queues.queueForModel(model).getJob(jobId);
        if (!job) {
          // Queued by someone else who may have failed to (the door, after accepting the request).
          await this.ensures.get(jobId)?.();
          continue;
        }
        const state = await job.getState();
        if (state === 'completed') {
          const parsed = ModelCallResultSchema.safeParse(job.returnvalue);
          if (parsed.success) this.settle({ jobId, model, result: parsed.data });
        } else if (state === 'failed') {
          this.settle({ jobId, model, error: errorFromFailureReason(job.failedReason) });
        }
      } catch {
        // Redis hiccup: try again next round.
      }
    }
  }

  private settle(outcome: CallOutcome): void {
    if (this.outcomes.has(outcome.jobId)) return;
    this.outcomes.set(outcome.jobId, outcome);
    for (const l of this.listeners) l();
  }

  /**
   * Resolves when every job has an outcome; rejects when the request's signal aborts. A job given
   * `ensure` queues a job again when a poll finds none: another process was to queue it and could
   * not, or a Redis failover lost the add.
   */
  wait(jobs: Array<{ jobId: string; model: string; ensure?: () => Promise<unknown> }>): Promise<CallOutcome[]> {
    for (const j of jobs) {
      this.models.set(j.jobId, j.model);
      if (j.ensure) this.ensures.set(j.jobId, j.ensure);
    }
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.opts.signal.aborted) {
          this.listeners.delete(check);
          reject(this.opts.signal.reason instanceof Error ? this.opts.signal.reason : new Error(String(this.opts.signal.reason ?? 'aborted')));
          return;
        }
        if (jobs.every((j) => this.outcomes.has(j.jobId))) {
          this.listeners.delete(check);
          resolve(jobs.map((j) => this.outcomes.get(j.jobId)!));
        }
      };
      this.listeners.add(check);
      this.opts.signal.addEventListener('abort', check, { once: true });
      check();
    });
  }

  close(): void {
    clearInterval(this.poller);
    this.sub.close();
  }
}
