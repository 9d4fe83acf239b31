import { PassThrough } from 'node:stream';
import { requestKeys } from '@orch/queue';
import { createLogger } from '@orch/logging';
import { cancelRunning, type RequestCancelDeps } from './request-cancel';
import type { OneCallRequests } from './one-call';
import type { RequestDriver } from './request-driver';
import { endAtLeaseRead, requestStoreOnRedis, runningRecord } from './request-fixtures.test-helper';

/**
 * Cancelling a driven request whose driver is gone: the door writes its end, in the one step every
 * end takes (the record and `done`, only while it still runs). Before, it wrote the record alone:
 * followers were told no end, and a request its driver ended between the record's read and the
 * lease's (its end drops the lease) had its answered record overwritten as cancelled.
 */
describe('cancelRunning: a driven request without a live driver', () => {
  const store = requestStoreOnRedis();
  const deps = (): RequestCancelDeps => ({
    redis: store.redis,
    markTtlSeconds: 120,
    requests: store.requests,
    driver: { cancelLocal: async () => false } as unknown as RequestDriver,
    oneCall: {} as OneCallRequests,
    waitForDone: async () => undefined,
    logger: createLogger({ service: 'test', stream: new PassThrough(), level: 'error' }),
  });

  it('ends one whose driver stopped: its record and a `done` its followers are told', async () => {
    const { requests, events } = store;
    await requests.create(runningRecord('gone'));
    expect(await cancelRunning(deps(), runningRecord('gone'))).toEqual({ request_id: 'gone', status: 'cancelled', cancelled: true });
    expect(await requests.get('gone')).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    const ends = (await events.read('gone')).filter((e) => e.type === 'done');
    expect(ends).toMatchObject([{ type: 'done', status: 'cancelled', error: { code: 'cancelled' } }]);
  });

  it('leaves one its driver ended after the record was read as it ended', async () => {
    const { requests, events, redis } = store;
    await requests.create(runningRecord('answered'));
    await requests.holdDriver('answered', 'door-1');
    const spy = endAtLeaseRead(requests, events, runningRecord('answered'));
    try {
      expect(await cancelRunning(deps(), runningRecord('answered'))).toEqual({ request_id: 'answered', status: 'completed', cancelled: false });
    } finally {
      spy.mockRestore();
    }
    expect(await requests.get('answered')).toMatchObject({ status: 'completed' });
    expect((await events.read('answered')).filter((e) => e.type === 'done')).toMatchObject([{ status: 'completed' }]);
    expect(await redis.exists(requestKeys('answered').driver)).toBe(0);
  });
});
