import type { Redis } from 'ioredis';
import { JOB_NAMES, type ModelCallResult, type RequestEvent, type StoredRequestEvent } from '@orch/contracts';
import { EventHub, compareStreamIds, previousStreamId, type RequestEvents } from '@orch/queue';
import { waitFor } from '@orch/testing';
import type { OneCallRequests } from './one-call';
import { RequestStore, type RequestRecord } from './request-store';
import { RequestDriver, type RequestDriverDeps } from './request-driver';
import { endAtLeaseRead, requestStoreOnRedis, runningRecord } from './request-fixtures.test-helper';
import { RequestViews } from './request-views';

/**
 * Following a request whose end compacts its stream under a follower that is behind: seen on a Redis
 * Cluster (its event reader polls), where a one-call request ends the moment its call does (issue 29).
 */
describe('RequestViews.follow: a follower behind the end of its request', () => {
  let hub: EventHub;
  let views: RequestViews;
  let events: RequestEvents;
  let redis: Redis;
  const store = requestStoreOnRedis(() => hub.close());
  beforeAll(() => {
    ({ redis, events } = store);
    // Reads when a subscription starts, then once a minute: this test decides when it reads.
    hub = new EventHub({ redis, blockingRedis: redis, events, pollMs: 60_000 });
    views = new RequestViews({ redis, events, hub: () => hub, requests: {} as RequestStore, oneCall: {} as OneCallRequests, assertRedisReachable: () => undefined, willDrive: async () => true });
  });

  const at = { requestId: 'r1', jobId: 'r1.0', model: 'gemini_pro', ts: Date.now() };
  const partial = (delta: string, chars: number, attempt = 1): RequestEvent => ({ type: 'partial', ...at, delta, chars, attempt });
  const result = (text: string, attempt = 1): RequestEvent => ({
    // The type first, as every publisher writes it: the end's compaction keeps results by it.
    type: 'result',
    ...at,
    result: { requestId: 'r1', callIndex: 0, jobId: 'r1.0', model: 'gemini_pro', modelId: 'g', provider: 'openrouter', text, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 3, totalTokens: 4, cachedTokens: 0, reasoningTokens: 0 }, costUsd: 0, costSource: 'computed', streamed: true, latencyMs: 1, attempt } satisfies ModelCallResult,
  });

  it('is told the streamed text the compaction dropped, as one partial before the result: its partials add up to the answer', async () => {
    await events.publish({ type: 'progress', ...at, stage: 'started', attempt: 1 });
    await events.publish(partial('one ', 4));
    const seen: StoredRequestEvent[] = [];
    const sub = views.follow('r1', '0-0', (e) => seen.push(e));
    await waitFor(() => seen.length === 2 || undefined, { timeoutMs: 5000, what: 'the first partial' });
    // The rest of the call and the end, before the follower reads again: the end drops the partials.
    await events.publish(partial('two ', 8));
    await events.publish(result('one two three'));
    await events.finish({ type: 'done', requestId: 'r1', status: 'completed', ts: Date.now() }, '{"status":"completed"}', 60);
    // A second subscription makes the hub read now (and share what it read with the first).
    const other = hub.subscribe('r1', '0-0', () => undefined);
    await waitFor(() => seen.some((e) => e.type === 'done') || undefined, { timeoutMs: 5000, what: 'the end' });
    sub.close();
    other.close();
    expect(seen.map((e) => e.type)).toEqual(['progress', 'partial', 'partial', 'result', 'done']);
    // In stream order, none repeated: the told partial's id is the one just before the result's.
    seen.slice(1).forEach((e, i) => expect(compareStreamIds(seen[i]!.id, e.id)).toBe(-1));
    expect(seen[2]!.id).toBe(previousStreamId(seen[3]!.id));
    const text = seen.flatMap((e) => (e.type === 'partial' ? [e.delta] : [])).join('');
    expect(text).toBe('one two three');
  });
});

/**
 * A driven request's end writes its record and drops its driver's lease in one step. A read that
 * found it running and then no lease had raced its end: the request ended, it did not stop (seen as
 * a council task reported `failed` to a polling client just as it completed, issue 29's busy runs).
 * A request whose driver stopped is taken over from its job: failed only when no driver will run it.
 */
describe('RequestViews.getRequest: a driven request without a driver lease', () => {
  let driver: RequestDriver;
  let views: RequestViews;
  const store = requestStoreOnRedis(() => driver.queue.close());
  const caller = { id: 'c1', fileAccess: false };
  beforeAll(() => {
    const { redis, events, requests } = store;
    // Only its queue is used here (willDrive), not started.
    driver = new RequestDriver({ config: { queue: { prefix: 'views-test', bullEventsMaxLen: 100 } }, queueConnection: redis } as unknown as RequestDriverDeps);
    const oneCall = { settleStranded: async (r: RequestRecord) => r } as unknown as OneCallRequests;
    views = new RequestViews({ redis, events, requests, hub: () => ({}) as EventHub, oneCall, assertRedisReachable: () => undefined, willDrive: (id) => driver.willDrive(id) });
  });

  it('is read as it ended when its end came between the record and the lease', async () => {
    await store.requests.create(runningRecord('ends'));
    await store.requests.holdDriver('ends', 'door-1');
    // The end lands after the record was read as running, before the lease is looked at.
    const spy = endAtLeaseRead(store.requests, store.events, runningRecord('ends'));
    try {
      expect(await views.getRequest('ends', caller)).toMatchObject({ request_id: 'ends', status: 'completed' });
    } finally {
      spy.mockRestore();
    }
  });

  it('reads running while its job waits for a driver (its own stopped: no door has taken it over yet)', async () => {
    await store.requests.create(runningRecord('waits'));
    await driver.queue.add(JOB_NAMES.driveRequest, { requestId: 'waits' } as never, { jobId: 'waits' });
    expect(await views.getRequest('waits', caller)).toMatchObject({ status: 'running' });
  });

  it('reads failed when no driver will run it', async () => {
    await store.requests.create(runningRecord('stopped'));
    expect(await views.getRequest('stopped', caller)).toMatchObject({ status: 'failed', error: { code: 'internal' } });
  });
});
