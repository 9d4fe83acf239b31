import type { RedisClient } from '@orch/queue';
import { OrchestratorError, type DoneEvent, type JobResultOutput, type ModelCallResult, type RequestSummary, type StoredRequestEvent } from '@orch/contracts';
import { compareStreamIds, previousStreamId, requestKeys, type EventHub, type RequestEvents, type Subscription } from '@orch/queue';
import type { RequestRecord, RequestStore } from './request-store';
import type { Caller } from '../callers/caller';
import type { OneCallRequests } from './one-call';

export interface RequestViewsDeps {
  redis: RedisClient;
  events: RequestEvents;
  requests: RequestStore;
  /** The process's shared event reader. */
  hub: () => EventHub;
  /** Throws `unavailable` while Redis is away. */
  assertRedisReachable: () => void;
  /** One-call requests, which their worker ends: a stranded one is ended when read. */
  oneCall: OneCallRequests;
  /** Whether a driven request's job will still be driven (RequestDriver.willDrive). */
  willDrive: (requestId: string) => Promise<boolean>;
}

/** How a request ended, as its followers were told: its `done`, and each call's last `result` (by job id). */
export interface RequestEnding {
  done: DoneEvent;
  results: ReadonlyMap<string, ModelCallResult>;
}

/**
 * How a request is read by its caller from any front door: its record, its status with the text
 * written so far, its events to follow, the caller's list, and waiting for its end.
 */
export class RequestViews {
  constructor(private readonly deps: RequestViewsDeps) {}

  /**
   * Follows a request's events after `after` (SSE, WebSocket). Given the request's `record` as just
   * read, a request that ended more than `finishedEventsTtlSeconds` ago (its stream is gone) has its
   * `done` told from the record, so every follower, however late, gets one consistent end.
   */
  follow(requestId: string, after: string, deliver: (e: StoredRequestEvent) => void, onError?: (err: Error) => void, record?: RequestRecord): Subscription {
    let ended = false;
    const tellRest = restOfStreamedText(after);
    const once = (e: StoredRequestEvent) => {
      if (e.type === 'done') {
        if (ended) return;
        ended = true;
      }
      const rest = tellRest(e);
      if (rest) deliver(rest);
      deliver(e);
    };
    const sub = this.deps.hub().subscribe(requestId, after, once, onError);
    if (record && record.status !== 'running') {
      void this.deps.redis
        .exists(requestKeys(requestId).events)
        .then((n) => {
          if (n !== 0) return;
          const status = record.status as 'completed' | 'failed' | 'cancelled';
          const ts = Date.parse(record.updatedAt) || Date.now();
          once({ id: `${ts}-0`, type: 'done', requestId, status, ts, ...(record.error ? { error: record.error } : {}) });
        })
        .catch(() => undefined);
    }
    return sub;
  }

  /** The caller's request record; `not_found` when it is unknown, expired or another caller's. */
  async ownRequest(requestId: string, caller: Caller): Promise<RequestRecord> {
    this.deps.assertRedisReachable();
    const record = await this.deps.requests.get(requestId);
    if (!record || record.callerId !== caller.id) throw new OrchestratorError('not_found', `request_id: no request ${requestId} (it may have expired)`, { details: { field: 'request_id' } });
    return record;
  }

  /** Status, partial text and result of a request; waits up to `waitMs` for it to end. */
  async getRequest(requestId: string, caller: Caller, waitMs = 0, signal?: AbortSignal): Promise<JobResultOutput> {
    const { oneCall } = this.deps;
    let record = await oneCall.settleStranded(await this.ownRequest(requestId, caller));
    if (record.status === 'running' && waitMs > 0) {
      await this.waitForDone(requestId, waitMs, signal);
      record = await oneCall.settleStranded((await this.deps.requests.get(requestId)) ?? record);
    }
    if (record.status === 'running' && !record.endsWith && !(await this.deps.requests.driverAlive(requestId))) {
      // The end writes the record and drops the lease in one step: read again after the lease, a
      // record still running was left by a driver that stopped; the one read before may have ended.
      // A stopped driver's job is taken over (when a door runs again): only one that will not be
      // driven any more has failed.
      record = (await this.deps.requests.get(requestId)) ?? record;
      if (record.status === 'running' && !(await this.deps.willDrive(requestId))) {
        record.status = 'failed';
        record.error = { code: 'internal', message: 'The process running this request stopped before it finished; its model calls may still have completed and been billed', retryable: true };
      }
    }
    const partial: JobResultOutput['partial'] = [];
    if (record.status === 'running') {
      const byJob = new Map<string, string>();
      for (const e of await this.deps.events.read(requestId, '0-0', 10_000)) {
        // Each attempt (a retry, or a run again after a worker died) starts its text over.
        if (e.type === 'progress' && e.stage === 'started' && e.jobId) byJob.delete(e.jobId);
        else if (e.type === 'partial' && e.jobId) byJob.set(e.jobId, (byJob.get(e.jobId) ?? '') + e.delta);
        // A finished call's answer is its result (a plain, non-streamed answer has no partials at all).
        else if (e.type === 'result' && e.jobId) byJob.set(e.jobId, e.result.text);
      }
      for (const [jobId, text] of byJob) partial.push({ model: record.jobs[jobId] ?? jobId, text });
    }
    return {
      request_id: requestId,
      tool: record.tool,
      status: record.status,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
      partial,
      ...(record.output && record.status !== 'running' ? { output: record.output } : {}),
      ...(record.error ? { error: record.error } : {}),
    };
  }

