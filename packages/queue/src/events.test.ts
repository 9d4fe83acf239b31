import { Redis, type Cluster } from 'ioredis';
import { startRedis, startTestRedis, type TestRedis } from '@orch/testing';
import type { RequestEvent } from '@orch/contracts';
import { RequestEvents } from './events';
import { requestKeys } from './keys';

const progress = (requestId: string, message: string): RequestEvent => ({ type: 'progress', stage: 'started', requestId, message, ts: Date.now() });

describe('RequestEvents', () => {
  let server: TestRedis;
  let redis: Redis | Cluster;
  let blocking: Redis | Cluster;
  let events: RequestEvents;
  let n = 0;
  const rid = () => `ev${++n}`;

  beforeAll(async () => {
    server = await startTestRedis();
    redis = server.client();
    blocking = server.client();
    events = new RequestEvents({ redis, ttlSeconds: 120 });
  });
  afterAll(async () => {
    redis.disconnect();
    blocking.disconnect();
    await server.stop();
  });


  it('stores events with a TTL and reads them back in order', async () => {
    const id = rid();
    await events.publish(progress(id, 'a'));
    await events.publish(progress(id, 'b'));
    const ttl = await redis.ttl(requestKeys(id).events);
    expect(ttl).toBeGreaterThan(100);
    expect((await events.read(id)).map((e) => e.type === 'progress' && e.message)).toEqual(['a', 'b']);
  });

  it('resumes after a given event id without repeats or gaps', async () => {
    const id = rid();
    const ids = [];
    for (const m of ['1', '2', '3', '4']) ids.push(await events.publish(progress(id, m)));
    const rest = await events.read(id, ids[1]);
    expect(rest.map((e) => e.id)).toEqual(ids.slice(2));
  });

  it('follows live events as they are written, from a resume point', async () => {
    const id = rid();
    const first = await events.publish(progress(id, 'before'));
    const got: string[] = [];
    const reader = (async () => {
      for await (const e of events.follow(id, { after: first, blockingRedis: blocking, timeoutMs: 5000, blockMs: 100 })) {
        got.push(e.type === 'progress' ? e.message ?? '' : e.type);
        if (got.length === 3) break;
      }
    })();
    for (const m of ['x', 'y', 'z']) await events.publish(progress(id, m));
    await reader;
    expect(got).toEqual(['x', 'y', 'z']);
  });

  it('finishes a request in one step: the record, then done, the driver lease gone, the stream compacted (issue 12.6)', async () => {
    await finishesCompacted(redis, events, rid());
  });

  // A Redis older than 6.2 has no COPY: the end DUMPs and RESTOREs the kept entries instead.
  it('finishes a request the same way on a Redis without COPY (issue 29)', async () => {
    const old = await startRedis({ extraArgs: ['--rename-command', 'COPY', ''] });
    const client = new Redis(old.url);
    try {
      await expect(client.call('COPY', 'a', 'b')).rejects.toThrow(/unknown command/i);
      await finishesCompacted(client, new RequestEvents({ redis: client, ttlSeconds: 120 }), rid());
    } finally {
      client.disconnect();
      await old.stop();
    }
  });

  it('ends a request once: a second finish (a driver that raced another) writes nothing (issue 17)', async () => {
    const id = rid();
    const keys = requestKeys(id);
    await redis.set(keys.meta, '{"status":"running"}');
    const done = { type: 'done' as const, requestId: id, status: 'completed' as const, ts: Date.now() };
    // A prompt may hold the text `"status":"running"`; in JSON its quotes are escaped.
    const first = '{"prompt":"say \\"status\\":\\"running\\"","status":"completed"}';
    expect(await events.finish(done, first, 300)).toEqual(expect.any(String));
    await redis.set(keys.driver, 'host/2', 'EX', 30);
    expect(await events.finish({ ...done, status: 'failed' }, '{"status":"failed","by":"second"}', 300)).toBeUndefined();
    expect(await redis.get(keys.meta)).toBe(first);
    expect((await events.read(id)).map((e) => e.type)).toEqual(['done']);
    expect(await redis.exists(keys.driver)).toBe(1);
  });

  it("ends a one-call request with its call's result in the same step, or writes neither when it had already ended (issue 29)", async () => {
    const id = rid();
    await redis.set(requestKeys(id).meta, '{"status":"running"}');
    const result = { requestId: id, callIndex: 0, jobId: `${id}.0`, model: 'm', modelId: 'm', provider: 'p', text: 'the answer', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2, cachedTokens: 0, reasoningTokens: 0 }, costUsd: 0, costSource: 'computed' as const, streamed: false, latencyMs: 1, attempt: 1 };
    const done = { type: 'done' as const, requestId: id, status: 'completed' as const, ts: Date.now() };
    expect(await events.finish(done, '{"status":"completed"}', 300, { type: 'result', requestId: id, jobId: `${id}.0`, ts: Date.now(), result })).toEqual(expect.any(String));
    expect((await events.read(id)).map((e) => e.type)).toEqual(['result', 'done']);
    expect(await events.earlierRun(id, `${id}.0`)).toBe('ended');
    const late = rid();
    await redis.set(requestKeys(late).meta, '{"status":"cancelled"}');
    expect(await events.finish({ ...done, requestId: late }, '{"status":"completed"}', 300, { type: 'result', requestId: late, jobId: `${late}.0`, ts: Date.now(), result: { ...result, requestId: late } })).toBeUndefined();
    expect(await events.read(late)).toEqual([]);
  });

  it("begins a request in one step: its record with its TTL, then its first event (issue 29)", async () => {
    const id = rid();
    await events.begin(progress(id, 'queued'), '{"status":"running"}', 300);
    expect(await redis.get(requestKeys(id).meta)).toBe('{"status":"running"}');
    expect(await redis.ttl(requestKeys(id).meta)).toBeGreaterThan(290);
    expect(await redis.ttl(requestKeys(id).events)).toBeGreaterThan(100);
    expect((await events.read(id)).map((e) => e.type === 'progress' && e.message)).toEqual(['queued']);
  });

  it("starts a call in one step: `started` told and the record returned, or nothing told when its request is cancelled (issue 29)", async () => {
    const id = rid();
    await redis.set(requestKeys(id).meta, '{"status":"running"}');
    expect(await events.start(progress(id, 'started'), true)).toEqual({ cancelled: false, record: '{"status":"running"}' });
    expect(await events.start(progress(id, 'again'), false)).toEqual({ cancelled: false, record: null });
    expect((await events.read(id)).map((e) => e.type === 'progress' && e.message)).toEqual(['started', 'again']);
    await redis.set(requestKeys(id).cancel, '1');
    expect(await events.start(progress(id, 'too late'), true)).toEqual({ cancelled: true });
    expect(await events.read(id)).toHaveLength(2);
  });

  it('stops following when the signal aborts', async () => {
    const ctrl = new AbortController();
    const started = Date.now();
    setTimeout(() => ctrl.abort(), 150);
    for await (const _ of events.follow(rid(), { blockingRedis: blocking, signal: ctrl.signal, blockMs: 50 })) {
      throw new Error('no events expected');
    }
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

/** Finishes request `id` after 200 partials, an error and a result, and checks what the end left. */
async function finishesCompacted(redis: Redis | Cluster, events: RequestEvents, id: string): Promise<void> {
  const keys = requestKeys(id);
  await redis.set(keys.driver, 'host/1', 'EX', 30);
  await events.publish(progress(id, 'working'));
  const partialIds: string[] = [];
  for (let i = 0; i < 200; i++) {
    partialIds.push(await events.publish({ type: 'partial', requestId: id, jobId: `${id}.0`, model: 'm', delta: `token ${i} `.repeat(5), chars: i * 40, ts: Date.now() }));
  }
  const errorId = await events.publish({ type: 'error', requestId: id, jobId: `${id}.1`, model: 'm', error: { code: 'provider_timeout', message: 'slow', retryable: true }, final: true, ts: Date.now() });
  const result = { requestId: id, callIndex: 0, jobId: `${id}.0`, model: 'm', modelId: 'm', provider: 'p', text: 'the answer', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2, cachedTokens: 0, reasoningTokens: 0 }, costUsd: 0, costSource: 'computed' as const, streamed: true, latencyMs: 1, attempt: 1 };
  const resultId = await events.publish({ type: 'result', requestId: id, jobId: `${id}.0`, result, ts: Date.now() });
  const before = Number(await redis.memory('USAGE', keys.events));
  const eventId = await events.finish({ type: 'done', requestId: id, status: 'completed', ts: Date.now() }, '{"status":"completed"}', 300);
  expect(await redis.get(keys.meta)).toBe('{"status":"completed"}');
  expect(await redis.ttl(keys.meta)).toBeGreaterThan(290);
  expect(await redis.exists(keys.driver)).toBe(0);
  expect(await redis.exists(keys.compacting)).toBe(0);
  expect(await redis.ttl(keys.events)).toBeGreaterThan(100);
  // Only each call's result and how it ended stay, with the original ids; the output lives in the record.
  const all = await events.read(id);
  expect(all.map((e) => e.type)).toEqual(['error', 'result', 'done']);
  expect(all.map((e) => e.id)).toEqual([errorId, resultId, eventId]);
  const after = Number(await redis.memory('USAGE', keys.events));
  expect(after).toBeLessThan(1500);
  expect(after).toBeLessThan(before / 10);
  // A follower resuming from a dropped partial still reads every result and a consistent end.
  expect((await events.read(id, partialIds[50]!)).map((e) => e.type)).toEqual(['error', 'result', 'done']);
}
