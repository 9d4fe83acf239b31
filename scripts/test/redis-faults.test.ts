import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_KEYS, acceptDrillCalls, billedAndBooked, drillResults, freePort, spawnApp, startFakeProvider, startRedis, waitFor, type FakeProvider, type RedisServerHandle, type ServiceProcess } from '@orch/testing';

/**
 * Issue 13 drills: Redis dies under the whole stack (real redis-server with AOF, real worker and
 * front-door processes, fake providers that record what they bill) and comes back on the same
 * data. Every accepted request completes with its full result, readable from another front door;
 * followers get `done`; the ledger books at least what the providers billed, never more than the
 * limits, and holds no reservation once the calls have ended.
 */
describe('the whole stack through Redis faults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orch-drill-'));
  let redis: RedisServerHandle;
  let or: FakeProvider;
  let oa: FakeProvider;
  const procs: ServiceProcess[] = [];
  const doors: string[] = [];
  const DAILY_LIMIT = 50;

  beforeAll(async () => {
    redis = await startRedis({ appendOnly: true, dir });
    or = await startFakeProvider({ flavor: 'openrouter', apiKey: FAKE_KEYS.openrouter });
    // The fake OpenAI bills o3 at the config's prices, so what it bills can be summed.
    oa = await startFakeProvider({ flavor: 'openai', apiKey: FAKE_KEYS.openai, prices: { o3: { input: 2, output: 8, cachedInput: 0.5 } } });
    const env = {
      REDIS_URL: redis.url,
      OPENROUTER_BASE_URL: or.baseURL,
      OPENROUTER_API_KEY: FAKE_KEYS.openrouter,
      OPENAI_BASE_URL: oa.baseURL,
      OPENAI_API_KEY: FAKE_KEYS.openai,
      WORKER_METRICS_PORT: '0',
      ORCH_RATE_LIMIT: '0',
      MCP_DAILY_LIMIT: String(DAILY_LIMIT),
      LEDGER_REAP_INTERVAL_MS: '500',
    };
    procs.push(await spawnApp('worker-openai', env), await spawnApp('worker-openrouter', env));
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      procs.push(await spawnApp('rest-bridge', { ...env, REST_PORT: String(port) }));
      doors.push(`http://127.0.0.1:${port}`);
    }
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await Promise.all([or.stop(), oa.stop()]);
    await redis.stop();
  });

  const post = (base: string, tool: string, body: unknown, signal?: AbortSignal) =>
    fetch(`${base}/mcp/${tool}?wait=false`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });

  /** Starts `n` single-model calls and `councils` councils on the first door; returns their ids. */
  const accept = (n: number, councils: number) => acceptDrillCalls(doors[0]!, n, councils);

  async function killRedis(): Promise<void> {
    redis.process.kill('SIGKILL');
    await new Promise((r) => redis.process.once('exit', r));
  }

  /** Every request completed with its answers, read from the second door, and its followers got `done`. */
  async function expectAllCompleted(ids: string[]): Promise<void> {
    for (const { id, status, output } of await drillResults(doors[1]!, ids)) {
      expect({ id, status }).toEqual({ id, status: 'completed' });
      if (output.tool === 'orchestrate_task') {
        expect(output.answers).toHaveLength(2);
        expect(output.synthesis?.text).toBeTruthy();
      } else {
        expect(output.answers[0]?.text).toBeTruthy();
      }
      const events = await (await fetch(`${doors[1]}/requests/${id}/events`, { signal: AbortSignal.timeout(10_000) })).text();
      expect(events).toContain('event: done');
    }
  }

  /**
   * Booked ≥ billed (every generation the fakes recorded), within the limit, nothing held — and not
   * far above what was billed: a call booked at its worst-case reservation (as when its settle was
   * lost) books many times its cost.
   */
  async function expectSpendTruth(): Promise<void> {
    const { billed, booked } = await billedAndBooked(doors[1]!, [or, oa]);
    expect(billed).toBeGreaterThan(0);
    expect(booked).toBeGreaterThanOrEqual(billed - 1e-9);
    expect(booked).toBeLessThanOrEqual(Math.min(DAILY_LIMIT, billed * 1.5));
  }

  /** No worker or door died on the way (a door that crashed leaves its requests to the other one, unseen). */
  function expectAllAlive(): void {
    const dead = procs.filter((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    expect(dead.map((p) => `exited ${p.child.exitCode ?? p.child.signalCode}: ${p.output().stderr.slice(-600)}`)).toEqual([]);
  }

  it('kill -9 of Redis during councils and calls, restarted on its AOF: every request completes, booked >= billed', async () => {
    or.setBehaviour({ completionTokens: 60, tokensPerSecond: 20 }); // about 3 s per call
    oa.setBehaviour({ completionTokens: 60, tokensPerSecond: 20 });
    const ids = await accept(6, 2);
    await waitFor(() => or.requests.length + oa.requests.length >= 6, { timeoutMs: 15_000, what: 'calls under way' });
    await killRedis();
    redis = await startRedis({ appendOnly: true, dir, port: redis.port });
    await expectAllCompleted(ids);
    await expectSpendTruth();
    expectAllAlive();
  }, 180_000);

  it('Redis down 20 s under load: callers get 503 at once meanwhile; afterwards every accepted request completes, booked >= billed', async () => {
    // The first drill's spend stays in the ledger (same day), and its generations in the fakes.
    const before = or.requests.length + oa.requests.length;
    or.setBehaviour({ completionTokens: 100, tokensPerSecond: 20 }); // about 5 s per call
    oa.setBehaviour({ completionTokens: 100, tokensPerSecond: 20 });
    const ids = await accept(16, 2);
    // All that can start (8 per worker) have started: no reservation is on its way when Redis dies.
    await waitFor(() => or.requests.length + oa.requests.length >= before + 16, { timeoutMs: 20_000, what: 'calls under way' });
    await killRedis();
    const downAt = Date.now();
    // While Redis is away: a new call and a read are refused at once, retryable, with Retry-After.
    for (const base of doors) {
      const res = await waitFor(
        async () => {
          const r = await post(base, 'query_specific_model', { model: 'gemini_pro', description: 'During the outage' }, AbortSignal.timeout(5_000));
          return r.status === 503 ? r : undefined;
        },
        { timeoutMs: 10_000, what: '503 during the outage' },
      );
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(await res.json()).toMatchObject({ error: { code: 'unavailable', retryable: true } });
      const t0 = Date.now();
      expect((await fetch(`${base}/requests/${ids[0]}`, { signal: AbortSignal.timeout(5_000) })).status).toBe(503);
      expect(Date.now() - t0).toBeLessThan(2_000);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - downAt))));
    redis = await startRedis({ appendOnly: true, dir, port: redis.port });
    const back = Date.now();
    await waitFor(
      async () => {
        const res = await fetch(`${doors[1]}/requests`, { signal: AbortSignal.timeout(5_000) });
        // Thrown, so a timeout names the last answer, not an older failure.
        if (res.status !== 200) throw new Error(`${res.status} ${await res.text()} at ${Date.now() - back} ms`);
        return true;
      },
      { timeoutMs: 10_000, what: 'serving again' },
    );
    expect(Date.now() - back).toBeLessThan(5_000);
    await expectAllCompleted(ids);
    // Each call reached its provider once (16 calls, 2 councils of 3): the calls answered while
    // Redis was away lost their job locks and ran again, and those runs returned the kept answers.
    expect(or.requests.length + oa.requests.length - before).toBe(16 + 2 * 3);
    await expectSpendTruth();
    expectAllAlive();
  }, 240_000);
});
