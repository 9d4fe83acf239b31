import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '@orch/config';
import type { StoredRequestEvent } from '@orch/contracts';
import { Ledger } from '@orch/ledger';
import { ProviderQueues, RequestEvents } from '@orch/queue';
import { spawnService, startFakeProvider, startRedis, waitFor, type FakeProvider, type RedisServerHandle, type ServiceProcess } from '@orch/testing';

const MAIN = join(__dirname, '..', 'dist', 'main.js');
const messages = [{ role: 'user' as const, content: 'Design a rate limiter' }];

describe('worker-openai as separate processes', () => {
  let redis: RedisServerHandle;
  let oa: FakeProvider;
  let env: Record<string, string>;
  let config: Config;
  let conn: Redis;
  let blocking: Redis;
  let queues: ProviderQueues;
  let events: RequestEvents;
  const procs: ServiceProcess[] = [];
  let seq = 0;

  beforeAll(async () => {
    redis = await startRedis();
    oa = await startFakeProvider({ flavor: 'openai', apiKey: 'oa-key' });
  });
  afterAll(async () => {
    await oa.stop();
    await redis.stop();
  });
  beforeEach(() => {
    oa.reset();
    env = {
      REDIS_URL: redis.url,
      OPENAI_BASE_URL: oa.baseURL,
      OPENAI_API_KEY: 'oa-key',
      WORKER_METRICS_PORT: '0',
      WORKER_CONCURRENCY: '2',
      WORKER_LOCK_DURATION_MS: '1000',
      WORKER_STALLED_INTERVAL_MS: '500',
      ORCH_QUEUE_PREFIX: `p${++seq}`,
      ORCH_CONFIG: '',
    };
    config = loadConfig({ cwd: '/nonexistent', env });
    conn = new Redis(redis.url);
    blocking = new Redis(redis.url);
    queues = new ProviderQueues({ config, connection: conn });
    events = new RequestEvents({ redis: conn, ttlSeconds: 600 });
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
    await queues.close();
    conn.disconnect();
    blocking.disconnect();
  });

  async function start(extra: Record<string, string> = {}) {
    const p = await spawnService({ script: MAIN, env: { ...env, ...extra }, readyText: 'provider worker started' });
    procs.push(p);
    return p;
  }

  async function terminal(requestId: string, timeoutMs = 20_000): Promise<StoredRequestEvent> {
    for await (const e of events.follow(requestId, { blockingRedis: blocking, timeoutMs, blockMs: 200 })) {
      if (e.type === 'result' || (e.type === 'error' && e.final)) return e;
    }
    throw new Error(`no terminal event for ${requestId}`);
  }

  it('two worker processes share the jobs of one queue', async () => {
    const [a, b] = [await start(), await start()];
    oa.setBehaviour({ latencyMs: 150 });
    const ids = Array.from({ length: 12 }, (_, i) => `share${seq}x${i}`);
    await Promise.all(ids.map((requestId) => queues.submit({ requestId, model: 'o3_architect', messages }, events)));
    const results = await Promise.all(ids.map((id) => terminal(id)));
    const byWorker = new Map<string, number>();
    for (const r of results) {
      expect(r.type).toBe('result');
      if (r.type === 'result') byWorker.set(r.result.worker!, (byWorker.get(r.result.worker!) ?? 0) + 1);
    }
    const pids = [...byWorker.keys()].map((w) => Number(w.split('/').pop()));
    expect(pids.sort()).toEqual([a.pid, b.pid].sort());
  });

  it('a job whose worker is SIGKILLed mid-call completes on the other worker, and both provider calls are booked', async () => {
    // The spend lease outlives the job lock (as by default): the rerun reserves before the dead
    // worker's reservation is reaped, and must not be mistaken for it.
    // Locks of 3 s (not the suite's 1 s): on a loaded machine a 1 s lock can lapse while its worker
    // lives, and a job stalled twice is failed by BullMQ without an event.
    const lease = { LEDGER_LEASE_MS: '6000', LEDGER_REAP_INTERVAL_MS: '200', WORKER_LOCK_DURATION_MS: '3000', WORKER_STALLED_INTERVAL_MS: '1000' };
    const a = await start(lease);
    // A long call (about 20 s): it is still running when b is up and a is killed, however slow
    // the machine; b's run is made instant after the kill.
    oa.setBehaviour({ completionTokens: 600, tokensPerSecond: 30 });
    const requestId = `kill${seq}`;
    await queues.submit({ requestId, model: 'o3_architect', messages }, events);
    await oa.waitForRequest();
    const b = await start(lease);
    a.child.kill('SIGKILL');
    await a.exited;
    oa.setBehaviour({ tokensPerSecond: 0 });
    const done = await terminal(requestId);
    expect(done).toMatchObject({ type: 'result' });
    if (done.type === 'result') expect(done.result.worker).toMatch(new RegExp(`/${b.pid}$`));
    expect(oa.requests.length).toBe(2);
    // Issue 13.2: the provider was sent two calls and may bill both. The rerun is booked at its cost,
    // the killed call at its reservation once its lease lapses: booked >= billed.
    const ledger = new Ledger({ redis: conn, limits: config.limits, keyPrefix: config.ledger.keyPrefix });
    const cost = done.type === 'result' ? done.result.costUsd : 0;
    const spend = await waitFor(async () => {
      const s = await ledger.requestSpend(requestId);
      return s.reservedUsd === 0 && s.spentUsd > cost ? s : undefined;
    }, { timeoutMs: 10_000, what: 'both calls booked' });
    expect(spend.spentUsd).toBeGreaterThan(2 * cost);
  });

  it('an answered call is not sent again when Redis is away while the worker books it (issue 13.2)', async () => {
    // Its own Redis, on disk, to stop and start again on the same port and data.
    const dir = mkdtempSync(join(tmpdir(), 'orch-blip-'));
    let own = await startRedis({ appendOnly: true, dir });
    // Locks outlast the outage here (as the defaults do a short blip): this is about the booking.
    const ownEnv = { ...env, REDIS_URL: own.url, WORKER_LOCK_DURATION_MS: '30000', WORKER_STALLED_INTERVAL_MS: '15000' };
    const ownConfig = loadConfig({ cwd: '/nonexistent', env: ownEnv });
    const ownConn = new Redis(own.url, { maxRetriesPerRequest: null });
    const ownQueues = new ProviderQueues({ config: ownConfig, connection: ownConn });
    // Redis is stopped on purpose below: its connection errors are expected.
    for (const q of Object.values(ownQueues.byKey)) q.on('error', () => undefined);
    const p = await spawnService({ script: MAIN, env: ownEnv, readyText: 'provider worker started' });
    procs.push(p);
    try {
      oa.setBehaviour({ completionTokens: 40, tokensPerSecond: 20 }); // about 2 s
      const requestId = `blip${seq}`;
      await ownQueues.submit({ requestId, model: 'o3_architect', messages });
      await oa.waitForRequest();
      // Redis goes away while the answer streams in; the worker gets it, and cannot book it yet.
      own.process.kill('SIGKILL');
      await new Promise((r) => own.process.once('exit', r));
      await waitFor(() => oa.requests[0]?.finished, { timeoutMs: 10_000, what: 'the answer' });
      // The worker tried to book it and could not (it keeps the answer; before the fix it failed the call).
      await waitFor(() => /could not book the call|model call failed/.test(p.output().stdout + p.output().stderr), { timeoutMs: 10_000, what: 'a failed booking' });
      own = await startRedis({ appendOnly: true, dir, port: own.port });
      // Read the job once it is completed (a job read while active has no return value yet).
      const queue = ownQueues.queueForModel('o3_architect');
      const job = await waitFor(async () => ((await queue.getJobState(`${requestId}.0`)) === 'completed' ? queue.getJob(`${requestId}.0`) : undefined), {
        timeoutMs: 20_000,
        what: 'the job completed',
      });
      expect(job.returnvalue).toMatchObject({ requestId, worker: expect.stringMatching(new RegExp(`/${p.pid}$`)) });
      expect(oa.requests).toHaveLength(1);
      // And it was booked at its cost once Redis was back: not left reserved (and later booked at
      // its worst-case estimate when the lease lapsed).
      const ledger = new Ledger({ redis: ownConn, limits: ownConfig.limits, keyPrefix: ownConfig.ledger.keyPrefix });
      const spend = await ledger.requestSpend(requestId);
      expect(spend.reservedUsd).toBe(0);
      expect(spend.spentUsd).toBeCloseTo((job.returnvalue as { costUsd: number }).costUsd, 6);
    } finally {
      await ownQueues.close();
      ownConn.disconnect();
      await own.stop();
    }
  });

  it('SIGTERM lets the active job finish, then the process exits', async () => {
    const a = await start();
    oa.setBehaviour({ completionTokens: 30, tokensPerSecond: 40 }); // about 0.75 s
    const requestId = `term${seq}`;
    await queues.submit({ requestId, model: 'o3_architect', messages }, events);
    await oa.waitForRequest();
    a.child.kill('SIGTERM');
    const done = await terminal(requestId);
    expect(done).toMatchObject({ type: 'result' });
    if (done.type === 'result') expect(done.result.worker).toMatch(new RegExp(`/${a.pid}$`));
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(oa.requests.length).toBe(1);
    expect(oa.requests[0]!.aborted).toBe(false);
  });

  it('SIGTERM hands a job that outlasts the grace period back to the queue', async () => {
    // Long locks here: on a loaded machine a 1 s lock can lapse between renewals, and a stalled
    // job runs twice; this test is about the hand-back, not about stall recovery.
    const locks = { WORKER_LOCK_DURATION_MS: '15000', WORKER_STALLED_INTERVAL_MS: '5000' };
    const a = await start({ ...locks, WORKER_SHUTDOWN_TIMEOUT_MS: '300', WORKER_CONCURRENCY: '1' });
    const b = await start({ ...locks, WORKER_CONCURRENCY: '1' });
    // Keep b busy so the long job lands on a.
    oa.setBehaviour({ completionTokens: 100, tokensPerSecond: 40 }); // 2.5 s
    await queues.submit({ requestId: `busy${seq}`, model: 'o3_architect', messages }, events);
    await queues.submit({ requestId: `long${seq}`, model: 'o3_architect', messages }, events);
    await waitFor(() => oa.requests.length >= 2, { what: 'both calls started' });
    a.child.kill('SIGTERM');
    expect((await a.exited).code).toBe(0);
    oa.setBehaviour({ tokensPerSecond: 0 });
    const [busy, long] = await Promise.all([terminal(`busy${seq}`), terminal(`long${seq}`)]);
    for (const done of [busy, long]) {
      expect(done.type).toBe('result');
      if (done.type === 'result') expect(done.result.worker).toMatch(new RegExp(`/${b.pid}$`));
    }
    expect(oa.requests.filter((r) => r.aborted)).toHaveLength(1);
    expect(oa.requests).toHaveLength(3);
  });

  it('a bad config value stops the process at start with a message naming it', async () => {
    const proc = await spawnService({ script: MAIN, env: { ...env, MCP_DAILY_LIMIT: 'lots', WORKER_CONCURRENCY: '0', REDIS_URL: 'localhost:6379' } });
    procs.push(proc);
    const { code } = await proc.exited;
    const stderr = proc.output().stderr;
    expect(code).toBe(1);
    expect(stderr).toContain('MCP_DAILY_LIMIT');
    expect(stderr).toContain('WORKER_CONCURRENCY');
    expect(stderr).toContain('REDIS_URL');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
