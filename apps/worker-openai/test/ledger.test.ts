import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig, resolveModel, type Config } from '@orch/config';
import { Ledger, worstCaseCost } from '@orch/ledger';
import { ProviderQueues, RequestEvents } from '@orch/queue';
import { spawnService, startFakeProvider, startRedis, waitFor, type FakeProvider, type RedisServerHandle, type ServiceProcess } from '@orch/testing';

const WORKER_OPENAI = join(__dirname, '..', 'dist', 'main.js');
const WORKER_OPENROUTER = join(__dirname, '..', '..', 'worker-openrouter', 'dist', 'main.js');
const messages = [{ role: 'user' as const, content: 'Estimate the blast radius of this migration.' }];

describe('spend ledger across worker processes', () => {
  let redis: RedisServerHandle;
  let oa: FakeProvider;
  let conn: Redis;
  const procs: ServiceProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    oa = await startFakeProvider({ flavor: 'openai', apiKey: 'oa-key' });
    conn = new Redis(redis.url);
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await conn.flushall();
    oa.reset();
  });
  afterAll(async () => {
    conn.disconnect();
    await oa.stop();
    await redis.stop();
  });

  const baseEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    REDIS_URL: redis.url,
    OPENAI_BASE_URL: oa.baseURL,
    OPENAI_API_KEY: 'oa-key',
    OPENROUTER_API_KEY: 'unused',
    WORKER_METRICS_PORT: '0',
    ...extra,
  });
  const ledgerFor = (config: Config) => new Ledger({ redis: conn, limits: config.limits, keyPrefix: config.ledger.keyPrefix });

  it('200 concurrent calls from 3 workers: exactly the calls that fit run, the rest are refused, no overshoot', async () => {
    // All 200 reserve at once (the load guard could hold some back until others have settled, below their worst case).
    const env = baseEnv({ WORKER_CONCURRENCY: '70', WORKER_LOAD_GUARD: 'false', MCP_MAX_COST_PER_REQUEST: '5' });
    const config0 = loadConfig({ cwd: '/nonexistent', env });
    const estimate = worstCaseCost(resolveModel(config0, 'o3_architect'), messages, 1000).usd;
    const fits = 50;
    // A limit that fits exactly `fits` worst cases, plus half of one more.
    env.MCP_DAILY_LIMIT = String(Math.ceil(estimate * (fits + 0.5) * 1e9) / 1e9);
    const config = loadConfig({ cwd: '/nonexistent', env });
    oa.setBehaviour({ latencyMs: 3000, completionTokens: 200, reasoningTokens: 600 });
    for (let i = 0; i < 3; i++) procs.push(await spawnService({ script: WORKER_OPENAI, env, readyText: 'provider worker started' }));

    const queues = new ProviderQueues({ config, connection: conn });
    const events = new RequestEvents({ redis: conn, ttlSeconds: 600 });
    try {
      const ids = Array.from({ length: 200 }, (_, i) => `race${i}`);
      await Promise.all(ids.map((requestId) => queues.submit({ requestId, model: 'o3_architect', messages, maxOutputTokens: 1000 })));
      // Read every request's stream until each has its terminal event.
      const outcomes = await waitFor(
        async () => {
          const all = await Promise.all(
            ids.map(async (id) => {
              const e = (await events.read(id)).find((x) => x.type === 'result' || (x.type === 'error' && x.final));
              return e?.type === 'result' ? 'ok' : e?.type === 'error' ? e.error.code : undefined;
            }),
          );
          return all.every(Boolean) ? (all as string[]) : undefined;
        },
        { timeoutMs: 40_000, intervalMs: 250, what: 'all 200 calls to finish' },
      );
      const count = (o: string) => outcomes.filter((x) => x === o).length;
      expect({ ok: count('ok'), refused: count('budget_exceeded') }).toEqual({ ok: fits, refused: 200 - fits });
      expect(oa.requests).toHaveLength(fits);

      const report = await ledgerFor(config).report();
      expect(report.reservedUsd).toBe(0);
      expect(report.spentUsd).toBeLessThanOrEqual(config.limits.dailyLimit);
      expect(report.calls).toBe(fits);
      const perRequest = Object.values(report.byRequest).reduce((a, b) => a + b, 0);
      expect(Math.round(perRequest * 100)).toBe(Math.round(report.spentUsd * 100));
      expect(Object.keys(report.byRequest)).toHaveLength(fits);
    } finally {
      await queues.close();
    }
  }, 60_000);

  it('a SIGKILLed worker holding a reservation: when its lease ends the call is booked at its reservation (booked >= billed)', async () => {
    const env = baseEnv({ LEDGER_LEASE_MS: '1000', LEDGER_REAP_INTERVAL_MS: '200', WORKER_LOCK_DURATION_MS: '60000' });
    const config = loadConfig({ cwd: '/nonexistent', env });
    const ledger = ledgerFor(config);
    oa.setBehaviour({ latencyMs: 60_000 });
    const a = await spawnService({ script: WORKER_OPENAI, env, readyText: 'provider worker started' });
    procs.push(a);
    // Another process on the other queue: it does not take the job, but its reaper serves the ledger.
    procs.push(await spawnService({ script: WORKER_OPENROUTER, env, readyText: 'provider worker started' }));
    const queues = new ProviderQueues({ config, connection: conn });
    try {
      await queues.submit({ requestId: 'held', model: 'o3_architect', messages });
      await oa.waitForRequest();
      const before = await ledger.report();
      expect(before.reservedUsd).toBeGreaterThan(0);
      // While the worker lives, its heartbeat keeps the lease: nothing is reaped over several leases.
      await new Promise((r) => setTimeout(r, 2500));
      expect((await ledger.report()).reaped).toBe(0);
      a.child.kill('SIGKILL');
      await a.exited;
      const after = await waitFor(async () => {
        const r = await ledger.report();
        return r.reservedUsd === 0 ? r : undefined;
      }, { timeoutMs: 10_000, what: 'reservation reaped' });
      // The provider was sent the call and may bill it: the worst case is booked, marked estimated.
      expect(after).toMatchObject({ reaped: 1, spentUsd: before.reservedUsd, estimatedUsd: before.reservedUsd });
      expect(after.remainingUsd).toBeCloseTo(config.limits.dailyLimit - before.reservedUsd, 9);
      expect(await ledger.requestSpend('held')).toEqual({ spentUsd: before.reservedUsd, reservedUsd: 0 });
    } finally {
      await queues.close();
    }
  });
});
