// 3. Ledger: reserve+settle pairs per second against a private redis-server, one client
// (sequential) and 8 concurrent clients, alternating rounds, medians; then the race check:
// N concurrent reservations against a daily limit that fits exactly L of them → L admitted, no overshoot.
import { Redis } from 'ioredis';
import { Ledger, BudgetExceededError } from '@orch/ledger';
import { startRedis } from '@orch/testing';
import { cpuSeconds, evalshaMicros, log, median, round, runIfMain, smoke, table } from './lib.mjs';

export async function run() {
  const seconds = smoke ? 0.5 : 3;
  const rounds = smoke ? 1 : 5;
  const server = await startRedis();
  const limits = { maxCostPerRequest: 1e6, dailyLimit: 1e9, warningThreshold: 1, timeZone: 'UTC' };
  let seq = 0;
  const throughput = async (clients) => {
    const conns = Array.from({ length: clients }, () => new Redis(server.url));
    const ledgers = conns.map((redis) => new Ledger({ redis, limits, keyPrefix: '{bench}' }));
    const cpu0 = [cpuSeconds(server.process.pid), cpuSeconds(process.pid)];
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
    // CPU % of Redis's one thread and of this process (the clients) over the round.
    const cpu = [cpuSeconds(server.process.pid) - cpu0[0], cpuSeconds(process.pid) - cpu0[1]].map((c) => (100 * c) / seconds);
    return { rate: pairs / seconds, redisCpu: cpu[0], clientCpu: cpu[1] };
  };
  const race = async (n, fits) => {
    const conns = Array.from({ length: 8 }, () => new Redis(server.url));
    const estimate = 0.08;
    const raceLimits = { ...limits, dailyLimit: estimate * fits, timeZone: 'UTC' };
    const keyPrefix = `{race${++seq}}`;
    const ledgers = conns.map((redis) => new Ledger({ redis, limits: raceLimits, keyPrefix }));
    let admitted = 0;
    let refused = 0;
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        try {
          await ledgers[i % 8].reserve({ jobId: `race${i}`, attempt: 1, requestId: `rr${i}`, model: 'm', provider: 'p', estimateUsd: estimate });
          admitted++;
        } catch (err) {
          if (!(err instanceof BudgetExceededError)) throw err;
          refused++;
        }
      }),
    );
    const report = await ledgers[0].report();
    for (const c of conns) c.disconnect();
    const committed = report.spentUsd + report.reservedUsd;
    return { admitted, refused, overshootUsd: Math.max(0, committed - raceLimits.dailyLimit) };
  };
  try {
    const single = [];
    const eight = [];
    const cpu8 = { redis: [], client: [] };
    for (let i = 0; i < rounds; i++) {
      single.push((await throughput(1)).rate);
      const r8 = await throughput(8);
      eight.push(r8.rate);
      cpu8.redis.push(r8.redisCpu);
      cpu8.client.push(r8.clientCpu);
      log(`ledger round ${i + 1}: 1 client ${Math.round(single.at(-1))}, 8 clients ${Math.round(eight.at(-1))} pairs/s (Redis ${Math.round(r8.redisCpu)}%, clients ${Math.round(r8.clientCpu)}% CPU)`);
    }
    // Redis's own time per script call, over every round (INFO commandstats), then per script.
    const stats = new Redis(server.url);
    const usPerScript = await evalshaMicros(stats);
    const perScript = { reserve: [], settle: [] };
    for (let i = 0; i < rounds; i++) {
      const us = await scriptCosts(server.url, stats, smoke ? 400 : 4000, () => ++seq);
      perScript.reserve.push(us.reserve);
      perScript.settle.push(us.settle);
    }
    stats.disconnect();
    const reserveUs = round(median(perScript.reserve));
    const settleUs = round(median(perScript.settle));
    const r = await race(200, 50);
    const ok8 = median(eight) >= 10_000;
    const scriptsOk = reserveUs <= 20 && settleUs <= 20;
    const limit = `Per script (8 clients, ${rounds} rounds, medians of Redis's own accounting): reserve ${reserveUs} µs, settle ${settleUs} µs (target ≤ 20 each) → ${scriptsOk ? 'target met' : 'target NOT met'}. With 8 clients Redis's one thread was ${Math.round(median(cpu8.redis))}% busy and the clients' process ${Math.round(median(cpu8.client))}% (medians); Redis spent ${round(usPerScript)} µs per script call, so one Redis core tops out near ${Math.round(1e6 / (2 * usPerScript))} pairs/s on this machine.`;
    const raceOk = r.admitted === 50 && r.overshootUsd === 0;
    return {
      title: '3. Ledger',
      text: `Each pair = one reserve and one settle EVALSHA (reserve-6.lua, settle-10.lua); ${rounds} alternating rounds of ${seconds} s, medians.\n\n${table([
        { clients: 1, 'pairs/s': Math.round(median(single)) },
        { clients: 8, 'pairs/s': Math.round(median(eight)) },
      ])}\n\n8 clients: ${Math.round(median(eight))} pairs/s (target ≥ 10,000) → ${ok8 ? 'target met' : 'target NOT met'}. ${limit}\n\nRace: 200 concurrent reservations over 8 connections against a daily limit that fits 50 → ${r.admitted} admitted, ${r.refused} refused, overshoot $${r.overshootUsd} → ${raceOk ? 'zero overshoot' : 'OVERSHOOT'}.`,
      summary: { single: median(single), eight: median(eight), race: r, redisCpu: median(cpu8.redis), clientCpu: median(cpu8.client), usPerScript, reserveUs, settleUs },
    };
  } finally {
    await server.stop();
  }
}

/** Redis's time per reserve and per settle call: `n` of each over 8 connections, stats reset between. */
async function scriptCosts(url, stats, n, next) {
  const conns = Array.from({ length: 8 }, () => new Redis(url));
  const limits = { maxCostPerRequest: 1e6, dailyLimit: 1e9, warningThreshold: 1, timeZone: 'UTC' };
  const ledgers = conns.map((redis) => new Ledger({ redis, limits, keyPrefix: '{bench}' }));
  const held = ledgers.map(() => []);
  await stats.config('RESETSTAT');
  await Promise.all(ledgers.map(async (ledger, c) => {
    for (let i = 0; i < n / 8; i++) {
      const id = next();
      held[c].push(await ledger.reserve({ jobId: `s${id}`, attempt: 1, requestId: `r${id % 1000}`, model: 'm', provider: 'p', estimateUsd: 0.01, key: { id: `k${c}` } }));
    }
  }));
  const reserve = await evalshaMicros(stats);
  await stats.config('RESETSTAT');
  await Promise.all(ledgers.map(async (ledger, c) => {
    for (const res of held[c]) await ledger.settle(res, 0.005);
  }));
  const settle = await evalshaMicros(stats);
  for (const c of conns) c.disconnect();
  return { reserve, settle };
}

await runIfMain(import.meta.url, run);