  /**
   * Resolves when the request's `done` event arrives (with it, and the last `result` of each call
   * told before it), or with undefined when `waitMs` passes or `signal` aborts. `after`: an event id
   * the request's end must come after (what its acceptance wrote): the wait is not woken for those.
   */
  waitForDone(requestId: string, waitMs: number, signal?: AbortSignal, after = '0-0'): Promise<RequestEnding | undefined> {
    return new Promise<RequestEnding | undefined>((resolve) => {
      if (signal?.aborted) return resolve(undefined);
      const results = new Map<string, ModelCallResult>();
      const finish = (done?: DoneEvent) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        sub.close();
        resolve(done && { done, results });
      };
      const onAbort = () => finish();
      const sub = this.deps.hub().subscribe(requestId, after, (e) => {
        if (e.type === 'result' && e.jobId) results.set(e.jobId, e.result);
        else if (e.type === 'done') finish(e);
      });
      const timer = setTimeout(onAbort, waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The caller's recent requests, newest first. */
  async listRequests(caller: Caller, limit = 20): Promise<RequestSummary[]> {
    const records = await this.deps.requests.listForCaller(caller.id, limit);
    return records.map((r) => ({
      request_id: r.requestId,
      tool: r.tool,
      status: r.status,
      ...(r.strategy ? { strategy: r.strategy } : {}),
      created_at: r.createdAt,
      updated_at: r.updatedAt,
      models: r.output?.totals.models ?? [...new Set(Object.values(r.jobs))],
      cost_usd: r.output?.totals.cost_usd ?? 0,
      ...(r.error ? { error: r.error } : {}),
    }));
  }
}

/**
 * A follower that fell behind as its request ended lost the partial text the end's compaction
 * dropped (a finished stream keeps each call's result and the end): before a streamed call's
 * `result`, the text after the last partial this follower was told is told as one more partial,
 * from the characters that partial counted (`chars`). Its id is the one just before the result's:
 * a dropped partial sat between the last event told and the result, so that id is free and in
 * order (a follower resuming from it reads the result next). A follower told no partial of the
 * call here (it resumed past them) is told nothing more: its result has the whole text. Returns
 * the partial to tell before `e`, if any.
 */
function restOfStreamedText(after: string): (e: StoredRequestEvent) => StoredRequestEvent | undefined {
  const told = new Map<string, { chars: number; attempt: number | undefined }>();
  let last = after;
  return (e) => {
    const lastTold = last;
    last = e.id;
    if (!e.jobId) return undefined;
    if (e.type === 'partial') told.set(e.jobId, { chars: e.chars, attempt: e.attempt });
    else if (e.type === 'progress' && e.stage === 'started') told.delete(e.jobId);
    else if (e.type === 'result') {
      const was = told.get(e.jobId);
      told.delete(e.jobId);
      const { text, attempt } = e.result;
      const id = previousStreamId(e.id);
      // Only text of the attempt that answered (a retry's `started` may have been dropped too), and
      // only where something was dropped (a free id between the last event told and the result).
      if (was && was.attempt === attempt && was.chars < text.length && id && compareStreamIds(id, lastTold) > 0) {
        return { id, type: 'partial', requestId: e.requestId, jobId: e.jobId, ...(e.model ? { model: e.model } : {}), ts: e.ts, delta: text.slice(was.chars), chars: text.length, attempt };
      }
    }
    return undefined;
  };
}
