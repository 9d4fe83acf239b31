import type { CancelOutput } from '@orch/contracts';
import type { Logger } from '@orch/logging';
import { cancelRequest, type RedisClient } from '@orch/queue';
import type { OneCallRequests } from './one-call';
import type { RequestDriver } from './request-driver';
import { CANCELLED } from './request-output';
import type { RequestRecord, RequestStore } from './request-store';

export interface RequestCancelDeps {
  redis: RedisClient;
  /** How long the cancel mark is kept (the request's retention). */
  markTtlSeconds: number;
  requests: RequestStore;
  driver: RequestDriver;
  oneCall: OneCallRequests;
  /** Resolves when the request's `done` arrives or `waitMs` passes. */
  waitForDone: (requestId: string, waitMs: number) => Promise<unknown>;
  logger: Logger;
}

/**
 * Cancels a running request from any front door: the cancel mark (every driver and worker hears it
 * and drops or aborts the request's calls), then its end — written here for a one-call request or
 * one whose driver is gone, by its driver otherwise (waited for a little).
 */
export async function cancelRunning(d: RequestCancelDeps, record: RequestRecord): Promise<CancelOutput> {
  const { requestId } = record;
  if (record.status !== 'running') return { request_id: requestId, status: record.status, cancelled: false };
  await cancelRequest(d.redis, requestId, d.markTtlSeconds);
  // Its worker or driver ended it after the record was read: that end stands.
  const endedFirst = async (): Promise<CancelOutput> => ({ request_id: requestId, status: (await d.requests.get(requestId))?.status ?? record.status, cancelled: false });
  if (record.endsWith) {
    // No driver: the end is written here (its worker's own end then writes nothing), unless its
    // worker ended it first.
    if (!(await d.oneCall.cancel(record))) return endedFirst();
  } else if (!(await d.driver.cancelLocal(requestId))) {
    if (await d.requests.driverAlive(requestId)) {
      // Driven elsewhere: its driver writes the end; wait a little for it.
      await d.waitForDone(requestId, 5_000);
    } else if (!(await d.requests.end({ ...record, status: 'cancelled', error: CANCELLED }, { type: 'done', requestId, status: 'cancelled', error: CANCELLED, ts: Date.now() }))) {
      // Its driver ended it between the record's read and the lease's (an end drops the lease).
      return endedFirst();
    }
  }
  d.logger.info('request cancelled', { requestId });
  return { request_id: requestId, status: 'cancelled', cancelled: true };
}
