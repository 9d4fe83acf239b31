import { DelayedError, Queue, WaitingError, Worker, type Job } from 'bullmq';
import {
  ABORT_REASON,
  DriveRequestPayloadSchema,
  JOB_NAMES,
  REQUEST_QUEUE_NAME,
  toErrorInfo,
  type DriveRequestPayload,
} from '@orch/contracts';
import type { Config } from '@orch/config';
import { repeatedLog, type Logger } from '@orch/logging';
import { duplicateRedis, isCancelled, subscribeCancellations, type EventHub, type ProviderQueues, type RedisClient, type RequestEvents } from '@orch/queue';
import type { CallerStore, Thread } from '../callers/caller-store';
import { JobWaiter } from './job-waiter';
import type { RequestRecord, RequestStore } from './request-store';
import { requestCalls, type RequestCallsDeps } from './request-calls';
import { runStrategy } from './strategies';
import { answerText, buildOutput, CANCELLED } from './request-output';

/**
 * How a drive ended: its end written; stopped by this process's shutdown (to be handed over); or
 * cut short by Redis being away (a step refused, or the end not stored): left running, to be driven
 * again.
 */
type DriveEnd = 'ended' | 'stopped' | 'redis-away';

/** The states of a request's job in which a driver will still run it (BullMQ's JobState). */
const DRIVEN_STATES: ReadonlySet<string> = new Set(['waiting', 'prioritized', 'delayed', 'active', 'waiting-children']);

export interface RequestDriverDeps extends RequestCallsDeps {
  config: Config;
  /** Command connection (scrubbing): records, events, cancel checks. */
  redis: RedisClient;
  /** Connection for the `{requests}` queue (BullMQ defines its scripts on it). */
  queueConnection: RedisClient;
  logger: Logger;
  hub: () => EventHub;
  queues: ProviderQueues;
  events: RequestEvents;
  requests: RequestStore;
  callers: CallerStore;
  /** `host/pid` of this process, written as the driver lease. */
  owner: string;
}

/**
 * The durable request driver. A request is a job on the `{requests}` queue (its id is the request
 * id); every front door runs a BullMQ worker on that queue, so whichever process is free drives it,
 * and when a driver's process dies its job stalls and another takes it over. A takeover runs the
 * strategy again from the top: each model call has the same job id as before, so BullMQ does not
 * queue a finished (or running) call twice, and its result is read back from the request's event
 * stream — no model call is run, or billed, twice. SIGTERM hands active requests back to the
 * queue after the grace period; a request is never recorded as cancelled because its driver stops.
 */
export class RequestDriver {
  /** The `{requests}` queue (shown on the admin pages). */
  readonly queue: Queue<DriveRequestPayload>;
  private worker: Worker<DriveRequestPayload> | undefined;
  private workerConnection: RedisClient | undefined;
  private subscriber: RedisClient | undefined;
  /** Requests this process drives now, by id. */
  private readonly local = new Map<string, { ctrl: AbortController; done: Promise<unknown> }>();

  constructor(private readonly deps: RequestDriverDeps) {
    this.queue = new Queue<DriveRequestPayload>(REQUEST_QUEUE_NAME, {
      connection: deps.queueConnection,
      prefix: deps.config.queue.prefix,
      streams: { events: { maxLen: deps.config.queue.bullEventsMaxLen } },
    });
    // Its connection's errors are logged by the connection's owner (see ProviderQueues).
    this.queue.on('error', () => undefined);
  }

  /**
   * Whether a request will still be driven: its job waits, is delayed, or is being driven — by a live
   * driver, or a dead one's whose job is taken over once its lock lapses (however long no door runs).
   */
  async willDrive(requestId: string): Promise<boolean> {
    return DRIVEN_STATES.has(await this.queue.getJobState(requestId));
  }

