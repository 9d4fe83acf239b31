import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from './redis';

/**
 * The one way a Lua script reaches Redis here (the queue's event scripts, the ledger's): one script
 * per file, named `<name>-<KEYS count>.lua`, opening with a `--[[ ]]` header that says what it does
 * and lists its KEYS and ARGV; each file is defined once per connection as a command (ioredis sends
 * EVALSHA and falls back to EVAL when Redis has not seen the script). Define them before a connection
 * that pipelines automatically sends anything: ioredis cannot run a command defined while an automatic
 * pipeline is already open (ioredis #1931).
 */
export function defineLuaScripts(redis: RedisClient, dir: string, commands: Readonly<Record<string, string>>): void {
  for (const [command, file] of Object.entries(commands)) {
    if (typeof (redis as unknown as Record<string, unknown>)[command] === 'function') continue;
    const keys = /-(\d+)\.lua$/.exec(file);
    if (!keys) throw new Error(`${file}: a Lua script's file name ends in its KEYS count (name-N.lua)`);
    redis.defineCommand(command, { numberOfKeys: Number(keys[1]), lua: readFileSync(join(dir, file), 'utf8') });
  }
}
