import { join } from 'node:path';
import { defineLuaScripts } from './lua-scripts';
import type { RedisClient } from './redis';
import { RequestEventSchema, type RequestEvent, type StoredRequestEvent } from '@orch/contracts';
import { requestKeys } from './keys';

export interface RequestEventsOptions {
  /** Connection for writes and non-blocking reads. */
  redis: RedisClient;
  /** Seconds the stream stays readable after its last event. */
  ttlSeconds: number;
  /** Approximate cap on events per request. */
  maxLen?: number;
  /**
   * Seconds a finished request's (compacted) stream stays, for followers already on their way; after
   * that its end is told from its record (`Orchestrator.follow`). Default: `ttlSeconds`.
   */
  finishedTtlSeconds?: number;
}

export interface FollowOptions {
  /** Stream id to resume after (`0` or `0-0` from the start). */
  after?: string;
  /** A dedicated connection for XREAD BLOCK (it is blocked while waiting). */
  blockingRedis: RedisClient;
  /** How long one XREAD blocks; also the longest delay before `signal` is noticed. */
  blockMs?: number;
  signal?: AbortSignal;
  /** Stop after this many ms without the stream ending. */
  timeoutMs?: number;
}

/** The stream's Lua scripts (src/lua), by the command each becomes (defineLuaScripts). */
const SCRIPTS = { orchPublishEvent: 'publish-1.lua', orchBeginRequest: 'begin-2.lua', orchStartCall: 'start-3.lua', orchFinishRequest: 'finish-4.lua' } as const;

type EventsRedis = RedisClient & {
  orchPublishEvent(key: string, maxLen: number, event: string, ttl: number): Promise<string>;
  orchBeginRequest(events: string, meta: string, maxLen: number, event: string, ttl: number, record: string, recordTtl: number): Promise<string>;
  orchStartCall(cancel: string, meta: string, events: string, maxLen: number, event: string, ttl: number, withRecord: string): Promise<[number, (string | null)?]>;
  orchFinishRequest(events: string, meta: string, driver: string, compacting: string, maxLen: number, event: string, ttl: number, record: string, recordTtl: number, ...before: string[]): Promise<string | null>;
};

/**
 * The per-request event stream (`orch:req:{id}:events`): progress, partial text, result, error.
 * A Redis Stream, so any process can read it and a reader resumes from its last id.
 */
export class RequestEvents {
  private readonly redis: RedisClient;
  private readonly ttlSeconds: number;
  private readonly maxLen: number;
  private readonly finishedTtlSeconds: number;

  constructor(opts: RequestEventsOptions) {
    this.redis = opts.redis;
    RequestEvents.defineCommands(this.redis);
    this.ttlSeconds = opts.ttlSeconds;
    this.maxLen = opts.maxLen ?? 10_000;
    this.finishedTtlSeconds = opts.finishedTtlSeconds ?? opts.ttlSeconds;
  }

  /**
   * Defines the stream scripts on a connection (once). Call it before the connection sends anything
   * when it pipelines automatically: ioredis cannot run a command defined while an automatic pipeline
   * is already open on the connection ("pipeline[functionName] is not a function", ioredis #1931) — a
   * front door's first call after its start failed so.
   */
  static defineCommands(redis: RedisClient): void {
    defineLuaScripts(redis, join(__dirname, 'lua'), SCRIPTS);
  }

  /**
   * The same stream writer on another connection: its writes are then ordered with that connection's
   * other commands (Redis runs one connection's commands in the order they were sent).
   */
  on(redis: RedisClient): RequestEvents {
    return new RequestEvents({ redis, ttlSeconds: this.ttlSeconds, maxLen: this.maxLen, finishedTtlSeconds: this.finishedTtlSeconds });
  }

  /** Appends an event (and renews the stream's TTL) in one atomic command; returns its stream id. */
  async publish(event: RequestEvent): Promise<string> {
    const key = requestKeys(event.requestId).events;
    return String(await (this.redis as EventsRedis).orchPublishEvent(key, this.maxLen, JSON.stringify(event), this.ttlSeconds));
  }

  /**
   * Starts a request in one atomic command: stores its record (`recordJson`, kept
   * `recordTtlSeconds`), then appends its first `event`; returns the event's stream id.
   */
  async begin(event: RequestEvent, recordJson: string, recordTtlSeconds: number): Promise<string> {
    const keys = requestKeys(event.requestId);
    return String(await (this.redis as EventsRedis).orchBeginRequest(keys.events, keys.meta, this.maxLen, JSON.stringify(event), this.ttlSeconds, recordJson, recordTtlSeconds));
  }

