import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';

/** A standalone, sentinel-managed or Cluster connection: the ledger's keys share one hash slot. */
export type RedisClient = Redis | Cluster;

/** One Lua script per file; the number in the name is its KEYS count (docs/conventions.md). */
const SCRIPTS = { reserve: 'reserve-6.lua', settle: 'settle-10.lua', extend: 'extend-2.lua', reap: 'reap-1.lua' } as const;

export type LedgerRedis = RedisClient & {
  ledgerReserve(...args: Array<string | number>): Promise<number[]>;
  ledgerSettle(...args: Array<string | number>): Promise<number[]>;
  ledgerExtend(...args: Array<string | number>): Promise<number>;
  ledgerReap(...args: Array<string | number>): Promise<number>;
};

/** Registers the ledger scripts on a connection (EVALSHA with a fallback to EVAL, by ioredis). */
export function defineLedgerScripts(redis: RedisClient): LedgerRedis {
  const r = redis as LedgerRedis;
  if (typeof r.ledgerReserve === 'function') return r;
  for (const [name, file] of Object.entries(SCRIPTS)) {
    const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)![1]);
    const lua = readFileSync(join(__dirname, 'lua', file), 'utf8');
    redis.defineCommand(`ledger${name[0]!.toUpperCase()}${name.slice(1)}`, { numberOfKeys, lua });
  }
  return r;
}
