// Section 1's side (c) — REST bridge, one worker, its own Redis, the zero-latency fake — run from
// several built checkouts, alternating round by round, with each process's CPU and write system
// calls per call apart. For a change whose effect is smaller than this machine's noise in one
// `pnpm bench overhead` run: many short rounds, medians. Not part of `pnpm bench`. A side named
// `floor` is section 1's floor (bench/floor, its own Redis), process by process beside ours;
// `floor+sdk+reads+record+ledger` (any of those parts, in any order) is the floor with what this
// project must also do added to it (bench/floor's FLOOR_WITH): the ladder from the floor to ours.
// The last column pairs each round with the first side's same round (its CPU per call over the
// first side's): its spread says whether a difference stands out from this machine's drift.
//   [BENCH_RATE=<req/s>] node bench/builds-ab.mjs <checkout|floor>[,…] [concurrencies=10,50] [rounds=10] [seconds=5]
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { APP_READY_TEXT, freePort, spawnService, startRedis } from '@orch/testing';
import { floorParts } from './floor/parts.mjs';
import { KEY, cpuSeconds, log, median, restSideEnv, round, runIfMain, startFakeProcess, table, writeSyscalls } from './lib.mjs';

export async function run() {
  const [list, conns = '10,50', rounds = '10', seconds = '5'] = process.argv.slice(2);
  if (!list) throw new Error('usage: node bench/builds-ab.mjs <checkout>[,<checkout>…] [concurrencies] [rounds] [seconds]');
  const names = list.split(',');
  // A misspelt floor part fails before anything starts, not as a floor that never says it is ready.
  for (const name of names) if (floorSide(name) !== undefined) floorParts(floorSide(name));
  const fake = await startFakeProcess('openrouter', { latencyMs: 0, completionTokens: 24 });
  const sides = [];
  try {
    for (const name of names) {
      const redis = await startRedis();
      const port = await freePort();
      if (floorSide(name) !== undefined) {
        sides.push({ checkout: name, ...(await startFloor(redis, port, fake.baseURL, floorSide(name))) });
        continue;
      }
      const checkout = resolve(name);
      const env = { MCP_LOG_LEVEL: 'info', ...restSideEnv(redis.url, fake.baseURL, port) };
      const app = (name) => spawnService({ script: join(checkout, 'apps', name, 'dist', 'main.js'), env, readyText: APP_READY_TEXT[name] });
      const worker = await app('worker-openrouter');
      const door = await app('rest-bridge');
      sides.push({ checkout, port, redis, call: OURS, children: [worker.child, door.child], pids: { door: door.child.pid, worker: worker.child.pid, redis: redis.process.pid } });
    }
    // BENCH_RATE: every side is sent the same requests per second (autocannon's overallRate) instead
    // of as many as its connections get answered: CPU per call compared at equal load.
    const overallRate = Number(process.env.BENCH_RATE ?? 0);
    const cannon = ({ port, call }, connections, duration) =>
      new Promise((ok, fail) => autocannon({ url: `http://127.0.0.1:${port}${call.path}`, method: 'POST', headers: { 'content-type': 'application/json' }, body: call.body, connections, duration, ...(overallRate ? { overallRate } : {}) }, (err, res) => (err ? fail(err) : ok(res))));
    const rows = [];
    for (const connections of conns.split(',').map(Number)) {
      for (const side of sides) await cannon(side, connections, 3);
      const samples = sides.map(() => []);
      for (let r = 0; r < Number(rounds); r++) {
        for (const [i, side] of sides.entries()) {
          const before = Object.fromEntries(Object.entries(side.pids).map(([name, pid]) => [name, { cpu: cpuSeconds(pid), writes: writeSyscalls(pid) }]));
          const res = await cannon(side, connections, Number(seconds));
          if (res.non2xx || res.errors) throw new Error(`${side.checkout}: ${res.non2xx} non-2xx, ${res.errors} errors`);
          const n = res.requests.total;
          const sample = { 'req/s': res.requests.average };
          for (const [name, pid] of Object.entries(side.pids)) {
            sample[`${name} CPU ms`] = ((cpuSeconds(pid) - before[name].cpu) * 1000) / n;
            sample[`${name} writes`] = (writeSyscalls(pid) - before[name].writes) / n;
          }
          sample['CPU ms'] = sample['door CPU ms'] + sample['worker CPU ms'] + sample['redis CPU ms'];
          samples[i].push(sample);
          log(`builds-ab c=${connections} round ${r + 1} ${side.checkout}: ${Math.round(sample['req/s'])} req/s, ${round(sample['CPU ms'], 2)} ms CPU per call`);
        }
      }
      for (const [i, side] of sides.entries()) {
        const row = { c: connections, checkout: side.checkout };
        for (const key of Object.keys(samples[i][0])) row[key] = round(median(samples[i].map((s) => s[key])), 2);
        // Each round's CPU per call over the first side's in the same round: a drift of the machine's
        // speed moves both, so the paired ratios spread less than the medians' ratio can mislead.
        const ratios = samples[i].map((s, r) => s['CPU ms'] / samples[0][r]['CPU ms']);
        row['CPU vs first, paired: median (min–max)'] = i === 0 ? '–' : `${round(median(ratios), 2)} (${round(Math.min(...ratios), 2)}–${round(Math.max(...ratios), 2)})`;
        rows.push(row);
      }
    }
    return { title: 'builds-ab', text: table(rows) };
  } finally {
    for (const side of sides) {
      for (const child of side.children) child.kill('SIGKILL');
      await side.redis.stop();
    }
    fake.child.kill('SIGKILL');
  }
}

/** A side named `floor` or `floor+<parts>`: its parts (FLOOR_WITH, '' for the floor alone); undefined for a checkout. */
const floorSide = (name) => (name === 'floor' ? '' : name.startsWith('floor+') ? name.slice('floor+'.length) : undefined);

/** The same call to each side: our REST tool call, or the floor's `/call` with the model id. */
const OURS = { path: '/mcp/query_specific_model', body: JSON.stringify({ model: 'gemini_pro', description: 'Say hello in five words.' }) };
const FLOOR = { path: '/call', body: JSON.stringify({ model: 'google/gemini-2.5-pro', messages: [{ role: 'user', content: 'Say hello in five words.' }] }) };

/** Section 1's floor (bench/floor: its door and worker) on `redis`, its door on `port`, with the parts `parts` names (FLOOR_WITH). */
async function startFloor(redis, port, providerURL, parts) {
  const env = { REDIS_URL: redis.url, PROVIDER_URL: providerURL, PROVIDER_KEY: KEY, PORT: String(port), FLOOR_WITH: parts };
  const floor = (name) => spawnService({ script: fileURLToPath(new URL(`floor/${name}.mjs`, import.meta.url)), env, readyText: `floor ${name} ready` });
  const worker = await floor('worker');
  const door = await floor('door');
  return { port, redis, call: FLOOR, children: [worker.child, door.child], pids: { door: door.child.pid, worker: worker.child.pid, redis: redis.process.pid } };
}

await runIfMain(import.meta.url, run);
