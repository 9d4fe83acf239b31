import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '@orch/queue';
import { z } from 'zod';
import { ApiKeyRecordSchema, ApiKeySettingsSchema, ApiKeyUpdateSchema, OrchestratorError, readRecord, type ApiKeyRecord, type KeyBudget } from '@orch/contracts';
import type { Logger } from '@orch/logging';
import { API_KEY_KEYS } from '@orch/queue';
import { callerForKey, keylessCaller } from './caller-auth';
import { describeZodError } from '../argument-errors';
import type { Caller } from './caller';

/** A managed key as kept in Redis: the shown record and the SHA-256 of the key (never the key). */
const StoredKeySchema = ApiKeyRecordSchema.extend({ hash: z.string() });
type StoredKey = z.infer<typeof StoredKeySchema>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const KEY_PREFIX = 'orch_sk_';
const shown = ({ hash: _hash, ...record }: StoredKey): ApiKeyRecord => record;

/** The caller id of a managed key: its ledger windows, threads and settings are kept under it. */
export const managedCallerId = (id: string) => `key:${id}`;

/** What the ledger needs of a caller: its id, and its budgets when it is a managed key with some. */
export function keyBudget(caller: Caller): KeyBudget {
  const k = caller.key;
  return {
    id: caller.id,
    ...(k ? { name: k.name } : {}),
    ...(k?.daily_usd !== undefined ? { dailyUsd: k.daily_usd } : {}),
    ...(k?.monthly_usd !== undefined ? { monthlyUsd: k.monthly_usd } : {}),
  };
}

/**
 * Caller keys: the static ones from ORCH_API_KEYS, and managed ones kept hashed in Redis, each with
 * a name, budgets, a rate limit and a model allow-list. Every front door looks a key up on every
 * request (one round trip), so a revoked or rotated key is refused at once everywhere.
 * The doors are open (every caller is `local`) only while no key of either kind has ever existed:
 * a revoked key keeps its record, so revoking the last one leaves the doors closed; a key store
 * that empties under a running process (Redis flushed, or restarted without persistence) closes
 * them and says why; `requireKeys` never opens them.
 */
export class ApiKeys {
  /** This process has seen managed keys: an empty store now means a lost one, not a fresh install. */
  private sawKeys = false;
  private toldLost = false;

  constructor(private readonly opts: { redis: RedisClient; staticKeys: readonly string[]; requireKeys?: boolean; logger?: Pick<Logger, 'error'>; now?: () => number }) {}

  /** The caller a bearer key identifies, or undefined (refuse with 401). */
  async authenticate(presented: string | undefined, fileAccess: boolean): Promise<Caller | undefined> {
    const { redis, staticKeys } = this.opts;
    if (presented && staticKeys.length) {
      const caller = callerForKey(presented, staticKeys, fileAccess);
      if (caller) return caller;
    }
    // Two reads, not a MULTI: a full Redis refuses every command queued in a MULTI, reads included,
    // and a full Redis must still tell callers who they are (and that it is full).
    // A caller that presented no key has none to look up: whether keys exist is all there is to read.
    const [id, count] = await Promise.all([presented ? redis.hget(API_KEY_KEYS.byHash, sha256(presented)) : null, redis.hlen(API_KEY_KEYS.records)]);
    if (Number(count) > 0) this.sawKeys = true;
    if (id) {
      const record = await this.stored(id);
      if (record && !record.revoked_at && record.hash === sha256(presented!)) return { id: managedCallerId(id), fileAccess, key: shown(record) };
    }
    if (staticKeys.length || this.opts.requireKeys || Number(count) > 0) return undefined;
    if (this.sawKeys) {
      if (!this.toldLost) {
        this.toldLost = true;
        this.opts.logger?.error('the key store in Redis is empty though it held keys (Redis was flushed or lost its data): every caller is refused; restore Redis from its backup or create keys with the admin API');
      }
      return undefined;
    }
    return keylessCaller(fileAccess);
  }

