#!/usr/bin/env node
// Ledger throughput: reserve+settle pairs per second against a private local redis-server,
// one client (sequential) and 8 concurrent clients, several alternating rounds, medians reported.
// Usage: node bench/ledger.mjs [--smoke]   (needs `pnpm build` first)
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
const require = createRequire(import.meta.url);
const { Redis } = require('../packages/ledger/node_modules/ioredis');
const { Ledger } = require('../packages/ledger/dist/index.js');
const { startRedis } = require('../packages/testing/dist/index.js');

const smoke = process.argv.includes('--smoke');
const seconds = smoke ? 0.5 : 3;
const rounds = smoke ? 1 : 5;
const server = await startRedis();
const limits = { maxCostPerRequest: 1e6, dailyLimit: 1e9, warningThreshold: 1, timeZone: 'UTC' };
let seq = 0;

async function run(clients) {
  const conns = Array.from({ length: clients }, () => new Redis(server.url));
  const ledgers = conns.map((redis) => new Ledger({ redis, limits, keyPrefix: '{bench}' }));
  const until = Date.now() + seconds * 1000;
  let pairs = 0;
  await Promise.all(
    ledgers.map(async (ledger) => {
      while (Date.now() < until) {
        const n = ++seq;
        const res = await ledger.reserve({ jobId: `j${n}`, attempt: 1, requestId: `r${n % 1000}`, model: 'm', provider: 'p', estimateUsd: 0.01 });
        await ledger.settle(res, 0.005);
        pairs++;
      }
    }),
  );
  for (const c of conns) c.disconnect();
  return pairs / seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const single = [];
const eight = [];
for (let i = 0; i < rounds; i++) {
  single.push(await run(1));
  eight.push(await run(8));
}
await server.stop();
const redisVersion = execFileSync('redis-server', ['--version']).toString().split(' ')[2];
const line = `| ${new Date().toISOString().slice(0, 10)} | ${os.cpus().length} × ${os.cpus()[0]?.model.trim()} | Node ${process.version} | Redis ${redisVersion.replace('v=', '')} | ${Math.round(median(single))} | ${Math.round(median(eight))} | ${rounds} × ${seconds}s |`;
process.stdout.write(`reserve+settle pairs/s (median of ${rounds}): 1 client ${Math.round(median(single))}, 8 clients ${Math.round(median(eight))}\n${line}\n`);
