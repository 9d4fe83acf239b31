import type { RedisClient, RequestEvents } from '@orch/queue';
import { RequestRecordSchema, readRecord, type DoneEvent, type RequestEvent, type RequestRecord } from '@orch/contracts';
import { callerKeys, requestKeys } from '@orch/queue';

export type { RequestRecord };

/** A caller's request index is trimmed on about one create in this many (and before every read). */
const TRIM_EVERY = 32;

/**
 * Request records (`orch:req:{id}:meta`): readable by every front door. A running request's record
 * is kept while it is driven, however long it runs: its TTL (`runningTtlSeconds`, at least the
 * retention) is renewed with its driver's lease, so a driver taking it over always finds it, and a
 * record no driver ever took (its acceptance failed while Redis was away) still expires. An ended
 * one is kept `ttlSeconds` counted from its end (the finish script, or `put` of an ended record).
 */
export class RequestStore {
  constructor(private readonly opts: { redis: RedisClient; events: RequestEvents; ttlSeconds: number; driverLeaseSeconds?: number; keepPerCaller?: number }) {}

  get leaseSeconds(): number {
    return this.opts.driverLeaseSeconds ?? 30;
  }

  /** How long records are kept, in seconds. */
  get ttlSeconds(): number {
    return this.opts.ttlSeconds;
  }

  /** The record as stored, its `updatedAt` set to now. */
  serialize(record: RequestRecord): string {
    record.updatedAt = new Date().toISOString();
    return JSON.stringify(record);
  }

  /** Stores the record: with the running TTL while it runs, with the retention once it has ended. */
  async put(record: RequestRecord): Promise<void> {
    const key = requestKeys(record.requestId).meta;
    await this.opts.redis.set(key, this.serialize(record), 'EX', record.status === 'running' ? this.runningTtlSeconds : this.opts.ttlSeconds);
  }

  /** A running record's TTL, renewed with the driver's lease: the retention, and never under two leases. */
  get runningTtlSeconds(): number {
    return Math.max(this.opts.ttlSeconds, 2 * this.leaseSeconds);
  }

  /**
   * Stores a new request and indexes it under its caller (the newest `keepPerCaller`). Plain
   * commands, not MULTI: the connection pipelines them into one write, and a lost index entry only
   * hides the request from the caller's history. The index is trimmed on one create in
   * `TRIM_EVERY` (on average) and by every read before it counts, not on every create. `first`:
   * the request's first event, appended with the record in one step (RequestEvents.begin); its
   * stream id is returned (a reader that waits from there is not woken for it).
   */
  async create(record: RequestRecord, first?: RequestEvent): Promise<string | undefined> {
    const index = callerKeys(record.callerId).requests;
    const r = this.opts.redis;
    const stored = first ? this.opts.events.begin(first, this.serialize(record), this.runningTtlSeconds) : this.put(record).then(() => undefined);
    const [firstId] = await Promise.all([
      stored,
      r.zadd(index, Date.parse(record.createdAt), record.requestId),
      r.expire(index, this.opts.ttlSeconds),
      ...(Math.random() < 1 / TRIM_EVERY ? this.trim(index, Date.parse(record.createdAt)) : []),
    ]);
    return firstId;
  }

  /** Keeps a caller's index to its newest `keepPerCaller` entries whose records may still exist. */
  private trim(index: string, nowMs: number): Array<Promise<number>> {
    const r = this.opts.redis;
    return [r.zremrangebyrank(index, 0, -(this.opts.keepPerCaller ?? 1000) - 1), r.zremrangebyscore(index, '-inf', `(${nowMs - this.opts.ttlSeconds * 1000}`)];
  }

  /** A caller's requests, newest first (records that expired are skipped). */
  async listForCaller(callerId: string, limit: number, offset = 0): Promise<RequestRecord[]> {
    await Promise.all(this.trim(callerKeys(callerId).requests, Date.now()));
    const ids = await this.opts.redis.zrevrange(callerKeys(callerId).requests, offset, offset + limit - 1);
    if (!ids.length) return [];
    const raws = await Promise.all(ids.map((id) => this.opts.redis.get(requestKeys(id).meta)));
    return raws.map((r) => readRecord(RequestRecordSchema, r)).filter((r): r is RequestRecord => r !== undefined);
  }

  /** How many requests the caller's list holds (within the retention). */
  async countForCaller(callerId: string): Promise<number> {
    await Promise.all(this.trim(callerKeys(callerId).requests, Date.now()));
    return this.opts.redis.zcard(callerKeys(callerId).requests);
  }

  async get(requestId: string): Promise<RequestRecord | undefined> {
    const raw = await this.opts.redis.get(requestKeys(requestId).meta);
    return readRecord(RequestRecordSchema, raw);
  }

  /**
   * Ends a running request that has no driver to end it: its record (kept `ttlSeconds`) and `done`
   * in one step, which writes nothing when the stored record has ended already (its end stands).
   */
  async end(record: RequestRecord, done: DoneEvent): Promise<boolean> {
    return (await this.opts.events.finish(done, this.serialize(record), this.opts.ttlSeconds)) !== undefined;
  }

  /** Removes a request that was never accepted: its record, its lease, its events and its place in the caller's list. */
  async discard(record: RequestRecord): Promise<void> {
    const keys = requestKeys(record.requestId);
    await Promise.all([this.opts.redis.del(keys.meta, keys.driver, keys.events), this.opts.redis.zrem(callerKeys(record.callerId).requests, record.requestId)]);
  }

  /** Marks this process as the request's driver for the next lease period (the door, as it accepts it). */
  async holdDriver(requestId: string, owner: string): Promise<void> {
    await this.opts.redis.set(requestKeys(requestId).driver, owner, 'EX', this.leaseSeconds);
  }

  /** The driver's lease renewal: the lease, and the running record's TTL with it (it is kept while driven). */
  async renewDriver(requestId: string, owner: string): Promise<void> {
    await Promise.all([this.holdDriver(requestId, owner), this.opts.redis.expire(requestKeys(requestId).meta, this.runningTtlSeconds)]);
  }

  async driverAlive(requestId: string): Promise<boolean> {
    return (await this.opts.redis.exists(requestKeys(requestId).driver)) === 1;
  }
}
