import { ModelCallResultSchema } from '@orch/contracts';
import { endOneCallRequest, type OneCallEnd, type ProviderQueues, type RedisClient, type RequestEvents } from '@orch/queue';
import { CANCELLED } from './request-output';
import type { RequestRecord, RequestStore } from './request-store';

export interface OneCallDeps {
  redis: RedisClient;
  events: RequestEvents;
  queues: ProviderQueues;
  requests: RequestStore;
}

/**
 * What a front door does for a request of one call (its record's `endsWith`), which no driver
 * waits for and whose worker ends it: end it as cancelled, and end it when its call's job has ended
 * without ending it (BullMQ failed the job after it stalled too often, an operator removed it, or
 * the worker could not store the end). Every end goes through one atomic step; the first stands.
 */
export class OneCallRequests {
  constructor(private readonly d: OneCallDeps) {}

  /** Ends the request as cancelled (its worker, told by the cancel mark, aborts its call). */
  cancel(record: RequestRecord): Promise<boolean> {
    return this.end(record, { error: CANCELLED, status: 'cancelled' });
  }

  /**
   * The record as it stands once a call that can no longer end its request has been seen: ended as
   * failed with what became of the call. Unchanged while the call is queued, waiting for a retry, or
   * running.
   */
  async settleStranded(record: RequestRecord): Promise<RequestRecord> {
    if (record.status !== 'running' || !record.endsWith) return record;
    const end = await this.strandedEnd(record.endsWith, record.jobs[record.endsWith]);
    if (!end) return record;
    await this.end(record, end);
    return (await this.d.requests.get(record.requestId)) ?? record;
  }

  private end(record: RequestRecord, end: OneCallEnd): Promise<boolean> {
    return endOneCallRequest(this.d.redis, this.d.events, record.requestId, end, { recordTtlSeconds: this.d.requests.ttlSeconds });
  }

  /**
   * The end of a request whose call's job will not end it — the job's own answer when it has one (its
   * worker could not store the end, or a failover lost it), else why — or undefined while it still may.
   */
  private async strandedEnd(jobId: string, model: string | undefined): Promise<OneCallEnd | undefined> {
    let queue;
    try {
      queue = this.d.queues.queueForModel(model ?? '');
    } catch {
      return undefined; // its model is not configured here (a deploy under way): not this door's call
    }
    const job = await queue.getJob(jobId);
    const state = job ? await job.getState() : 'unknown';
    const answered = state === 'completed' ? ModelCallResultSchema.safeParse(job?.returnvalue) : undefined;
    if (answered?.success) return { result: answered.data };
    const failed = (message: string): OneCallEnd => ({ error: { code: 'internal', message, retryable: true }, status: 'failed' });
    if (state === 'failed') return failed(`The model call failed and did not end its request: ${job?.failedReason ?? 'no reason recorded'}`);
    if (state === 'completed' || state === 'unknown') return failed('The model call ended but its request was not ended; it may have completed and been billed');
    return undefined;
  }
}
