import { Queue } from 'bullmq';
import type { RedisClient } from './redis';
import {
  JOB_NAMES,
  ModelCallPayloadSchema,
  OrchestratorError,
  type ModelCallPayload,
  type ModelCallPayloadInput,
  type QueueKey,
  type RequestEvent,
} from '@orch/contracts';
import { resolveModel, type Config } from '@orch/config';
import { modelCallJobId, modelCallJobOptions, queueName } from './catalog';
import { RequestEvents } from './events';

export type ModelCallQueue = Queue<ModelCallPayload>;

export interface QueuesOptions {
  config: Config;
  /** Shared command connection (BullMQ duplicates what it needs for blocking). */
  connection: RedisClient;
}

/** The two provider queues, with the Cluster hash-tagged names from contracts. */
export class ProviderQueues {
  readonly byKey: Record<QueueKey, ModelCallQueue>;
  private readonly config: Config;
  /** Also carries each call's `queued` event, just before its `add` (see `announceQueued`). */
  private readonly connection: RedisClient;

  constructor(opts: QueuesOptions) {
    this.config = opts.config;
    this.connection = opts.connection;
    // Before anything is sent on it (the queues below send at once): see RequestEvents.defineCommands.
    RequestEvents.defineCommands(opts.connection);
    const make = (key: QueueKey) =>
      new Queue<ModelCallPayload>(queueName(key), { connection: opts.connection, prefix: opts.config.queue.prefix, streams: { events: { maxLen: opts.config.queue.bullEventsMaxLen } } });
    this.byKey = { openrouter: make('openrouter'), openai: make('openai') };
    // The connection's errors (Redis away) are the owner's to log, once; BullMQ re-emits each on every
    // queue and, with no listener there, prints them with console.error (not JSON, on every queue).
    for (const q of Object.values(this.byKey)) q.on('error', () => undefined);
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
    const payload = parsePayload(input);
    const queue = this.queueForModel(payload.model);
    const jobId = jobIdOf(payload);
    // Announced first: a worker may take the job (and say `started`) before `add` returns.
    const queued = events && announceQueued([payload], events.on(this.connection));
    // Awaited together: both fail when Redis is away, and a rejection left unawaited ends the process.
    await Promise.all([queued, queue.add(JOB_NAMES.modelCall, payload, { ...modelCallJobOptions(this.config), jobId })]);
    return { jobId, queue: queue.name };
  }

  /** Validates and queues calls that run side by side (a council's members), each on its model's queue. */
  async submitAll(inputs: ModelCallPayloadInput[], events?: RequestEvents): Promise<string[]> {
    return (await Promise.all(inputs.map((input) => this.submit(input, events)))).map((r) => r.jobId);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.byKey).map((q) => q.close()));
  }
}

const jobIdOf = (p: ModelCallPayload) => modelCallJobId(p.requestId, p.callIndex);

/**
 * Sends each call's `queued` on `events`, a writer bound to the connection that then adds the jobs:
 * Redis runs one connection's commands in order, so `queued` is appended before the job exists (and
 * before any worker can say `started`) without a round trip between the two.
 */
function announceQueued(calls: ModelCallPayload[], events: RequestEvents): Promise<unknown> {
  return Promise.all(calls.map((p) => events.publish(queuedEvent(p.requestId, jobIdOf(p), p.model))));
}

/** The `queued` event of a model call: told before its job exists (and any worker says `started`). */
export function queuedEvent(requestId: string, jobId: string, model: string): RequestEvent {
  return { type: 'progress', stage: 'queued', requestId, jobId, model, ts: Date.now() };
}

function parsePayload(input: ModelCallPayloadInput): ModelCallPayload {
  const parsed = ModelCallPayloadSchema.safeParse(input);
  if (!parsed.success) {
    throw new OrchestratorError('invalid_payload', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
