import { OrchestratorError, toErrorInfo, type DriveRequestPayload, type ModelCallPayloadInput, type ModelToolOutput } from '@orch/contracts';
import type { Config } from '@orch/config';
import type { Logger } from '@orch/logging';
import { modelCallJobId, queuedEvent, requestKeys, type ProviderQueues, type RedisClient, type RequestEvents } from '@orch/queue';
import { waitForReplicas, type Ledger, type ReplicaWait } from '@orch/ledger';
import { checkCallCap, describeEstimate, estimateCall, type CallEstimate } from './call-estimate';
import { firstCallJob } from './model-call-payload';
import type { RequestDriver } from './request-driver';
import type { RequestRecord, RequestStore } from './request-store';

/** A model tool's call made concrete (tools/call-plan.ts plans it; intake accepts it). */
export interface CallPlan {
  /** The request's driver job: strategy, models, messages, limits. */
  drive: DriveRequestPayload;
  /** The request's record, as it is first stored. */
  record: RequestRecord;
  /** USD above which the caller approves a call first: its own setting, else the operator's; 0 is off. */
  approvalThresholdUsd: number;
  /** The call's own cap (`max_cost_usd`), when it gave one. */
  callCapUsd?: number;
}

export interface IntakeDeps {
  config: Config;
  redis: RedisClient;
  /** The queues' own connection (WAIT reaches the requests queue's node over it). */
  queueConnection: RedisClient;
  ledger: Ledger;
  requests: RequestStore;
  driver: RequestDriver;
  queues: ProviderQueues;
  events: RequestEvents;
  replicas: ReplicaWait;
  /** This process, as the driver lease names it until a driver takes the request. */
  owner: string;
  logger: Logger;
}

/**
 * How a planned call becomes an accepted request: refused first, before anything is written, when
 * its worst case is over its own cap or above the caller's approval threshold; then its record,
 * lease and driver job written (and held by replicas); then a single call's model call queued.
 */
export class RequestIntake {
  constructor(private readonly d: IntakeDeps) {}

  /**
   * Accepts `plan` (its request will run), or throws and nothing runs. `approval` as
   * CallOptions.approval. Returns the id of the last event its acceptance wrote (`0-0` for none):
   * a reader that waits for the request's end reads after it.
   */
  async accept(plan: CallPlan, approval?: { approved: boolean }): Promise<string> {
    const { drive, record } = plan;
    // Priced once, when the call's own cap or a spend approval needs it (nothing is written yet).
    const askApproval = approval !== undefined && !approval.approved && plan.approvalThresholdUsd > 0;
    if (plan.callCapUsd !== undefined || askApproval) {
      const estimate = estimateCall(this.d.config, drive);
      if (plan.callCapUsd !== undefined) checkCallCap(estimate, plan.callCapUsd);
      if (askApproval) await this.checkApproval(estimate, plan.approvalThresholdUsd);
    }
    // A single-call strategy's model call is queued by the door too, rather than by the driver once
    // it has picked the request up: the model starts a queue hop (and the driver's reads) sooner.
    const first = firstCallJob(this.d.config, drive);
    const firstJobId = modelCallJobId(drive.requestId, 0);
    if (first) record.jobs[firstJobId] = first.model;
    // A request of that one call alone (no fallback to move to, no conversation to extend) needs no
    // driver: its worker ends it. Its call is then what is accepted, written like a driver job.
    if (first && oneCallAlone(this.d.config, drive, first.model)) {
      first.endsRequest = true;
      record.endsWith = firstJobId;
      return this.writeOneCall(record, first, firstJobId);
    }
    // Otherwise it is queued only once the request is accepted — its record, its lease and its
    // driver job written — so a caller told that its call failed (Redis full, read-only…) never has
    // a model call sent.
    if (first) drive.firstCallQueued = true;
    await this.write(record, drive);
    // Accepted: a first call that cannot be queued now is queued by the driver (JobWaiter's ensure).
    if (first) {
      void this.d.queues.submit(first, this.d.events).catch((err: unknown) => this.d.logger.warn('could not queue the first call; its driver will', { requestId: drive.requestId, err: toErrorInfo(err).message }));
    }
    return '0-0';
  }

  /** Refuses a planned call whose worst case is above the threshold (nothing is written or reserved yet). */
  private async checkApproval(estimate: CallEstimate, thresholdUsd: number): Promise<void> {
    if (estimate.usd <= thresholdUsd) return;
    const day = await this.d.ledger.report({ requests: { count: 1 } });
    throw new OrchestratorError('approval_required', `${describeEstimate(estimate, thresholdUsd)} $${day.remainingUsd.toFixed(2)} of today's $${day.limits.dailyUsd.toFixed(2)} is left.`, {
      details: { estimate_usd: estimate.usd, models: estimate.models, threshold_usd: thresholdUsd, per_request_limit_usd: estimate.perRequestLimitUsd, remaining_today_usd: day.remainingUsd },
    });
  }

  /**
   * Writes a request's record and lease (the lease says "a driver has this request" until one takes
   * the job and renews it; the record first: a driver reads it), then its job: once the job is
   * written the request is accepted and will run. When a write fails (Redis away, full, read-only)
   * nothing will run: what was written is removed (deletes pass a full Redis) and the caller gets
   * the failure.
   */
  private async write(record: RequestRecord, drive: DriveRequestPayload): Promise<void> {
    const { requests, driver, replicas } = this.d;
    try {
      await Promise.all([requests.create(record), requests.holdDriver(record.requestId, this.d.owner)]);
      await driver.submit(drive);
      // Accepted only once replicas hold it (REDIS_WAIT_REPLICAS): the record and lease on the
      // request's slot, its driver job on the requests queue's (two nodes on a Cluster).
      await Promise.all([waitForReplicas(this.d.redis, requestKeys(record.requestId).meta, replicas), waitForReplicas(this.d.queueConnection, driver.queue.toKey('meta'), replicas)]);
    } catch (err) {
      await requests.discard(record).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Writes a one-call request: its record with its call's `queued` event (one step), then its call's
   * job, each held by replicas. Once the job is written the request is accepted and its worker will
   * end it; when a write fails nothing runs (as in `write`).
   */
  private async writeOneCall(record: RequestRecord, call: ModelCallPayloadInput, jobId: string): Promise<string> {
    const { requests, queues, replicas } = this.d;
    try {
      const queued = await requests.create(record, queuedEvent(call.requestId, jobId, call.model));
      await queues.submit(call);
      await Promise.all([waitForReplicas(this.d.redis, requestKeys(record.requestId).meta, replicas), waitForReplicas(this.d.queueConnection, queues.queueForModel(call.model).toKey('meta'), replicas)]);
      return queued ?? '0-0';
    } catch (err) {
      await requests.discard(record).catch(() => undefined);
      throw err;
    }
  }
}

/**
 * A request of one call that nothing after the call depends on: no fallbacks for its model and no
 * conversation turn to store (a new conversation is its record). Its worker can end it.
 */
function oneCallAlone(config: Config, drive: DriveRequestPayload, model: string): boolean {
  return !drive.continued && !(config.models[model]?.fallbacks ?? []).length;
}

/** A request's output while it still runs: what the caller is told to do to read its result. */
export function runningOutput(drive: DriveRequestPayload, message: string): ModelToolOutput {
  const { requestId, tool, strategy, models, threadId } = drive;
  return {
    request_id: requestId,
    tool,
    status: 'running',
    strategy,
    answers: [],
    failures: [],
    totals: { models, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 },
    continuation_id: threadId,
    message,
  };
}
