// Two versions of the ledger's reserve and settle scripts, side by side: raw EVALSHA from 8 clients
// (no Ledger class on top), 5 alternating rounds, each on a fresh redis-server; medians of pairs/s and
// of each script's own time in Redis (INFO commandstats). For a change to the Lua:
//   git show <commit>:packages/ledger/src/lua/reserve-6.lua > /tmp/old/reserve-6.lua  (and settle-10.lua)
//   node bench/ledger-ab.mjs /tmp/old [packages/ledger/src/lua]
import { Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { startRedis } from '@orch/testing';
import { evalshaMicros } from './lib.mjs';
const [oldDir, newDir = new URL('../packages/ledger/src/lua/', import.meta.url).pathname] = process.argv.slice(2);
if (!oldDir) {
  process.stderr.write('usage: node bench/ledger-ab.mjs <old lua dir> [<new lua dir>]\n');
  process.exit(2);
}
const dirs = { old: oldDir, new: newDir };
const out = { old: { reserve: [], settle: [], pairs: [] }, new: { reserve: [], settle: [], pairs: [] } };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (let round = 0; round < 5; round++) for (const side of ['old', 'new']) {
  const server = await startRedis();
  const conns = Array.from({ length: 8 }, () => new Redis(server.url));
  const stats = new Redis(server.url);
  const sha = {};
  for (const f of ['reserve-6.lua', 'settle-10.lua']) sha[f] = await stats.script('LOAD', readFileSync(`${dirs[side]}/${f}`, 'utf8'));
  const p = '{b}:'; let n = 0;
  const usPer = () => evalshaMicros(stats);
  const reserve = (c, id) => c.evalsha(sha['reserve-6.lua'], 6, `${p}day:d`, `${p}req:r${id % 1000}`, `${p}res:j${id}:1`, `${p}leases`, `${p}key:k${id % 8}:day:d`, `${p}key:k${id % 8}:month:m`, 10000000, 1e15, 1e15, Date.now() + 60000, `j${id}:1`, `r${id % 1000}`, 'd', 'm', 'p', 86400, 7200, 86400 * 400, -1, -1, `k${id % 8}`);
  const settle = (c, id) => c.evalsha(sha['settle-10.lua'], 10, `${p}res:j${id}:1`, `${p}day:d`, `${p}req:r${id % 1000}`, `${p}leases`, `${p}day:d:models`, `${p}day:d:providers`, `${p}day:d:spend-index`, `${p}key:k${id % 8}:day:d`, `${p}key:k${id % 8}:month:m`, `${p}day:d:keys`, 5000000, `j${id}:1`, 'm', 'p', `r${id % 1000}`, 86400 * 400, 86400, 'settled', Date.now(), `k${id % 8}`);
  // pairs/s: 8 clients, reserve then settle, 3 s
  const until = Date.now() + 3000; let pairs = 0;
  await Promise.all(conns.map(async (c) => { while (Date.now() < until) { const id = ++n; await reserve(c, id); await settle(c, id); pairs++; } }));
  out[side].pairs.push(pairs / 3);
  const ids = Array.from({ length: 4000 }, () => ++n);
  await stats.config('RESETSTAT');
  await Promise.all(conns.map(async (c, j) => { for (let i = j; i < ids.length; i += 8) await reserve(c, ids[i]); }));
  out[side].reserve.push(await usPer());
  await stats.config('RESETSTAT');
  await Promise.all(conns.map(async (c, j) => { for (let i = j; i < ids.length; i += 8) await settle(c, ids[i]); }));
  out[side].settle.push(await usPer());
  for (const c of [...conns, stats]) c.disconnect();
  await server.stop();
  console.error(side, round, Math.round(pairs / 3), out[side].reserve.at(-1), out[side].settle.at(-1));
}
for (const side of ['old', 'new']) console.log(side, 'pairs/s', Math.round(median(out[side].pairs)), 'reserve µs', median(out[side].reserve), 'settle µs', median(out[side].settle));
