import { modelCallJobId, type ProviderQueues, type RequestEvents } from '@orch/queue';
import type { ChatMessage, DriveRequestPayload, ErrorCode } from '@orch/contracts';
import type { Config } from '@orch/config';
import { composeMessages } from './compose';
import type { CallOutcome, JobWaiter } from './job-waiter';
import { modelCallPayload } from './model-call-payload';
import type { RequestRecord, RequestStore } from './request-store';
import type { Exec } from './strategies';

/** Failures a model's fallbacks answer for: the model cannot serve now, not the call is wrong. */
const FALLBACK_ON: ReadonlySet<ErrorCode> = new Set(['provider_unavailable', 'rate_limited', 'provider_quota', 'provider_timeout']);

export interface RequestCallsDeps {
  config: Config;
  queues: ProviderQueues;
  events: RequestEvents;
  requests: RequestStore;
  /** Told each time a call moves to a fallback model (a metric). */
  onFallback?: (model: string, fallback: string) => void;
}

/**
 * How one request's strategy runs its model calls: each a durable job on its provider's queue,
 * waited for through the request's events. Call indexes (and so job ids) are handed out in the
 * order the strategy asks, so a driver that takes the request over asks for the same jobs again and
 * finds the finished ones.
 */
export function requestCalls(deps: RequestCallsDeps, record: RequestRecord, p: DriveRequestPayload, waiter: JobWaiter): Exec {
  const { requestId } = record;
  let callIndex = 0;
  const payload = (model: string, messages: ChatMessage[]) => {
    const i = callIndex++;
    record.jobs[modelCallJobId(requestId, i)] = model;
    return modelCallPayload(deps.config, p, i, model, messages);
  };
  const submitter = (job: ReturnType<typeof payload>) => () => deps.queues.submit(job, deps.events);
  const progress = (message: string) => void deps.events.publish({ type: 'progress', stage: 'round', requestId, message, ts: Date.now() }).catch(() => undefined);

  /** Queues one call (with the record's job → model labels) and waits for its outcome. */
  const call = async (model: string, messages: ChatMessage[]): Promise<CallOutcome> => {
    const job = payload(model, messages);
    const submit = submitter(job);
    await Promise.all([deps.requests.put(record), submit()]);
    const [outcome] = await waiter.wait([{ jobId: modelCallJobId(requestId, job.callIndex), model, ensure: submit }]);
    return outcome!;
  };

  /**
   * A call that failed for good as unavailable, rate-limited, timed out or out of quota is asked of
   * its model's fallbacks in turn (`models.<key>.fallbacks`), each a call of its own, reserved and
   * settled on its own. The answer names the model it stands in for; the failures stay listed.
   */
  const orElse = async (first: CallOutcome, messages: ChatMessage[]): Promise<CallOutcome> => {
    let outcome = first;
    const replaced: CallOutcome[] = [];
    for (const fallback of deps.config.models[first.model]?.fallbacks ?? []) {
      if (!outcome.error || !FALLBACK_ON.has(outcome.error.code)) break;
      replaced.push(outcome);
      deps.onFallback?.(first.model, fallback);
      progress(`${outcome.model} failed (${outcome.error.code}); asking ${fallback} instead`);
      outcome = await call(fallback, messages);
    }
    return replaced.length ? { ...outcome, fallbackOf: first.model, replaced } : outcome;
  };

  return {
    single: async (spec) => {
      if (!(p.firstCallQueued && callIndex === 0)) return orElse(await call(spec.model, spec.messages), spec.messages);
      // The first call, which the door queued once it had accepted the request: waited for, and
      // queued here only if a poll finds no such job (the door could not, or a failover lost it).
      const job = payload(spec.model, spec.messages);
      const [outcome] = await waiter.wait([{ jobId: modelCallJobId(requestId, job.callIndex), model: spec.model, ensure: submitter(job) }]);
      return orElse(outcome!, spec.messages);
    },
    flow: async (children, parent) => {
      // Children in parallel; then the parent, with their answers written into its prompt, as a
      // call of its own. Each call is its queue's job, so queues may sit on different Cluster
      // masters (a BullMQ flow would tie a parent and its children to one slot).
      const childJobs = children.map((c) => payload(c.model, c.messages));
      const parentJob = payload(parent.model, parent.messages);
      const parentId = modelCallJobId(requestId, parentJob.callIndex);
      await Promise.all([deps.requests.put(record), deps.queues.submitAll(childJobs, deps.events)]);
      const ended = await waiter.wait(childJobs.map((job, i) => ({ jobId: modelCallJobId(requestId, job.callIndex), model: children[i]!.model, ensure: submitter(job) })));
      const outcomes = await Promise.all(ended.map((o, i) => orElse(o, children[i]!.messages)));
      const messages = composeMessages(parent.messages, parent.compose, outcomes);
      if (!messages) {
        return { children: outcomes, parent: { jobId: parentId, model: parent.model, error: { code: 'provider_error', message: 'No model answered, so there is nothing to synthesise', retryable: false } } };
      }
      parentJob.messages = messages;
      void deps.events.publish({ type: 'progress', stage: 'synthesizing', requestId, jobId: parentId, model: parent.model, ts: Date.now() }).catch(() => undefined);
      const submitParent = submitter(parentJob);
      await submitParent();
      const [parentOutcome] = await waiter.wait([{ jobId: parentId, model: parent.model, ensure: submitParent }]);
      return { children: outcomes, parent: await orElse(parentOutcome!, messages) };
    },
    progress,
  };
}
