import { RequestRecordSchema, answerTotals, callAnswer, readRecord, type DoneEvent, type ErrorInfo, type ModelCallResult, type ModelToolOutput, type RequestEvent, type RequestRecord } from '@orch/contracts';
import type { RequestEvents } from './events';
import { requestKeys } from './keys';
import type { RedisClient } from './redis';

export interface OneCallEndOptions {
  /** How long the ended record is kept. */
  recordTtlSeconds: number;
  /** The call's `result` event, appended in the same step just before `done` (the worker that answered: it is not published on its own). */
  publish?: RequestEvent;
  /** The record as the worker read it when its call started (the end's step still checks that the request runs); undefined: read now. */
  stored?: string | null;
}

/** How a request of one call ended: its call's answer, or the error that ended it (a cancel's too). */
export type OneCallEnd = { result: ModelCallResult } | { error: ErrorInfo; status: 'failed' | 'cancelled' };

/**
 * The end of a request of one model call that no driver waits for (its record's `endsWith`): written
 * by the worker that ended the call, or by the door that cancelled the request. One atomic step
 * (RequestEvents.finish): the first end written stands, a later one writes nothing. Returns false when
 * the request had already ended (or its record is gone).
 */
export async function endOneCallRequest(redis: RedisClient, events: RequestEvents, requestId: string, end: OneCallEnd, opts: OneCallEndOptions): Promise<boolean> {
  const { recordTtlSeconds, publish, stored } = opts;
  const record = readRecord(RequestRecordSchema, stored !== undefined ? stored : await redis.get(requestKeys(requestId).meta));
  if (!record || record.status !== 'running') return false;
  const output = oneCallOutput(record, end);
  const ended: RequestRecord = { ...record, status: output.status, output, jobs: {}, updatedAt: new Date().toISOString(), ...(output.error ? { error: output.error } : {}) };
  const done = { type: 'done' as const, requestId, status: output.status as 'completed' | 'failed' | 'cancelled', ts: Date.now(), ...(output.error ? { error: output.error } : {}) };
  return (await events.finish(done, JSON.stringify(ended), recordTtlSeconds, publish)) !== undefined;
}

/** The tool output of a one-call request: what a driver's strategy would have made of the same end. */
export function oneCallOutput(record: RequestRecord, end: OneCallEnd): ModelToolOutput {
  const answers = 'result' in end ? [callAnswer(end.result, 1)] : [];
  const model = 'result' in end ? end.result.model : (Object.values(record.jobs)[0] ?? 'unknown');
  return {
    request_id: record.requestId,
    tool: record.tool,
    status: 'result' in end ? 'completed' : end.status,
    ...(record.strategy ? { strategy: record.strategy } : {}),
    answers,
    failures: 'error' in end && end.status === 'failed' ? [{ model, round: 1, error: end.error }] : [],
    // A one-call request is never a continued conversation: its thread is its own id.
    continuation_id: record.requestId,
    totals: answerTotals(answers, answers),
    ...('error' in end ? { error: end.error } : {}),
  };
}

/**
 * A one-call request's output as its followers were told its end — its `done`, and its call's
 * `result` (by job id) when it completed — the same as its worker stored in its record; undefined
 * when they were not told all of it (an end written without the result: read the record).
 */
export function toldOneCallOutput(record: RequestRecord, done: DoneEvent, results: ReadonlyMap<string, ModelCallResult>): ModelToolOutput | undefined {
  if (!record.endsWith) return undefined;
  if (done.status === 'completed') {
    const result = results.get(record.endsWith);
    return result && oneCallOutput(record, { result });
  }
  return done.error && (done.status === 'failed' || done.status === 'cancelled') ? oneCallOutput(record, { error: done.error, status: done.status }) : undefined;
}