  /** Starts driving requests from the queue (and listening for their cancellation). */
  async start(): Promise<void> {
    if (this.worker) return;
    const { config } = this.deps;
    this.workerConnection = duplicateRedis(this.deps.redis, 'blocking', 'request-driver');
    this.subscriber = duplicateRedis(this.deps.redis, 'subscriber', 'request-cancel');
    this.subscriber.on('error', () => undefined);
    this.workerConnection.on('error', () => undefined);
    await subscribeCancellations(this.subscriber, (requestId) => this.local.get(requestId)?.ctrl.abort(ABORT_REASON.cancelled));
    this.worker = new Worker<DriveRequestPayload>(REQUEST_QUEUE_NAME, (job, token, signal) => this.process(job, token, signal), {
      connection: this.workerConnection,
      prefix: config.queue.prefix,
      // Drivers mostly wait on model calls: many at once cost little.
      concurrency: config.orchestration.maxDrivers,
      // A dead driver's request is taken over within lockDuration + stalledInterval.
      lockDuration: config.orchestration.driverLockMs,
      stalledInterval: Math.max(1000, Math.floor(config.orchestration.driverLockMs / 2)),
      // A takeover replays finished steps from the event stream: safe to repeat.
      maxStalledCount: 100,
    });
    // BullMQ reports each retry while Redis is away: a few lines per outage.
    const driverError = repeatedLog(this.deps.logger, 'warn', 'request driver error');
    this.worker.on('error', (err) => driverError({ err: err.message }));
    await this.worker.waitUntilReady();
  }

  /** Queues a request for a driver; a second submission of the same request is ignored. */
  async submit(payload: DriveRequestPayload): Promise<void> {
    // Typed here; the driver that takes it parses it (a job may come from another version).
    await this.queue.add(JOB_NAMES.driveRequest, payload, { jobId: payload.requestId, attempts: 1, removeOnComplete: true, removeOnFail: { age: 86_400, count: 1000 } });
  }

  /** Aborts the request if this process drives it; resolves once its driver has written the end. */
  async cancelLocal(requestId: string): Promise<boolean> {
    const local = this.local.get(requestId);
    if (!local) return false;
    local.ctrl.abort(ABORT_REASON.cancelled);
    await local.done;
    return true;
  }

  /** Requests this process drives now. */
  get active(): number {
    return this.local.size;
  }

  /**
   * Stops taking requests, lets active ones run up to `graceMs`, then hands the rest back to the
   * queue, where another process takes them over (their model calls go on meanwhile).
   */
  async close(graceMs: number): Promise<void> {
    const handBack = setTimeout(() => {
      for (const l of this.local.values()) l.ctrl.abort(ABORT_REASON.shutdown);
    }, graceMs);
    try {
      await this.worker?.close();
    } finally {
      clearTimeout(handBack);
    }
    await this.queue.close();
    this.subscriber?.disconnect();
    this.workerConnection?.disconnect();
  }

  private async process(job: Job<DriveRequestPayload>, token: string | undefined, signal?: AbortSignal): Promise<void> {
    const parsed = DriveRequestPayloadSchema.safeParse(job.data);
    if (!parsed.success) {
      this.deps.logger.error('invalid request job payload', { jobId: job.id, error: parsed.error.message });
      return;
    }
    const p = parsed.data;
    const [record, cancelled] = await Promise.all([this.deps.requests.get(p.requestId), isCancelled(this.deps.redis, p.requestId)]);
    // Already ended (its driver died after writing the end): nothing to do. A running record is kept
    // while driven, so one that is gone was removed or left undriven past its TTL: say so.
    if (!record) return void this.deps.logger.warn('a queued request has no record; nothing to drive', { requestId: p.requestId });
    if (record.status !== 'running') return;
    const ctrl = new AbortController();
    const onStop = () => ctrl.abort(ABORT_REASON.shutdown);
    signal?.addEventListener('abort', onStop, { once: true });
    if (cancelled) ctrl.abort(ABORT_REASON.cancelled);
    if (job.stalledCounter > 0) this.deps.logger.warn('taking over a request whose driver stopped', { requestId: p.requestId, stalled: job.stalledCounter });
    const done = this.drive(record, p, ctrl);
    this.local.set(p.requestId, { ctrl, done });
    let end: DriveEnd;
    try {
      end = await done;
    } finally {
      this.local.delete(p.requestId);
      signal?.removeEventListener('abort', onStop);
    }
    if (end === 'stopped' && token) {
      // Hand the request over: another process drives it from the top, replaying finished calls.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (end === 'redis-away' && token) {
      // Driven again from the top a lock period later (Redis may still be away). This connection
      // queues the move until Redis answers; a lock lost meanwhile leaves the job to the stalled check.
      await job.moveToDelayed(Date.now() + this.deps.config.orchestration.driverLockMs, token);
      throw new DelayedError();
    }
  }

