import { isCluster, type RedisClient } from './redis';
import type { StoredRequestEvent } from '@orch/contracts';
import { ReplyError } from 'ioredis';
import { parseEntry, type RequestEvents } from './events';
import { requestKeys } from './keys';
import { compareStreamIds, streamIdOrThrow } from './stream-ids';

export interface EventHubOptions {
  /** Command connection: catch-up reads (XRANGE) and CLIENT UNBLOCK. */
  redis: RedisClient;
  /** Dedicated connection for the shared XREAD BLOCK (role `blocking`). */
  blockingRedis: RedisClient;
  events: RequestEvents;
  /** Longest one XREAD blocks. New streams interrupt it with CLIENT UNBLOCK (see joinMs). */
  blockMs?: number;
  /**
   * How long a stream added while the XREAD blocks waits to join the next one (default 2 ms) before
   * the read is interrupted for it. While other streams are busy a read returns that often anyway,
   * and the new stream joins it with no CLIENT UNBLOCK and no extra read; a quiet hub interrupts.
   */
  joinMs?: number;
  /**
   * Streams per ms of pause after a read that brought events (default 40: 400 streams followed →
   * 10 ms), at most `maxPaceMs` (25). One XREAD names every stream, so Redis spends time on each
   * (~2 µs here) however few have news: with hundreds followed, back-to-back reads cost Redis most
   * of a core; a short pause lets one read bring many streams' events. Under 40 streams, no pause.
   */
  streamsPerPaceMs?: number;
  maxPaceMs?: number;
  /**
   * Poll instead of one blocking read: how long to wait between reads that brought nothing. On a
   * Redis Cluster the hub always polls (default 10 ms): each stream has its own hash slot there and
   * one XREAD may not name two slots, so it reads each stream without blocking, all at once.
   */
  pollMs?: number;
}

type XreadReply = Array<[string, Array<[string, string[]]>]>;

export interface Subscription {
  /** Id of the last event delivered: resume from it after a reconnect. */
  readonly lastId: string;
  close(): void;
}

interface Listener {
  last: string;
  /** Live events that arrive while the catch-up read runs. */
  pending: StoredRequestEvent[] | undefined;
  deliver: (e: StoredRequestEvent) => void;
  /** Told when Redis refuses to read this listener's stream; the listener is dropped. */
  onError: ((err: Error) => void) | undefined;
}

interface Tracked {
  /** The shared read position of the stream (the newest id the hub has read). */
  cursor: string;
  listeners: Set<Listener>;
}

/**
 * Follows many request event streams over ONE blocking connection: each XREAD names every stream
 * some listener wants, and events fan out to the listeners in memory. A front door with a hundred
 * WebSocket subscribers holds one Redis connection, not a hundred, and every listener still gets
 * every event after its own resume point, in order, exactly once.
 */
export class EventHub {
  private readonly streams = new Map<string, Tracked>();
  private readonly blockMs: number;
  private readonly loop: Promise<void>;
  private stopped = false;
  private blocked = false;
  /** Incremented after every XREAD: tells an UNBLOCK sender its interrupt was seen. */
  private generation = 0;
  /** CLIENT ID of the blocking connection (asked before it blocks; a reconnect changes it). */
  private clientId: number | undefined;
  private wake: (() => void) | undefined;
  private readonly joinMs: number;
  /** Set while a stream waits to join: interrupts the read unless one returns first. */
  private joinTimer: NodeJS.Timeout | undefined;
  /** The read (its generation) the pending join timer would interrupt. */
  private joinGeneration = -1;
  private readonly streamsPerPaceMs: number;
  private readonly maxPaceMs: number;
  /** Set on a Redis Cluster (or when asked): streams are polled one by one (see pollMs). */
  private readonly pollMs: number | undefined;

  constructor(private readonly opts: EventHubOptions) {
    this.blockMs = opts.blockMs ?? 5000;
    this.joinMs = opts.joinMs ?? 2;
    this.streamsPerPaceMs = opts.streamsPerPaceMs ?? 40;
    this.maxPaceMs = opts.maxPaceMs ?? 25;
    this.pollMs = opts.pollMs ?? (isCluster(opts.redis) ? 10 : undefined);
    opts.blockingRedis.on('ready', () => (this.clientId = undefined));
    this.loop = this.run();
  }

