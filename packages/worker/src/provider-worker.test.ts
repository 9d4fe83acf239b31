import type { Cluster, Redis } from 'ioredis';
import { loadConfig, type Config } from '@orch/config';
import type { ModelCallPayloadInput, StoredRequestEvent } from '@orch/contracts';
import { ProviderQueues, RequestEvents, cancelRequest, requestKeys, type ModelCallQueue } from '@orch/queue';
import { createLogger } from '@orch/logging';
import { Ledger } from '@orch/ledger';
import { faults, startFakeStack, waitFor, type FakeProvider, type FakeStack } from '@orch/testing';
import { PassThrough } from 'node:stream';
import { startProviderWorker, type ProviderWorker } from './provider-worker';

/** The job, read again once it reached `state` (fields are loaded when the job is read). */
async function settled(queue: ModelCallQueue, jobId: string, state: 'completed' | 'failed') {
  await waitFor(async () => (await queue.getJobState(jobId)) === state, { what: `job ${jobId} ${state}` });
  return (await queue.getJob(jobId))!;
}

const messages = [{ role: 'user' as const, content: 'Is this schema sound?' }];
let seq = 0;

describe('provider workers against the fake providers', () => {
  let stack: FakeStack;
  let or: FakeProvider;
  let oa: FakeProvider;
  let config: Config;
  let workers: ProviderWorker[];
  let conn: Redis | Cluster;
  let blocking: Redis | Cluster;
  let queues: ProviderQueues;
  let events: RequestEvents;

  beforeAll(async () => {
    stack = await startFakeStack();
    ({ openrouter: or, openai: oa } = stack);
  });
  afterAll(() => stack.stop());

  beforeEach(async () => {
    stack.reset();
    config = loadConfig({
      cwd: '/nonexistent',
      env: stack.env({ WORKER_ATTEMPTS: '3', WORKER_BACKOFF_MS: '200', ORCH_QUEUE_PREFIX: `t${++seq}` }),
    });
    const logger = createLogger({ service: 'test', stream: new PassThrough(), level: 'error' });
    workers = await Promise.all(
      (['openrouter', 'openai'] as const).map((queue) => startProviderWorker({ config, queue, logger, health: { port: 0 } })),
    );
    conn = stack.client();
    blocking = stack.client();
    queues = new ProviderQueues({ config, connection: conn });
    events = new RequestEvents({ redis: conn, ttlSeconds: 600 });
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await queues.close();
    conn.disconnect();
    blocking.disconnect();
  });

  /** Submits one call and collects its events until a result or a final error. */
  async function run(input: Partial<ModelCallPayloadInput> & { model: string }, timeoutMs = 15_000) {
    const requestId = `req${++seq}`;
    const { jobId } = await queues.submit({ requestId, messages, ...input }, events);
    const seen: StoredRequestEvent[] = [];
    for await (const e of events.follow(requestId, { blockingRedis: blocking, timeoutMs, blockMs: 200 })) {
      seen.push(e);
      if (e.type === 'result' || (e.type === 'error' && e.final)) break;
    }
    const last = seen[seen.length - 1];
    if (!last || (last.type !== 'result' && last.type !== 'error')) throw new Error(`no terminal event for ${requestId}: ${JSON.stringify(seen)}`);
    return { requestId, jobId, events: seen, last };
  }

  it('runs an OpenRouter job: result, usage and the provider-reported cost', async () => {
    or.setBehaviour({ completionTokens: 40, reasoningTokens: 100, cachedTokens: 5 });
    const { last, jobId } = await run({ model: 'gemini_pro' });
    expect(last.type).toBe('result');
    if (last.type !== 'result') return;
    const r = last.result;
    const p = r.usage.promptTokens;
    expect(r).toMatchObject({ model: 'gemini_pro', modelId: 'google/gemini-2.5-pro', provider: 'openrouter', costSource: 'provider', attempt: 1 });
    expect(r.usage).toMatchObject({ completionTokens: 140, reasoningTokens: 100, cachedTokens: 5 });
    // To the cent and beyond: (p−5)·1.25 + 5·0.125 + 140·10, per million.
    expect(r.costUsd).toBeCloseTo(((p - 5) * 1.25 + 5 * 0.125 + 140 * 10) / 1e6, 9);
    // The event comes first; BullMQ records the return value right after.
    const job = await settled(queues.byKey.openrouter, jobId, 'completed');
    expect(job.returnvalue).toEqual(r);
  });

  it('runs an OpenAI o3 job with cost computed from tokens × prices', async () => {
    oa.setBehaviour({ completionTokens: 50, reasoningTokens: 2000, cachedTokens: 4 });
    const { last } = await run({ model: 'o3_architect' });
    if (last.type !== 'result') throw new Error(JSON.stringify(last));
    const r = last.result;
    const p = r.usage.promptTokens;
    expect(r).toMatchObject({ provider: 'openai', modelId: 'o3', costSource: 'computed' });
    expect(r.usage).toMatchObject({ cachedTokens: 4, reasoningTokens: 2000, completionTokens: 2050 });
    expect(r.costUsd).toBeCloseTo(((p - 4) * 2 + 4 * 0.5 + 2050 * 8) / 1e6, 9);
    expect(oa.requests[0]!.body).toMatchObject({ max_completion_tokens: 16384 });
  });

  it('streams partial text to the event stream before the result', async () => {
    oa.setBehaviour({ completionTokens: 60, tokensPerSecond: 120 });
    const { events: seen, last } = await run({ model: 'o3_architect' });
    const partials = seen.filter((e) => e.type === 'partial');
    expect(partials.length).toBeGreaterThanOrEqual(2);
    // Throttled: 60 tokens over 0.5 s, flushed at most every 20 ms (the default) → about 25 writes, not 60.
    expect(partials.length).toBeLessThan(40);
    const resultIndex = seen.indexOf(last);
    expect(seen.findIndex((e) => e.type === 'partial')).toBeLessThan(resultIndex);
    if (last.type !== 'result') throw new Error('no result');
    expect(partials.map((e) => (e.type === 'partial' ? e.delta : '')).join('')).toBe(last.result.text);
    expect(seen.map((e) => e.type === 'progress' && e.stage).filter(Boolean)).toEqual(['queued', 'started', 'streaming']);
  });

  it('retries a 429 after its Retry-After delay', async () => {
    or.addFault(faults.rateLimited(1));
    const { last, events: seen } = await run({ model: 'gemini_pro' });
    expect(last).toMatchObject({ type: 'result', result: { attempt: 2 } });
    expect(seen.find((e) => e.type === 'error')).toMatchObject({ final: false, error: { code: 'rate_limited' } });
    const [first, second] = or.requests;
    expect(second!.startedAt - first!.startedAt).toBeGreaterThanOrEqual(950);
  });

  it('retries 500 and 502 with growing backoff', async () => {
    oa.addFault(faults.serverError(500));
    oa.addFault(faults.serverError(502));
    const { last } = await run({ model: 'o3_architect' });
    expect(last).toMatchObject({ type: 'result', result: { attempt: 3 } });
    const [a, b, c] = oa.requests.map((r) => r.startedAt);
    expect(b! - a!).toBeGreaterThanOrEqual(150); // 200 ms ± 20% jitter
    expect(c! - b!).toBeGreaterThanOrEqual(300); // 400 ms ± 20%
  });

  it.each([
    ['401', faults.unauthorized(), 'provider_auth'],
    ['402', faults.outOfCredits(), 'provider_quota'],
  ])('fails a %s once, with a clear error and no retry', async (_n, fault, code) => {
    or.addFault(fault);
    const { last, jobId } = await run({ model: 'gemini_pro' });
    expect(last).toMatchObject({ type: 'error', final: true, error: { code, retryable: false } });
    expect(or.requests).toHaveLength(1);
    const job = await settled(queues.byKey.openrouter, jobId, 'failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain(code);
  });

  it('times out a hung provider call and succeeds on the retry', async () => {
    oa.addFault({ kind: 'hang' });
    const { last, events: seen } = await run({ model: 'o3_architect', timeoutMs: 400 });
    expect(seen.find((e) => e.type === 'error')).toMatchObject({ final: false, error: { code: 'provider_timeout' } });
    expect(last).toMatchObject({ type: 'result', result: { attempt: 2 } });
    await oa.waitForAbort();
  });

  it('cancel aborts the in-flight HTTP call and fails the job without retry', async () => {
    oa.setBehaviour({ completionTokens: 400, tokensPerSecond: 40 });
    const requestId = `req${++seq}`;
    const { jobId } = await queues.submit({ requestId, model: 'o3_architect', messages }, events);
    for await (const e of events.follow(requestId, { blockingRedis: blocking, timeoutMs: 10_000, blockMs: 200 })) {
      if (e.type === 'partial') break;
    }
    await cancelRequest(conn, requestId, 600);
    const aborted = await oa.waitForAbort();
    expect(aborted.finished).toBe(false);
    // The fake sees the socket close before the worker has written its terminal event: wait for it.
    let terminal: unknown;
    for await (const e of events.follow(requestId, { blockingRedis: blocking, timeoutMs: 10_000, blockMs: 200 })) {
      if (e.type === 'error') {
        terminal = e;
        break;
      }
    }
    expect(terminal).toMatchObject({ final: true, error: { code: 'cancelled' } });
    await waitFor(async () => (await (await queues.byKey.openai.getJob(jobId))?.getState()) === 'failed', { what: 'job failed' });
    expect(oa.requests).toHaveLength(1);
  });

  it('a cancel whose pub/sub message the worker missed (a reconnect, a failover) still aborts the call: the flag is read every few seconds', async () => {
    oa.setBehaviour({ completionTokens: 400, tokensPerSecond: 40 });
    const requestId = `req${++seq}`;
    await queues.submit({ requestId, model: 'o3_architect', messages }, events);
    for await (const e of events.follow(requestId, { blockingRedis: blocking, timeoutMs: 10_000, blockMs: 200 })) {
      if (e.type === 'partial') break;
    }
    // The flag alone, as cancelRequest leaves it when its announcement reached nobody.
    await conn.set(requestKeys(requestId).cancel, '1', 'EX', 600);
    const aborted = await oa.waitForAbort(undefined, 8_000);
    expect(aborted.finished).toBe(false);
  });

  it('skips a queued call whose request was already cancelled: no provider call, no `started`, nothing left reserved', async () => {
    const requestId = `req${++seq}`;
    await cancelRequest(conn, requestId, 600);
    await queues.submit({ requestId, model: 'gemini_pro', messages }, events);
    const seen: StoredRequestEvent[] = [];
    for await (const e of events.follow(requestId, { blockingRedis: blocking, timeoutMs: 10_000, blockMs: 200 })) {
      seen.push(e);
      if (e.type === 'error') {
        expect(e).toMatchObject({ final: true, error: { code: 'cancelled' } });
        break;
      }
    }
    expect(or.requests).toHaveLength(0);
    // The cancel mark is read beside the spend reservation (issue 17): what was reserved is returned.
    expect(seen.filter((e) => e.type === 'progress' && e.stage === 'started')).toHaveLength(0);
    const ledger = new Ledger({ redis: conn, limits: config.limits, keyPrefix: config.ledger.keyPrefix });
    expect(await ledger.requestSpend(requestId)).toEqual({ spentUsd: 0, reservedUsd: 0 });
  });

  it('refuses a call over the budget without calling the provider, and does not retry', async () => {
    const { last } = await run({ model: 'gemini_pro', maxRequestCostUsd: 0.0001 });
    expect(last).toMatchObject({ type: 'error', final: true, error: { code: 'budget_exceeded', details: { limit: 'request', limitUsd: 0.0001 } } });
    expect(or.requests).toHaveLength(0);
  });

  it('settles a lost OpenRouter stream exactly from its generation record', async () => {
    or.addFault({ kind: 'drop', afterTokens: 5 });
    const { last, requestId, events: seen } = await run({ model: 'gemini_pro' });
    expect(seen.find((e) => e.type === 'error')).toMatchObject({ final: false, error: { code: 'provider_unavailable' } });
    expect(last).toMatchObject({ type: 'result', result: { attempt: 2 } });
    const billed = [...or.generations.values()].reduce((sum, g) => sum + g.total_cost, 0);
    expect(or.generations.size).toBe(2);
    const ledger = workers[0]!.ledger;
    const spend = await waitFor(async () => {
      const s = await ledger.requestSpend(requestId);
      return s.reservedUsd === 0 ? s : undefined;
    }, { timeoutMs: 10_000, what: 'the lost attempt settled' });
    expect(spend.spentUsd).toBeCloseTo(billed, 9);
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    await run({ model: 'gemini_pro' });
    const port = workers[0]!.healthPort!;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/orch_worker_jobs_total\{[^}]*model="gemini_pro"[^}]*outcome="completed"/);
    await workers[0]!.close();
    expect(workers[0]!.isReady()).toBe(false);
  });
});

