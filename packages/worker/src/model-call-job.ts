import pRetry from 'p-retry';
import type { RedisClient } from '@orch/queue';
import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import {
  ABORT_REASON,
  ModelCallPayloadSchema,
  OrchestratorError,
  failureReason,
  redisTrouble,
  type ModelCallPayload,
  type ModelCallResult,
  type RequestEvent,
} from '@orch/contracts';
import type { Config, ResolvedModel } from '@orch/config';
import { repeatedLog, type Logger } from '@orch/logging';
import { ProviderError, classifyProviderError, type CompletionResponse, type ModelClient } from '@orch/providers';
import { endOneCallRequest, type OneCallEnd, type RequestEvents } from '@orch/queue';
import type { WorkerMetrics } from './metrics';
import { PartialBuffer } from './partial-buffer';
import type { SpendGuard, SpendReservation } from './spend-guard';

/** Calls running in this process, by job id; `ended` gives the answer when the call got one. */
export type ActiveCalls = Map<string, { requestId: string; ctrl: AbortController; ended: Promise<ModelCallResult | undefined> }>;

export interface ModelCallDeps {
  config: Config;
  logger: Logger;
  client: ModelClient;
  spend: SpendGuard;
  events: RequestEvents;
  /** Command connection (cancellation marks). */
  redis: RedisClient;
  metrics: WorkerMetrics;
  active: ActiveCalls;
  /** `host/pid`, recorded in each result. */
  workerIdentity: string;
  /** Pauses the whole queue (a provider's Retry-After applies to every worker of it). */
  rateLimit(ms: number): Promise<unknown>;
  /**
   * The spend guard books on `events`' own connection to one Redis (not a Cluster): writes sent one
   * after the other there are applied in that order. An answer's settle and its result are then sent
   * together, one round trip, and the settle is still applied first. Otherwise the result waits for
   * the settle's reply.
   */
  settleBesideResult?: boolean;
}

/**
 * One model-call job, start to end: skip it if its request was cancelled, return an earlier run's
 * answer if there is one, reserve spend, call the provider while streaming throttled partial text,
 * book the cost and record the result (Redis errors retried with the answer kept), or release or
 * hold the reservation and fail, retry or hand the job back.
 */
export function createModelCallProcessor(deps: ModelCallDeps) {
  const calls = new ModelCallJob(deps);
  return (job: Job<ModelCallPayload, ModelCallResult>, token: string | undefined, signal?: AbortSignal): Promise<ModelCallResult> => calls.process(job, token, signal);
}

/** The phases of a model-call job, over the worker's dependencies. */
class ModelCallJob {
  /**
   * Progress and partial text are best effort; while Redis is away every flush fails, so the failures
   * are logged a few lines per outage (the result itself is retried until it is stored).
   */
  private readonly publish: (event: RequestEvent) => Promise<unknown>;

  constructor(private readonly d: ModelCallDeps) {
    const publishFailed = repeatedLog(d.logger, 'warn', 'could not publish event');
    this.publish = (event) => d.events.publish(event).catch((err) => publishFailed({ requestId: event.requestId, type: event.type, err: (err as Error).message }));
  }

  /** Phase 1: the job's payload, or a final `invalid_payload` failure (a job from another version). */
  private parsePayload(job: Job<ModelCallPayload, ModelCallResult>): ModelCallPayload {
    const { logger, metrics } = this.d;
    const parsed = ModelCallPayloadSchema.safeParse(job.data);
    if (parsed.success) return parsed.data;
    const message = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    logger.error('invalid job payload', { jobId: job.id, error: message });
    metrics.jobs.inc({ model: 'unknown', outcome: 'failed', code: 'invalid_payload' });
    throw new UnrecoverableError(failureReason({ code: 'invalid_payload', message }));
  }

  /**
   * Phase 2, for a job run again after its worker died or lost its lock (Redis away longer than the
   * lock): an earlier run still going in this process is waited for and its answer returned; one that
   * recorded its answer (or whose request has ended) is not sent to the provider, and billed, again.
   */
  private async earlierAnswer(c: CallContext): Promise<ModelCallResult | undefined> {
    const { events, metrics, active } = this.d;
    const here = await active.get(c.jobId)?.ended;
    if (here) {
      c.log.info('model call answered by its earlier run in this worker; that answer stands');
      return here;
    }
    const earlier = await events.earlierRun(c.payload.requestId, c.jobId);
    if (earlier === 'ended') {
      metrics.jobs.inc({ model: c.payload.model, outcome: 'cancelled', code: 'request_ended' });
      throw new UnrecoverableError(failureReason({ code: 'cancelled', message: 'the request ended before this call ran again' }));
    }
    if (earlier) c.log.info('model call already answered by an earlier run; its result stands', { worker: earlier.result.worker });
    return earlier?.result;
  }

