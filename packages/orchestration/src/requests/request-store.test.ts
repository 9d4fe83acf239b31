import { Redis } from 'ioredis';
import { startRedis, type RedisServerHandle } from '@orch/testing';
import { RequestEvents, callerKeys } from '@orch/queue';
import { RequestStore, type RequestRecord } from './request-store';

/** A caller's request index, trimmed now and then rather than on every create (issue 29). */
describe('RequestStore: a caller\'s request index', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  const record = (id: string, createdAt: Date, callerId = 'c1'): RequestRecord => ({ requestId: id, tool: 'query_specific_model', callerId, status: 'completed', createdAt: createdAt.toISOString(), updatedAt: '', jobs: {} });

  it('lists and counts the newest `keepPerCaller`, however many creates left untrimmed', async () => {
    const store = new RequestStore({ redis, events: new RequestEvents({ redis, ttlSeconds: 3600 }), ttlSeconds: 3600, keepPerCaller: 3 });
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 40; i++) await store.create(record(`r${String(i).padStart(2, '0')}`, new Date(t0 + i * 1000)));
    expect(await store.countForCaller('c1')).toBe(3);
    expect((await store.listForCaller('c1', 10)).map((r) => r.requestId)).toEqual(['r39', 'r38', 'r37']);
    expect(await redis.ttl(callerKeys('c1').requests)).toBeGreaterThan(3500);
  });

  it('drops entries older than the retention before it counts', async () => {
    const store = new RequestStore({ redis, events: new RequestEvents({ redis, ttlSeconds: 60 }), ttlSeconds: 60, keepPerCaller: 100 });
    await store.create(record('old', new Date(Date.now() - 120_000), 'c2'));
    await store.create(record('new', new Date(), 'c2'));
    expect(await store.countForCaller('c2')).toBe(1);
    expect((await store.listForCaller('c2', 10)).map((r) => r.requestId)).toEqual(['new']);
  });
});