  /**
   * A model call's start, in one atomic command: unless its request is cancelled, appends its
   * `started` event; with `withRecord`, also returns the request's record as stored (null if gone).
   */
  async start(started: RequestEvent, withRecord: boolean): Promise<{ cancelled: true } | { cancelled: false; record: string | null }> {
    const keys = requestKeys(started.requestId);
    const [cancelled, record] = await (this.redis as EventsRedis).orchStartCall(keys.cancel, keys.meta, keys.events, this.maxLen, JSON.stringify(started), this.ttlSeconds, withRecord ? '1' : '0');
    return cancelled === 1 ? { cancelled: true } : { cancelled: false, record: record ?? null };
  }

  /**
   * Ends a request in one atomic command: stores its final record (`recordJson`, kept
   * `recordTtlSeconds`), appends `event` (its `done`), drops the driver lease and compacts the
   * stream to its `error` events and `done` (the output is in the record), kept
   * `finishedTtlSeconds` for followers on their way; later ones are told the end from the record.
   * Returns the `done` event's id, or undefined when the stored record had already ended (then
   * nothing is written: a request has one `done`). `before` (a one-call request's `result`) is
   * appended just before `done`, in the same step, or not at all.
   */
  async finish(event: RequestEvent, recordJson: string, recordTtlSeconds: number, before?: RequestEvent): Promise<string | undefined> {
    const keys = requestKeys(event.requestId);
    const id = await (this.redis as EventsRedis).orchFinishRequest(keys.events, keys.meta, keys.driver, keys.compacting, this.maxLen, JSON.stringify(event), this.finishedTtlSeconds, recordJson, recordTtlSeconds, ...(before ? [JSON.stringify(before)] : []));
    return id ?? undefined;
  }

  /** Events after `after` (exclusive), oldest first. */
  async read(requestId: string, after = '0-0', count = 1000): Promise<StoredRequestEvent[]> {
    const start = after === '0' || after === '0-0' ? '-' : `(${after}`;
    const rows = await this.redis.xrange(requestKeys(requestId).events, start, '+', 'COUNT', count);
    return rows.map(([id, fields]) => parseEntry(id, fields)).filter((e): e is StoredRequestEvent => e !== undefined);
  }

  /**
   * What an earlier run of a model call (`jobId`) left: its recorded `result` event, or `'ended'`
   * when the whole request has ended (its stream was compacted to errors and `done`), or undefined.
   * Read when a call's job runs again (its worker died, or lost its lock while Redis was away), so
   * an answer the provider already gave — and billed — is not asked for again.
   */
  async earlierRun(requestId: string, jobId: string): Promise<Extract<StoredRequestEvent, { type: 'result' }> | 'ended' | undefined> {
    const key = requestKeys(requestId).events;
    let end = '+';
    for (;;) {
      const rows = await this.redis.xrevrange(key, end, '-', 'COUNT', 500);
      for (const [id, fields] of rows) {
        const event = parseEntry(id, fields);
        if (event?.type === 'done') return 'ended';
        if (event?.type === 'result' && event.jobId === jobId) return event;
      }
      if (rows.length < 500) return undefined;
      end = `(${rows[rows.length - 1]![0]}`;
    }
  }

  /**
   * Yields events as they arrive, starting after `after`. Ends when `signal` aborts or `timeoutMs`
   * passes; the caller decides which event is the last one it needs.
   */
  async *follow(requestId: string, opts: FollowOptions): AsyncGenerator<StoredRequestEvent> {
    const key = requestKeys(requestId).events;
    let last = opts.after ?? '0-0';
    const deadline = opts.timeoutMs !== undefined ? Date.now() + opts.timeoutMs : Infinity;
    const blockMs = opts.blockMs ?? 1000;
    while (!opts.signal?.aborted && Date.now() < deadline) {
      const wait = Math.max(1, Math.min(blockMs, deadline - Date.now()));
      const res = (await opts.blockingRedis.xread('COUNT', 500, 'BLOCK', wait, 'STREAMS', key, last)) as Array<[string, Array<[string, string[]]>]> | null;
      if (!res) continue;
      for (const [, entries] of res) {
        for (const [id, fields] of entries) {
          last = id;
          const event = parseEntry(id, fields);
          if (event) yield event;
        }
      }
    }
  }
}

/** A stream entry → its event, or undefined when it is not one we understand. */
export function parseEntry(id: string, fields: string[]): StoredRequestEvent | undefined {
  const i = fields.indexOf('e');
  if (i < 0) return undefined;
  const parsed = RequestEventSchema.safeParse(JSON.parse(fields[i + 1] ?? 'null'));
  return parsed.success ? { ...parsed.data, id } : undefined;
}