  /**
   * Phase 4: the provider answered. From here on a Redis error is retried with the answer kept, never
   * treated as a failed call (that would send the call, and bill it, again): book the cost, then
   * publish the result once the events before it are out.
   */
  private async recordAnswer(c: CallContext, reservation: SpendReservation, res: CompletionResponse, pending: Promise<unknown>, started: number): Promise<ModelCallResult> {
    const { spend, events, metrics, workerIdentity } = this.d;
    const { payload, log } = c;
    // Booked before the result is told, so a caller that reads its spend on the answer finds it:
    // sent first on the one connection (see settleBesideResult), or waited for.
    const booking = keepTrying(log, 'book the call', () => spend.settle(reservation, { costUsd: res.costUsd, usage: res.usage, ...(res.generationId ? { generationId: res.generationId } : {}) }));
    if (!this.d.settleBesideResult) await booking;
    const result: ModelCallResult = {
      requestId: payload.requestId,
      callIndex: payload.callIndex,
      jobId: c.jobId,
      model: res.model,
      modelId: res.modelId,
      provider: res.provider,
      text: res.text,
      finishReason: res.finishReason,
      usage: res.usage,
      ...(res.usageEstimated ? { usageEstimated: true } : {}),
      costUsd: res.costUsd,
      costSource: res.costSource,
      ...(res.generationId ? { generationId: res.generationId } : {}),
      streamed: res.streamed,
      latencyMs: res.latencyMs,
      attempt: c.attempt,
      worker: workerIdentity,
    };
    const told = pending.then(async (): Promise<unknown> => {
      const event: RequestEvent = { type: 'result', ...c.base, ts: Date.now(), result };
      // A call that is its request ends it with its result in one step; another publishes it.
      return payload.endsRequest ? this.endRequest(c, { result }, event) : keepTrying(log, 'publish the result', () => events.publish(event));
    });
    // Both finished before either failure is handled: a reservation is returned (fail) only once
    // its settle has succeeded or given up, never while one is still on its way.
    const [booked, published] = await Promise.allSettled([booking, told]);
    if (booked.status === 'rejected') throw booked.reason;
    if (published.status === 'rejected') throw published.reason;
    metrics.jobs.inc({ model: payload.model, outcome: 'completed', code: '' });
    metrics.duration.observe({ model: payload.model, outcome: 'completed' }, (Date.now() - started) / 1000);
    metrics.costUsd.inc({ model: payload.model }, res.costUsd);
    for (const kind of ['prompt', 'completion', 'reasoning', 'cached'] as const) {
      metrics.tokens.inc({ model: payload.model, kind }, res.usage[`${kind}Tokens`]);
    }
    log.info('model call completed', { costUsd: res.costUsd, promptTokens: res.usage.promptTokens, completionTokens: res.usage.completionTokens, latencyMs: res.latencyMs });
    return result;
  }

