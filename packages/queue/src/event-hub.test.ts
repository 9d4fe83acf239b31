import { Redis } from 'ioredis';
import { startRedis, waitFor, type RedisServerHandle } from '@orch/testing';
import type { RequestEvent, StoredRequestEvent } from '@orch/contracts';
import { EventHub } from './event-hub';
import { requestKeys } from './keys';
import { compareStreamIds, parseStreamId, previousStreamId } from './stream-ids';
import { RequestEvents } from './events';

describe('EventHub: many streams over one blocking connection', () => {
  let server: RedisServerHandle;
  let redis: Redis;
  let blocking: Redis;
  let events: RequestEvents;
  let hub: EventHub;
  let n = 0;
  const rid = () => `hub${++n}`;
  const progress = (requestId: string, message: string): RequestEvent => ({ type: 'progress', stage: 'started', requestId, message, ts: Date.now() });
  const messages = (list: StoredRequestEvent[]) => list.map((e) => (e.type === 'progress' ? e.message : e.type));
  /** Whether the connection named `name` is blocked in a read now (CLIENT LIST's `b` flag). */
  const blockedNow = async (name: string) => /flags=\S*b/.test(String(await redis.client('LIST')).split('\n').find((l) => l.includes(` name=${name} `)) ?? '');

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    blocking = new Redis(server.url, { maxRetriesPerRequest: null });
    events = new RequestEvents({ redis, ttlSeconds: 120 });
    // A long block: new subscriptions must interrupt it rather than wait it out.
    hub = new EventHub({ redis, blockingRedis: blocking, events, blockMs: 30_000 });
  });
  afterAll(async () => {
    await hub.close();
    redis.disconnect();
    blocking.disconnect();
    await server.stop();
  });

  it('compares stream ids numerically', () => {
    expect(compareStreamIds('10-0', '9-5')).toBe(1);
    expect(compareStreamIds('5-10', '5-9')).toBe(1);
    expect(compareStreamIds('5-1', '5-1')).toBe(0);
    expect(compareStreamIds('0-0', '1-0')).toBe(-1);
    expect(previousStreamId('5-3')).toBe('5-2');
    expect(previousStreamId('5-0')).toBe('4-18446744073709551615');
    expect(compareStreamIds(previousStreamId('5-0')!, '4-9')).toBe(1);
    expect(previousStreamId('0-0')).toBeUndefined();
  });

  it("a listener catching up shares what it reads past the shared position with the live ones: a request compacted to its end before the next shared read still gave them its result", async () => {
    // A hub that polls (as on a Redis Cluster) and whose next shared read is a minute away.
    const slowConn = new Redis(server.url);
    const slow = new EventHub({ redis: slowConn, blockingRedis: slowConn, events, pollMs: 60_000 });
    try {
      const id = rid();
      await events.publish(progress(id, 'queued'));
      const live: StoredRequestEvent[] = [];
      const liveSub = slow.subscribe(id, '0-0', (e) => live.push(e));
      await waitFor(() => live.length === 1, { timeoutMs: 3000 });
      await events.publish(progress(id, 'result'));
      // A driver taking the request over reads it from the start…
      const late: StoredRequestEvent[] = [];
      const lateSub = slow.subscribe(id, '0-0', (e) => late.push(e));
      await waitFor(() => late.length === 2, { timeoutMs: 3000 });
      // …and the live follower has the new event now, not at the next shared read.
      await waitFor(() => live.length === 2, { timeoutMs: 3000 });
      expect(messages(live)).toEqual(['queued', 'result']);
      expect(messages(late)).toEqual(['queued', 'result']);
      liveSub.close();
      lateSub.close();
    } finally {
      await slow.close();
      slowConn.disconnect();
    }
  });

  it('delivers past and live events of many streams, each in order, and a new stream interrupts the blocked read', async () => {
    const ids = Array.from({ length: 20 }, rid);
    for (const id of ids) await events.publish(progress(id, 'before'));
    const got = new Map<string, StoredRequestEvent[]>(ids.map((id) => [id, []]));
    const subs = ids.map((id) => hub.subscribe(id, '0-0', (e) => got.get(id)!.push(e)));
    await waitFor(() => ids.every((id) => got.get(id)!.length === 1), { timeoutMs: 2000 });
    for (let i = 0; i < 3; i++) for (const id of ids) await events.publish(progress(id, `live${i}`));
    await waitFor(() => ids.every((id) => got.get(id)!.length === 4), { timeoutMs: 2000 });
    for (const id of ids) expect(messages(got.get(id)!)).toEqual(['before', 'live0', 'live1', 'live2']);
    // One more stream while the hub is blocked on twenty: seen at once, not after the 30 s block.
    const late = rid();
    const lateGot: StoredRequestEvent[] = [];
    const started = Date.now();
    const lateSub = hub.subscribe(late, '0-0', (e) => lateGot.push(e));
    await new Promise((r) => setTimeout(r, 50));
    await events.publish(progress(late, 'x'));
    await waitFor(() => lateGot.length === 1, { timeoutMs: 3000 });
    expect(Date.now() - started).toBeLessThan(3000);
    for (const s of [...subs, lateSub]) s.close();
    expect(hub.size).toBe(0);
  });

  /** Runs `body` with a hub of its own (options beside the test's), its blocking connection named `name`; closes both. */
  const withOwnHub = async (name: string, opts: { blockMs: number; joinMs?: number }, body: (own: EventHub) => Promise<void>) => {
    const blockingRedis = new Redis(server.url, { maxRetriesPerRequest: null, connectionName: name });
    const own = new EventHub({ redis, blockingRedis, events, ...opts });
    try {
      await body(own);
    } finally {
      await own.close();
      blockingRedis.disconnect();
    }
  };

  it('a stream added while a busy read blocks joins the read that returns next, with no CLIENT UNBLOCK (issue 29)', async () => {
    // A join window longer than the test: only the busy stream's event can make the read return.
    await withOwnHub('hub-join-next', { blockMs: 30_000, joinMs: 60_000 }, async (joining) => {
      const stat = async (name: string) => Number(new RegExp(`cmdstat_${name.replace('|', '\\|')}:calls=(\\d+)`).exec(await redis.info('commandstats'))?.[1] ?? 0);
      const [busy, late] = [rid(), rid()];
      const got: Record<string, string[]> = { [busy]: [], [late]: [] };
      const follow = (id: string) => joining.subscribe(id, '0-0', (e) => got[id]!.push(messages([e])[0]!));
      follow(busy);
      await waitFor(() => blockedNow('hub-join-next'), { timeoutMs: 5000 });
      const unblocks = await stat('client|unblock');
      follow(late);
      await events.publish(progress(busy, 'news'));
      await waitFor(() => got[busy]!.length === 1, { timeoutMs: 5000 });
      await events.publish(progress(late, 'joined'));
      await waitFor(() => got[late]!.length === 1, { timeoutMs: 5000 });
      expect(got).toEqual({ [busy]: ['news'], [late]: ['joined'] });
      expect((await stat('client|unblock')) - unblocks).toBe(0);
    });
  });

  it('a stream added while a join timer set for an earlier read is pending still interrupts the read that does not name it', async () => {
    await withOwnHub('hub-join-again', { blockMs: 30_000, joinMs: 1000 }, async (joining) => {
      const [busy, second, third] = [rid(), rid(), rid()];
      const got: Record<string, number> = { [busy]: 0, [second]: 0, [third]: 0 };
      const follow = (id: string) => joining.subscribe(id, '0-0', () => void got[id]!++);
      follow(busy);
      await waitFor(() => blockedNow('hub-join-again'), { timeoutMs: 5000 });
      // The second stream sets a join timer for this read; the busy stream's event ends the read
      // first, and the next read names the second stream.
      follow(second);
      await events.publish(progress(busy, 'news'));
      await waitFor(async () => got[busy] === 1 && (await blockedNow('hub-join-again')), { timeoutMs: 5000 });
      // Within the first timer's second, a third stream comes: that timer must not be the only one.
      follow(third);
      await events.publish(progress(third, 'late'));
      await waitFor(() => got[third] === 1, { timeoutMs: 5000 });
    });
  });

  it("a stream added while the hub asks its connection's id, before its first read, is named in that read", async () => {
    await withOwnHub('hub-first-read', { blockMs: 30_000 }, async (first) => {
      const [one, two] = [rid(), rid()];
      const got: Record<string, number> = { [one]: 0, [two]: 0 };
      first.subscribe(one, '0-0', () => void got[one]!++);
      // The hub wakes for the first stream, names it and asks CLIENT ID; no reply is read before
      // these turns of the microtask queue end, so the second stream comes while it is asked.
      for (let i = 0; i < 10; i++) await Promise.resolve();
      first.subscribe(two, '0-0', () => void got[two]!++);
      await events.publish(progress(two, 'second'));
      await waitFor(() => got[two] === 1, { timeoutMs: 5000 });
    });
  });

  it('a second listener that resumes from an earlier id gets the gap, then live events, exactly once', async () => {
    const id = rid();
    const first: StoredRequestEvent[] = [];
    const a = hub.subscribe(id, '0-0', (e) => first.push(e));
    const published: string[] = [];
    for (let i = 0; i < 5; i++) published.push(await events.publish(progress(id, `e${i}`)));
    await waitFor(() => first.length === 5, { timeoutMs: 2000 });
    // Resume after the second event, as a reconnecting client would, while events keep coming.
    const second: StoredRequestEvent[] = [];
    const b = hub.subscribe(id, published[1]!, (e) => second.push(e));
    const more = Promise.all([5, 6, 7].map((i) => events.publish(progress(id, `e${i}`))));
    await more;
    await waitFor(() => second.length === 6 && first.length === 8, { timeoutMs: 2000 });
    expect(messages(second)).toEqual(['e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
    expect(messages(first)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
    expect(b.lastId).toBe(second.at(-1)!.id);
    a.close();
    b.close();
  });

  it('refuses a resume id Redis would reject, for that caller alone (issue 12.1)', async () => {
    expect(parseStreamId('99999999999999999999')).toBeUndefined();
    expect(parseStreamId('18446744073709551615-18446744073709551615')).toBe('18446744073709551615-18446744073709551615');
    expect(parseStreamId('0')).toBe('0-0');
    const id = rid();
    const got: StoredRequestEvent[] = [];
    const ok = hub.subscribe(id, '0-0', (e) => got.push(e));
    expect(() => hub.subscribe(rid(), '99999999999999999999', () => undefined)).toThrow(expect.objectContaining({ code: 'invalid_arguments' }) as Error);
    await events.publish(progress(id, 'still served'));
    await waitFor(() => got.length === 1, { timeoutMs: 2000 });
    ok.close();
  });

  it('a stream Redis refuses to read is dropped with an error; every other stream goes on (issue 12.1)', async () => {
    const good = rid();
    const bad = rid();
    await redis.set(requestKeys(bad).events, 'not a stream');
    const got: StoredRequestEvent[] = [];
    const errors: Error[] = [];
    const a = hub.subscribe(good, '0-0', (e) => got.push(e));
    const b = hub.subscribe(bad, '0-0', () => undefined, (err) => errors.push(err));
    await waitFor(() => errors.length === 1, { timeoutMs: 3000 });
    expect(errors[0]!.message).toMatch(/WRONGTYPE/);
    for (let i = 0; i < 3; i++) await events.publish(progress(good, `e${i}`));
    await waitFor(() => got.length === 3, { timeoutMs: 3000 });
    expect(hub.size).toBe(1);
    a.close();
    b.close();
  });

  it('following hundreds of streams, it pauses between reads that bring news, so one read serves many events (issue 17)', async () => {
    // One XREAD names every followed stream, so each costs Redis time per stream: 400 streams read
    // back to back after every event made Redis spend most of a core on XREAD alone.
    const pacedBlocking = new Redis(server.url, { maxRetriesPerRequest: null });
    const paced = new EventHub({ redis, blockingRedis: pacedBlocking, events, blockMs: 30_000, streamsPerPaceMs: 20 });
    const ids = Array.from({ length: 400 }, rid);
    let delivered = 0;
    const subs = ids.map((id) => paced.subscribe(id, '0-0', () => void delivered++));
    const xreads = async () => Number(/cmdstat_xread:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    const before = await xreads();
    for (const id of ids) await events.publish(progress(id, 'one'));
    await waitFor(() => delivered === ids.length, { timeoutMs: 10_000 });
    const reads = (await xreads()) - before;
    expect(reads).toBeLessThanOrEqual(ids.length / 10);
    for (const s of subs) s.close();
    await paced.close();
    pacedBlocking.disconnect();
  });
});