  /** Creates a key. The key is in the answer once and nowhere else. */
  async create(settings: unknown): Promise<{ key: string; record: ApiKeyRecord }> {
    const parsed = ApiKeySettingsSchema.safeParse(settings);
    if (!parsed.success) throw describeZodError(parsed.error);
    const id = `k_${randomBytes(8).toString('hex')}`;
    const key = newKey();
    const record: StoredKey = { ...parsed.data, id, prefix: key.slice(0, KEY_PREFIX.length + 4), created_at: this.nowIso(), hash: sha256(key) };
    await this.opts.redis.multi().hset(API_KEY_KEYS.records, id, JSON.stringify(record)).hset(API_KEY_KEYS.byHash, record.hash, id).exec();
    return { key, record: shown(record) };
  }

  async list(): Promise<ApiKeyRecord[]> {
    const all = await this.opts.redis.hvals(API_KEY_KEYS.records);
    return all.flatMap((raw) => {
      const r = readRecord(StoredKeySchema, raw);
      return r ? [shown(r)] : [];
    }).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async get(id: string): Promise<ApiKeyRecord> {
    return shown(await this.existing(id));
  }

  /** Changes a key's name, budgets, rate limit or models (`null` clears one). Takes effect on its next call. */
  async update(id: string, change: unknown): Promise<ApiKeyRecord> {
    const parsed = ApiKeyUpdateSchema.safeParse(change);
    if (!parsed.success) throw describeZodError(parsed.error);
    const record: Record<string, unknown> = { ...(await this.existing(id)) };
    for (const [field, value] of Object.entries(parsed.data)) {
      if (value === null) delete record[field];
      else if (value !== undefined) record[field] = value;
    }
    const next = StoredKeySchema.parse(record);
    await this.opts.redis.hset(API_KEY_KEYS.records, id, JSON.stringify(next));
    return shown(next);
  }

  /** A new key for the same record (budgets and spend go on); the old key is refused from now on. */
  async rotate(id: string): Promise<{ key: string; record: ApiKeyRecord }> {
    const old = await this.existing(id);
    if (old.revoked_at) throw new OrchestratorError('invalid_arguments', `id: key ${id} is revoked; create a new one`, { details: { field: 'id' } });
    const key = newKey();
    const record: StoredKey = { ...old, prefix: key.slice(0, KEY_PREFIX.length + 4), rotated_at: this.nowIso(), hash: sha256(key) };
    // The old key is refused first, alone: a deletion passes even a full Redis.
    await this.opts.redis.hdel(API_KEY_KEYS.byHash, old.hash);
    await this.opts.redis.multi().hset(API_KEY_KEYS.records, id, JSON.stringify(record)).hset(API_KEY_KEYS.byHash, record.hash, id).exec();
    return { key, record: shown(record) };
  }

  /** Refuses the key from now on; its record stays (its spend is still reported). */
  async revoke(id: string): Promise<ApiKeyRecord> {
    const old = await this.existing(id);
    const record: StoredKey = { ...old, revoked_at: old.revoked_at ?? this.nowIso() };
    // Refused first, alone: a deletion passes even a full Redis, so a key can always be revoked.
    await this.opts.redis.hdel(API_KEY_KEYS.byHash, old.hash);
    await this.opts.redis.hset(API_KEY_KEYS.records, id, JSON.stringify(record));
    return shown(record);
  }

  private async stored(id: string): Promise<StoredKey | undefined> {
    return readRecord(StoredKeySchema, await this.opts.redis.hget(API_KEY_KEYS.records, id));
  }

  private async existing(id: string): Promise<StoredKey> {
    const record = await this.stored(id);
    if (!record) throw new OrchestratorError('not_found', `id: no key ${id}`, { details: { field: 'id' } });
    return record;
  }

  private nowIso(): string {
    return new Date((this.opts.now ?? Date.now)()).toISOString();
  }
}

function newKey(): string {
  return `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
}
