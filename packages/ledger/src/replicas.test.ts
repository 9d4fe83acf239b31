import { Redis } from 'ioredis';
import { startRedis, type RedisServerHandle } from '@orch/testing';
import { Ledger } from './ledger';
import { waitForReplicas } from './replicas';

/**
 * Issue 28.3: with REDIS_WAIT_REPLICAS a fresh reservation resolves only once a replica holds it,
 * so a failover cannot lose it (the call is then booked: settled, or reaped at its worst case).
 */
describe('a reservation waits for replicas (Redis WAIT)', () => {
  let master: RedisServerHandle;
  let replica: RedisServerHandle;
  let redis: Redis;
  let onReplica: Redis;

  beforeAll(async () => {
    master = await startRedis();
    replica = await startRedis({ extraArgs: ['--repl-diskless-sync-delay', '0', '--replicaof', '127.0.0.1', String(master.port)] });
    redis = new Redis(master.url);
    onReplica = new Redis(replica.url);
    // Synced: the master counts one replica.
    for (let i = 0; i < 400 && !/state=online/.test(await redis.info('replication')); i++) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    redis.disconnect();
    onReplica.disconnect();
    await Promise.all([replica.stop(), master.stop()]);
  });

  const ledger = (count: number, onShort?: () => void) =>
    new Ledger({
      redis,
      limits: { maxCostPerRequest: 5, dailyLimit: 100, warningThreshold: 0.8, timeZone: 'UTC' },
      keyPrefix: '{ledger-r}',
      replicas: { count, timeoutMs: 2000, ...(onShort ? { onShort } : {}) },
    });

  it('resolves once the replica holds the reservation: it can be read there at once', async () => {
    const res = await ledger(1).reserve({ jobId: 'j1', attempt: 1, requestId: 'r1', model: 'm', provider: 'p', estimateUsd: 0.5 });
    // Without the wait, a read on the replica right after may find nothing yet.
    expect(await onReplica.exists(`{ledger-r}:res:${res.member}`)).toBe(1);
  });

  it('a wait that runs out (more replicas asked than exist) is reported, and the reservation stands', async () => {
    const short: unknown[] = [];
    const res = await new Ledger({
      redis,
      limits: { maxCostPerRequest: 5, dailyLimit: 100, warningThreshold: 0.8, timeZone: 'UTC' },
      keyPrefix: '{ledger-r}',
      replicas: { count: 2, timeoutMs: 100, onShort: (i) => short.push(i) },
    }).reserve({ jobId: 'j2', attempt: 1, requestId: 'r1', model: 'm', provider: 'p', estimateUsd: 0.5 });
    expect(short).toEqual([{ key: '{ledger-r}:leases', acked: 1, wanted: 2 }]);
    expect(res.fresh).toBe(true);
  });

  it('waits for nothing when no replicas are asked for', async () => {
    expect(await waitForReplicas(redis, 'any', { count: 0, timeoutMs: 10 })).toBe(0);
    expect(await waitForReplicas(redis, 'any', undefined)).toBe(0);
  });
});
