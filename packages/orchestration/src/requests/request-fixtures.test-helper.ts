import { Redis } from 'ioredis';
import { RequestEvents } from '@orch/queue';
import { startRedis, type RedisServerHandle } from '@orch/testing';
import { RequestStore, type RequestRecord } from './request-store';

/** A driven request's record (no `endsWith`), running, of caller `c1`. */
export const runningRecord = (id: string): RequestRecord => ({ requestId: id, tool: 'orchestrate_task', callerId: 'c1', status: 'running', createdAt: new Date().toISOString(), updatedAt: '', jobs: {} });

/**
 * A RequestStore and its events on a redis-server of the describe block's own, started before its
 * tests and stopped after them (after `closeFirst`: what else the block opened on it).
 */
export function requestStoreOnRedis(closeFirst?: () => Promise<unknown>) {
  const fixture = {} as { server: RedisServerHandle; redis: Redis; events: RequestEvents; requests: RequestStore };
  beforeAll(async () => {
    fixture.server = await startRedis();
    fixture.redis = new Redis(fixture.server.url);
    fixture.events = new RequestEvents({ redis: fixture.redis, ttlSeconds: 120 });
    fixture.requests = new RequestStore({ redis: fixture.redis, events: fixture.events, ttlSeconds: 120 });
  });
  afterAll(async () => {
    await closeFirst?.();
    fixture.redis.disconnect();
    await fixture.server.stop();
  });
  return fixture;
}

/**
 * Ends a running request (as completed, its lease dropped, in the one step every end takes) the
 * next time its driver's lease is looked at: a reader that found its record running then races its
 * end. Restore the spy when done.
 */
export function endAtLeaseRead(requests: RequestStore, events: RequestEvents, record: RequestRecord): jest.SpyInstance {
  const driverAlive = requests.driverAlive.bind(requests);
  return jest.spyOn(requests, 'driverAlive').mockImplementation(async (id) => {
    if (id === record.requestId) await events.finish({ type: 'done', requestId: id, status: 'completed', ts: Date.now() }, requests.serialize({ ...record, status: 'completed' }), 120);
    return driverAlive(id);
  });
}