  /** Runs the strategy to its end and writes the request record and the `done` event (see DriveEnd). */
  private async drive(record: RequestRecord, p: DriveRequestPayload, ctrl: AbortController): Promise<DriveEnd> {
    const { requestId } = record;
    const log = this.deps.logger.child({ requestId, tool: record.tool });
    const waiter = new JobWaiter({ requestId, hub: this.deps.hub(), queues: this.deps.queues, signal: ctrl.signal });
    // The lease names this process from now on (it also tells readers that a driver is alive).
    const holdLease = () => void this.deps.requests.renewDriver(requestId, this.deps.owner).catch(() => undefined);
    holdLease();
    const lease = setInterval(holdLease, (this.deps.requests.leaseSeconds * 1000) / 3);
    lease.unref();
    let turns: Promise<unknown> = Promise.resolve();
    const exec = requestCalls(this.deps, record, p, waiter);
    try {
      const outcome = await runStrategy(p, exec);
      // A continued thread is read again here, as late as possible, since calls on it may overlap.
      const [cancelled, thread] = await Promise.all([
        isCancelled(this.deps.redis, requestId),
        p.continued ? this.deps.callers.readThread(p.threadId).then((t) => t ?? this.firstTurns(p.threadId)) : undefined,
      ]);
      record.output = buildOutput(record, p, outcome, cancelled);
      record.status = record.output.status;
      if (record.output.error) record.error = record.output.error;
      if (record.status === 'completed' && p.continued && thread) {
        const answer = answerText(record.output);
        // Written on the same connection just before the record and `done` below, so a caller woken
        // by `done` finds the turn; a lost turn must not fail an answered request.
        turns = this.deps.callers
          .appendTurns(
            p.threadId,
            p.callerId,
            [
              { role: 'user', content: p.prompt, tool: record.tool, ts: Date.now() },
              { role: 'assistant', content: answer, tool: record.tool, models: record.output.totals.models, ts: Date.now() },
            ],
            thread,
          )
          .catch((err) => log.warn('could not store the conversation turn', { err: (err as Error).message }));
      }
    } catch (err) {
      // This process is stopping: leave the record running; readers see the driver lease lapse.
      if (ctrl.signal.reason === ABORT_REASON.shutdown) return 'stopped';
      const aborted = ctrl.signal.aborted;
      // Redis away (a record write or a queue add refused) is not the request's failure: it is
      // driven again from the top once Redis answers; finished calls are read back, not sent again.
      if (!aborted && toErrorInfo(err).code === 'unavailable') {
        log.warn('Redis away while driving the request; it will be driven again', { err: (err as Error).message });
        return 'redis-away';
      }
      record.status = aborted ? 'cancelled' : 'failed';
      record.error = aborted ? CANCELLED : toErrorInfo(err);
      record.output = {
        request_id: requestId,
        tool: record.tool,
        status: record.status,
        ...(record.strategy ? { strategy: record.strategy } : {}),
        answers: [],
        failures: [],
        totals: { models: p.models, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 },
        error: record.error,
      };
      if (!aborted) log.error('request failed', { err: (err as Error)?.stack ?? String(err) });
    } finally {
      clearInterval(lease);
      waiter.close();
    }
    try {
      // The job → model labels only serve partial text while running; the output names the models.
      record.jobs = {};
      // One atomic step: the record, then `done` (a reader woken by it finds the result), lease dropped.
      const done = { type: 'done' as const, requestId, status: record.status as 'completed' | 'failed' | 'cancelled', ts: Date.now(), ...(record.error ? { error: record.error } : {}) };
      await Promise.all([turns, this.deps.events.finish(done, this.deps.requests.serialize(record), this.deps.requests.ttlSeconds)]);
      log.info('request finished', { status: record.status, costUsd: record.output?.totals.cost_usd });
    } catch (err) {
      log.error('could not store the request result', { err: (err as Error).message });
      return 'redis-away';
    }
    return 'ended';
  }

  /** The conversation a finished request started: its prompt and answer, read from its record. */
  async firstTurns(requestId: string): Promise<Thread | undefined> {
    const r = await this.deps.requests.get(requestId);
    if (!r || r.status !== 'completed' || r.prompt === undefined || !r.output) return undefined;
    const ts = Date.parse(r.updatedAt) || Date.now();
    return {
      owner: r.callerId,
      turns: [
        { role: 'user', content: r.prompt, tool: r.tool, ts },
        { role: 'assistant', content: answerText(r.output), tool: r.tool, models: r.output.totals.models, ts },
      ],
    };
  }

}