  /**
   * Delivers every event of `requestId` after `after` (exclusive; `0-0` for all), then new ones as
   * they arrive, until `close()`. An `after` Redis would refuse throws `invalid_arguments` here, for
   * this caller alone; a stream Redis refuses later (a key of another type) is dropped with `onError`
   * while every other stream goes on.
   */
  subscribe(requestId: string, after: string, deliver: (e: StoredRequestEvent) => void, onError?: (err: Error) => void): Subscription {
    const listener: Listener = { last: streamIdOrThrow(after, 'after'), pending: undefined, deliver, onError };
    let tracked = this.streams.get(requestId);
    if (!tracked) {
      // A new stream: the shared read starts at this listener's position, no catch-up needed.
      tracked = { cursor: listener.last, listeners: new Set([listener]) };
      this.streams.set(requestId, tracked);
      this.wake?.();
      this.join();
    } else {
      tracked.listeners.add(listener);
      if (compareStreamIds(listener.last, tracked.cursor) < 0) {
        // Behind the shared position: read the gap, holding live events until it is delivered.
        listener.pending = [];
        void this.catchUp(requestId, listener);
      }
    }
    const streams = this.streams;
    return {
      get lastId() {
        return listener.last;
      },
      close() {
        const t = streams.get(requestId);
        if (!t) return;
        t.listeners.delete(listener);
        if (t.listeners.size === 0) streams.delete(requestId);
      },
    };
  }