  /**
   * Phase 5, the call failed: its reservation released (or held, when the bill is unknown), the job
   * handed back at shutdown, or the failure told to followers and thrown — final (no retry) when it
   * is not retryable or this was the last attempt.
   */
  private async fail(c: CallContext, caught: unknown, reservation: SpendReservation | undefined, abortReason: unknown, token: string | undefined, providerAsked: boolean): Promise<never> {
    const { spend, metrics, rateLimit } = this.d;
    const { job, payload, log } = c;
    // Before the provider was asked, nothing was billed, and a Redis failure (a failover, Redis
    // away) is Redis's: `unavailable`, not a provider connection failure of unknown bill.
    const trouble = providerAsked ? undefined : redisTrouble(caught);
    const err = caught instanceof OrchestratorError ? caught : trouble ? new OrchestratorError(trouble.code, trouble.message, { retryable: true, cause: caught }) : classifyProviderError(caught);
    if (reservation) {
      await spend
        .release(reservation, providerAsked && err instanceof ProviderError ? { billing: err.billing, generationId: err.generationId } : { billing: 'none' })
        .catch((e) => log.error('could not release spend reservation', { err: (e as Error).message }));
    }
    if (abortReason === ABORT_REASON.shutdown && token) {
      // Hand the job back: another worker (or this one after restart) runs it again.
      await job.moveToWait(token);
      metrics.jobs.inc({ model: payload.model, outcome: 'handed_back', code: '' });
      log.warn('job handed back at shutdown');
      throw new WaitingError();
    }
    const willRetry = err.retryable && c.attempt < (job.opts.attempts ?? 1);
    log.warn('model call failed', { code: err.code, error: err.message, willRetry });
    await this.tell(c, err, !willRetry);
    if (!willRetry) await this.endRequest(c, { error: err.toInfo(), status: err.code === 'cancelled' ? 'cancelled' : 'failed' });
    if (err instanceof ProviderError && err.code === 'rate_limited' && err.retryAfterMs) {
      // The provider's limit applies to every worker of this queue: pause the whole queue.
      await rateLimit(err.retryAfterMs).catch(() => undefined);
    }
    if (!err.retryable) throw new UnrecoverableError(failureReason(err));
    throw err;
  }

  /**
   * A request of this one call (`endsRequest`: no driver waits for it) ends with it: its record and
   * `done`, once (a cancel that ended it first stands). Retried like the result: the call is over.
   */
  private async endRequest(c: CallContext, end: OneCallEnd, result?: RequestEvent): Promise<void> {
    if (!c.payload.endsRequest) return;
    const { redis, events, config } = this.d;
    // Never thrown: a job failed here would run, and bill, its call again (the job's own answer
    // ends the request when it is read: OneCallRequests in the doors).
    await keepTrying(c.log, "end the call's request", () => endOneCallRequest(redis, events, c.payload.requestId, end, { recordTtlSeconds: config.queue.requestTtlSeconds, ...(result ? { publish: result } : {}), stored: c.record })).catch((err: Error) =>
      c.log.error("could not store the request's end; readers will see its call ended", { err: err.message }),
    );
  }

  /** Tells followers the call failed (`final`: for good), and counts it. */
  private async tell(c: CallContext, err: OrchestratorError, final: boolean): Promise<void> {
    const { metrics } = this.d;
    await this.publish({ type: 'error', ...c.base, ts: Date.now(), error: err.toInfo(), final, attempt: c.attempt });
    metrics.jobs.inc({ model: c.payload.model, outcome: final ? (err.code === 'cancelled' ? 'cancelled' : 'failed') : 'retry', code: err.code });
  }