describe('a call whose job lock lapses while it runs', () => {
  it('is not sent to the provider again: the run started after the lapse waits for it and returns its answer', async () => {
    // As when Redis is away longer than the job lock: the lock is gone, BullMQ's stalled check
    // moves the job back to wait, and the same worker starts it again while the first run streams.
    const stack = await startFakeStack();
    const env = stack.env({ WORKER_LOCK_DURATION_MS: '1000', WORKER_STALLED_INTERVAL_MS: '300', ORCH_QUEUE_PREFIX: 'lapse' });
    const config = loadConfig({ cwd: '/nonexistent', env });
    const logger = createLogger({ service: 'test', stream: new PassThrough(), level: 'error' });
    const worker = await startProviderWorker({ config, queue: 'openrouter', logger, health: false });
    const conn = stack.client();
    const blocking = stack.client();
    const queues = new ProviderQueues({ config, connection: conn });
    const events = new RequestEvents({ redis: conn, ttlSeconds: 600 });
    try {
      stack.openrouter.setBehaviour({ completionTokens: 40, tokensPerSecond: 10 }); // about 4 s
      const { jobId } = await queues.submit({ requestId: 'lapse1', model: 'gemini_pro', messages }, events);
      await stack.openrouter.waitForRequest();
      const queue = queues.queueForModel('gemini_pro');
      await conn.del(`lapse:${queue.name}:${jobId}:lock`);
      await waitFor(async () => ((await queue.getJob(jobId))?.stalledCounter ?? 0) > 0, { timeoutMs: 10_000, what: 'the job run again' });
      const job = await settled(queue, jobId, 'completed');
      expect(job.returnvalue).toMatchObject({ requestId: 'lapse1', text: expect.any(String) });
      expect(stack.openrouter.requests).toHaveLength(1);
      const results = (await events.read('lapse1')).filter((e) => e.type === 'result');
      expect(results).toHaveLength(1);
    } finally {
      await worker.close();
      await queues.close();
      conn.disconnect();
      blocking.disconnect();
      await stack.stop();
    }
  });
});
