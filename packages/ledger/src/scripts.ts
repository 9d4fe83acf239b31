import { join } from 'node:path';
import { defineLuaScripts, type RedisClient } from '@orch/queue';

/** A standalone, sentinel-managed or Cluster connection: the ledger's keys share one hash slot. */
export type { RedisClient };

/** The ledger's Lua scripts (src/lua), by the command each becomes (defineLuaScripts). */
const SCRIPTS = { ledgerReserve: 'reserve-6.lua', ledgerSettle: 'settle-10.lua', ledgerExtend: 'extend-2.lua', ledgerReap: 'reap-1.lua' } as const;

export type LedgerRedis = RedisClient & {
  ledgerReserve(...args: Array<string | number>): Promise<number[]>;
  ledgerSettle(...args: Array<string | number>): Promise<number[]>;
  ledgerExtend(...args: Array<string | number>): Promise<number>;
  ledgerReap(...args: Array<string | number>): Promise<number>;
};

/** Registers the ledger scripts on a connection (EVALSHA with a fallback to EVAL, by ioredis). */
export function defineLedgerScripts(redis: RedisClient): LedgerRedis {
  defineLuaScripts(redis, join(__dirname, 'lua'), SCRIPTS);
  return redis as LedgerRedis;
}
