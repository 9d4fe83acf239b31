import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  JOB_NAMES,
  ModelCallPayloadSchema,
  OrchestratorError,
  type ModelCallPayload,
  type ModelCallPayloadInput,
  type QueueKey,
} from '@orch/contracts';
import { resolveModel, type Config } from '@orch/config';
import { modelCallJobId, modelCallJobOptions, queueName } from './catalog';
import type { RequestEvents } from './events';

export type ModelCallQueue = Queue<ModelCallPayload>;

export interface QueuesOptions {
  config: Config;
  /** Shared command connection (BullMQ duplicates what it needs for blocking). */
  connection: Redis;
}

/** The two provider queues, with the Cluster hash-tagged names from contracts. */
export class ProviderQueues {
  readonly byKey: Record<QueueKey, ModelCallQueue>;
  private readonly config: Config;

  constructor(opts: QueuesOptions) {
    this.config = opts.config;
    const make = (key: QueueKey) => new Queue<ModelCallPayload>(queueName(key), { connection: opts.connection, prefix: opts.config.queue.prefix });
    this.byKey = { openrouter: make('openrouter'), openai: make('openai') };
  }

  /** The queue that runs a model's calls (its provider's `queue`). */
  queueForModel(modelKey: string): ModelCallQueue {
    return this.byKey[resolveModel(this.config, modelKey).provider.queue];
  }

  /**
   * Validates and queues one model call. The job id is `requestId.callIndex`, so a duplicate
   * submission of the same call is ignored by BullMQ.
   */
  async submit(input: ModelCallPayloadInput, events?: RequestEvents): Promise<{ jobId: string; queue: string }> {
    const parsed = ModelCallPayloadSchema.safeParse(input);
    if (!parsed.success) {
      throw new OrchestratorError('invalid_payload', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    }
    const payload = parsed.data;
    const queue = this.queueForModel(payload.model);
    const jobId = modelCallJobId(payload.requestId, payload.callIndex);
    await queue.add(JOB_NAMES.modelCall, payload, { ...modelCallJobOptions(this.config), jobId });
    await events?.publish({ type: 'progress', stage: 'queued', requestId: payload.requestId, jobId, model: payload.model, ts: Date.now() });
    return { jobId, queue: queue.name };
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.byKey).map((q) => q.close()));
  }
}
