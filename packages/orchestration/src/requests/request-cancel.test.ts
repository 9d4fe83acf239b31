import { Redis } from 'ioredis';
import { PassThrough } from 'node:stream';
import { RequestEvents, requestKeys } from '@orch/queue';
import { createLogger } from '@orch/logging';
import { startRedis, type RedisServerHandle } from '@orch/testing';
import { cancelRunning, type RequestCancelDeps } from './request-cancel';
import { RequestStore, type RequestRecord } from './request-store';
import type { OneCallRequests } from './one-call';
import type { RequestDriver } from './request-driver';
import { endAtLeaseRead } from './end-race.test-helper';

/**
 * Cancelling a driven request whose driver is gone: the door writes its end, in the one step every
 * end takes (the record and `done`, only while it still runs). Before, it wrote the record alone:
 * followers were told no end, and a request its driver ended between the record's read and the
 * lease's (its end drops the lease) had its answered record overwritten as cancelled.
 */
describe('cancelRunning: a driven request without a live driver', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let events: RequestEvents;
  let requests: RequestStore;
  let deps: RequestCancelDeps;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    events = new RequestEvents({ redis, ttlSeconds: 120 });
    requests = new RequestStore({ redis, events, ttlSeconds: 120 });
    deps = {
      redis,
      markTtlSeconds: 120,
      requests,
      driver: { cancelLocal: async () => false } as unknown as RequestDriver,
      oneCall: {} as OneCallRequests,
      waitForDone: async () => undefined,
      logger: createLogger({ service: 'test', stream: new PassThrough(), level: 'error' }),
    };
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  const running = (id: string): RequestRecord => ({ requestId: id, tool: 'orchestrate_task', callerId: 'c1', status: 'running', createdAt: new Date().toISOString(), updatedAt: '', jobs: {} });

  it('ends one whose driver stopped: its record and a `done` its followers are told', async () => {
    await requests.create(running('gone'));
    expect(await cancelRunning(deps, running('gone'))).toEqual({ request_id: 'gone', status: 'cancelled', cancelled: true });
    expect(await requests.get('gone')).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    const ends = (await events.read('gone')).filter((e) => e.type === 'done');
    expect(ends).toMatchObject([{ type: 'done', status: 'cancelled', error: { code: 'cancelled' } }]);
  });

  it('leaves one its driver ended after the record was read as it ended', async () => {
    await requests.create(running('answered'));
    await requests.holdDriver('answered', 'door-1');
    const spy = endAtLeaseRead(requests, events, running('answered'));
    try {
      expect(await cancelRunning(deps, running('answered'))).toEqual({ request_id: 'answered', status: 'completed', cancelled: false });
    } finally {
      spy.mockRestore();
    }
    expect(await requests.get('answered')).toMatchObject({ status: 'completed' });
    expect((await events.read('answered')).filter((e) => e.type === 'done')).toMatchObject([{ status: 'completed' }]);
    expect(await redis.exists(requestKeys('answered').driver)).toBe(0);
  });
});