  /** Streams being followed (for metrics and tests). */
  get size(): number {
    return this.streams.size;
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.joinTimer);
    this.streams.clear();
    this.wake?.();
    this.interrupt();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }

  private async catchUp(requestId: string, listener: Listener): Promise<void> {
    try {
      for (;;) {
        const batch = await this.opts.events.read(requestId, listener.last, 1000);
        for (const e of batch) {
          this.offer(listener, e);
          this.beyondCursor(requestId, e);
        }
        if (batch.length < 1000) break;
      }
    } catch {
      // Redis trouble: the live events still follow; a gap shows as a jump in `chars`.
    }
    const held = listener.pending ?? [];
    listener.pending = undefined;
    for (const e of held) this.offer(listener, e);
  }

  /**
   * A catch-up read that went past the shared position brought events the live listeners have not
   * had yet: they get them now, and the position moves on. Otherwise a request that ends (its stream
   * compacted to its end) before the next shared read would leave them without its `result`.
   */
  private beyondCursor(requestId: string, e: StoredRequestEvent): void {
    const tracked = this.streams.get(requestId);
    if (!tracked || compareStreamIds(e.id, tracked.cursor) <= 0) return;
    tracked.cursor = e.id;
    for (const l of tracked.listeners) {
      if (l.pending) l.pending.push(e);
      else this.offer(l, e);
    }
  }

  private offer(listener: Listener, e: StoredRequestEvent): void {
    if (compareStreamIds(e.id, listener.last) <= 0) return;
    listener.last = e.id;
    try {
      listener.deliver(e);
    } catch {
      // A listener's failure is its own.
    }
  }

  /** A new stream joins the next XREAD: the one that returns within joinMs, else an interrupted one. */
  private join(): void {
    // A timer already set for this very read covers the new stream too; one set for an earlier
    // read (that has returned since) does not: this read was named before the stream came.
    if (!this.blocked || (this.joinTimer && this.joinGeneration === this.generation)) return;
    clearTimeout(this.joinTimer);
    const seen = (this.joinGeneration = this.generation);
    this.joinTimer = setTimeout(() => {
      this.joinTimer = undefined;
      if (this.generation === seen) this.interrupt();
    }, this.joinMs);
    this.joinTimer.unref();
  }

  /** Makes a blocked XREAD return now so the next one names the current streams. */
  private interrupt(): void {
    if (!this.blocked) return;
    const seen = this.generation;
    const send = async (tries: number): Promise<void> => {
      if (this.generation !== seen) return;
      try {
        if (this.clientId === undefined) return;
        await this.opts.redis.call('CLIENT', 'UNBLOCK', String(this.clientId));
      } catch {
        return;
      }
      // The UNBLOCK can overtake an XREAD that was sent but not yet blocking: try again shortly.
      if (tries > 1) setTimeout(() => void send(tries - 1), 20).unref();
    };
    void send(5);
  }

  /**
   * One XREAD names every stream, so one stream Redis refuses fails the read for all. Reads each
   * stream alone (without blocking) and drops the ones refused, telling their listeners.
   */
  private async dropRefused(ids: string[], trackedAt: Tracked[], err: Error): Promise<void> {
    let dropped = 0;
    await Promise.all(
      ids.map(async (id, i) => {
        const tracked = trackedAt[i]!;
        try {
          await this.opts.redis.xread('COUNT', 1, 'STREAMS', requestKeys(id).events, tracked.cursor);
        } catch (e) {
          if (!(e instanceof ReplyError) || this.streams.get(id) !== tracked) return;
          this.streams.delete(id);
          dropped++;
          for (const l of tracked.listeners) l.onError?.(e as Error);
        }
      }),
    );
    // Not one stream alone: Redis refuses every read for now (e.g. LOADING); wait as for a lost connection.
    if (!dropped) await new Promise((r) => setTimeout(r, 200, err));
  }

  /**
   * One non-blocking XREAD per stream (a Cluster refuses one that names two slots), sent together.
   * A stream Redis refuses is dropped with its listeners told; a lost connection waits as above.
   */
  private async poll(ids: string[], keys: string[], trackedAt: Tracked[], cursors: string[]): Promise<XreadReply> {
    let away = false;
    const replies = await Promise.all(
      keys.map(async (key, i) => {
        try {
          return ((await this.opts.redis.xread('COUNT', 500, 'STREAMS', key, cursors[i]!)) as XreadReply | null) ?? [];
        } catch (err) {
          const tracked = trackedAt[i]!;
          const refused = err instanceof ReplyError && !/^(CLUSTERDOWN|TRYAGAIN|LOADING|MOVED|ASK)/.test((err as Error).message);
          if (refused && this.streams.get(ids[i]!) === tracked) {
            this.streams.delete(ids[i]!);
            for (const l of tracked.listeners) l.onError?.(err as Error);
          } else away = true;
          return [];
        }
      }),
    );
    if (away && !this.stopped) await new Promise((r) => setTimeout(r, 200));
    return replies.flat();
  }

  /** Waits `ms`, or until a stream is added or the hub closes. */
  private async pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      this.wake = resolve;
    });
    clearTimeout(timer);
    this.wake = undefined;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.streams.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const ids = [...this.streams.keys()];
      const keys = ids.map((id) => requestKeys(id).events);
      const trackedAt = ids.map((id) => this.streams.get(id)!);
      const cursors = trackedAt.map((t) => t.cursor);
      let res = null as XreadReply | null;
      if (this.pollMs !== undefined) {
        res = await this.poll(ids, keys, trackedAt, cursors);
        // Nothing new: wait a poll period, or less when a stream is added.
        if (!res.length && !this.stopped) await this.pause(this.pollMs);
      } else {
        try {
          if (this.clientId === undefined) {
            // Asked before a read (once per connection), then the streams are named again: one
            // added while the answer was on its way would be in neither this read nor its interrupt.
            this.clientId = Number(await this.opts.blockingRedis.client('ID'));
            continue;
          }
          this.blocked = true;
          res = (await this.opts.blockingRedis.xread('COUNT', 500, 'BLOCK', this.blockMs, 'STREAMS', ...keys, ...cursors)) as typeof res;
        } catch (err) {
          // Redis refused the read itself (not a lost connection): find the stream it refused.
          if (err instanceof ReplyError && !this.stopped) await this.dropRefused(ids, trackedAt, err as Error);
          else if (!this.stopped) await new Promise((r) => setTimeout(r, 200));
        } finally {
          this.blocked = false;
          this.generation++;
        }
      }
      // Nothing came (the block timed out, or the read failed and was waited out above).
      if (!res) continue;
      const at = new Map(keys.map((k, i) => [k, i]));
      for (const [key, entries] of res) {
        const i = at.get(key)!;
        const tracked = trackedAt[i]!;
        // Dropped (or dropped and re-added from another position) while the read was in flight.
        if (this.streams.get(ids[i]!) !== tracked) continue;
        for (const [id, fields] of entries) {
          // Never back: a catch-up may have moved the position past what this read returns.
          if (compareStreamIds(id, tracked.cursor) > 0) tracked.cursor = id;
          const e = parseEntry(id, fields);
          if (!e) continue;
          for (const l of tracked.listeners) {
            if (l.pending) l.pending.push(e);
            else this.offer(l, e);
          }
        }
      }
      const pace = Math.min(this.maxPaceMs, Math.floor(ids.length / this.streamsPerPaceMs));
      if (pace > 0 && !this.stopped) await new Promise((r) => setTimeout(r, pace));
    }
  }
}