  async process(job: Job<ModelCallPayload, ModelCallResult>, token: string | undefined, signal?: AbortSignal): Promise<ModelCallResult> {
    const { config, logger, client, spend, events, metrics, active } = this.d;
    const payload = this.parsePayload(job);
    const jobId = job.id ?? '';
    const attempt = job.attemptsMade + 1;
    const base = { requestId: payload.requestId, jobId, model: payload.model };
    const c: CallContext = { job, jobId, attempt, payload, base, log: logger.child({ ...base, attempt }) };

    let resolved: ResolvedModel;
    try {
      resolved = client.resolve(payload.model);
    } catch (err) {
      const e = err instanceof OrchestratorError ? err : new OrchestratorError('unknown_model', String(err));
      await this.tell(c, e, true);
      await this.endRequest(c, { error: e.toInfo(), status: 'failed' });
      throw new UnrecoverableError(failureReason(e));
    }

    if (job.stalledCounter > 0) {
      const earlier = await this.earlierAnswer(c);
      // The earlier run may have died between its answer and its request's end.
      if (earlier) return (await this.endRequest(c, { result: earlier }), earlier);
    }

    // Phase 3: reserve, then call the provider while streaming throttled partial text.
    const ctrl = new AbortController();
    const onWorkerAbort = () => ctrl.abort(signal?.reason ?? ABORT_REASON.cancelled);
    signal?.addEventListener('abort', onWorkerAbort, { once: true });
    let answer: ModelCallResult | undefined;
    let ended = () => {};
    active.set(jobId, { requestId: payload.requestId, ctrl, ended: new Promise<ModelCallResult | undefined>((r) => (ended = () => r(answer))) });
    metrics.active.inc();
    const started = Date.now();
    let reserving: Promise<SpendReservation> | undefined;
    let reservation: SpendReservation | undefined;
    let providerAsked = false;
    let pending: Promise<unknown> = Promise.resolve();
    // Events are sent at once, not each after the last one's reply: they go out on one connection,
    // so Redis appends them in order all the same. `pending` is the latest; the result waits for it.
    const send = (event: RequestEvent) => void (pending = this.publish(event));
    const partial = new PartialBuffer(config.worker.partialFlushMs, (delta, chars) => send({ type: 'partial', ...base, ts: Date.now(), delta, chars, attempt }));
    try {
      // The call's start (the cancel mark read, its `started` told) goes beside the spend
      // reservation: one round trip before the provider call, not two. A job started again after its
      // worker died is a second provider call: a reservation of its own. A call started over (a
      // retry, or a run again after its worker died) says so: followers drop the text the earlier
      // attempt streamed. A call that ends its request reads the request's record with it: its end is
      // written from it (a running record changes only by ending).
      const restart = attempt > 1 || job.stalledCounter > 0;
      const startedEvent: RequestEvent = { type: 'progress', stage: 'started', ...base, ts: Date.now(), attempt, ...(restart ? { message: `${payload.model}: started again (attempt ${attempt}); text streamed before is discarded` } : {}) };
      const starting = events.start(startedEvent, payload.endsRequest === true);
      pending = starting.catch(() => undefined); // its failure is thrown below
      reserving = spend.reserve({ jobId, attempt, ...(job.stalledCounter ? { run: job.stalledCounter } : {}), requestId: payload.requestId, model: resolved, payload });
      reserving.catch(() => undefined); // awaited below, after the start
      const start = await starting;
      if (start.cancelled) {
        reservation = await reserving.catch(() => undefined); // returned (billing none) on the way out
        throw new OrchestratorError('cancelled', 'The request was cancelled before this call started');
      }
      c.record = start.record;
      reservation = await reserving;
      let streaming = false;
      providerAsked = true;
      const res = await client.complete(payload.model, {
        messages: payload.messages,
        ...(payload.maxOutputTokens !== undefined ? { maxOutputTokens: payload.maxOutputTokens } : {}),
        ...(payload.temperature !== undefined ? { temperature: payload.temperature } : {}),
        ...(payload.reasoningEffort !== undefined ? { reasoningEffort: payload.reasoningEffort } : {}),
        ...(payload.timeoutMs !== undefined ? { timeoutMs: payload.timeoutMs } : {}),
        stream: payload.stream,
        signal: ctrl.signal,
        onDelta: (delta) => {
          if (!streaming) {
            streaming = true;
            send({ type: 'progress', stage: 'streaming', ...base, ts: Date.now(), attempt });
          }
          partial.push(delta);
        },
      });
      partial.flush();
      answer = await this.recordAnswer(c, reservation, res, pending, started);
      return answer;
    } catch (caught) {
      partial.discard();
      // A reservation made while the step beside it failed (the cancel mark's read) is returned
      // too: left alone, its heartbeat would renew it for as long as this worker lives.
      reservation ??= await reserving?.catch(() => undefined);
      await pending;
      metrics.duration.observe({ model: payload.model, outcome: 'failed' }, (Date.now() - started) / 1000);
      return await this.fail(c, caught, reservation, ctrl.signal.reason, token, providerAsked);
    } finally {
      signal?.removeEventListener('abort', onWorkerAbort);
      active.delete(jobId);
      ended();
      metrics.active.dec();
    }
  }
}

/** What every phase of one job knows of it. */
interface CallContext {
  job: Job<ModelCallPayload, ModelCallResult>;
  jobId: string;
  /** 1-based. */
  attempt: number;
  payload: ModelCallPayload;
  /** The fields every event of this call carries. */
  base: { requestId: string; jobId: string; model: string };
  log: Logger;
  /** The request's record as read when the call started (a call that ends its request), if it was. */
  record?: string | null;
}

/**
 * Retries a Redis write after the provider has answered (p-retry: 200 ms doubling to 2 s, about a
 * minute in all): a Redis blip must not turn an answered, billed call into a failed one.
 */
function keepTrying<T>(log: Logger, what: string, write: () => Promise<T>): Promise<T> {
  return pRetry(write, {
    retries: 30,
    minTimeout: 200,
    maxTimeout: 2000,
    onFailedAttempt: (e) => {
      log.warn(`could not ${what}; keeping the answer and retrying`, { attempt: e.attemptNumber, err: e.message });
    },
  });
}

