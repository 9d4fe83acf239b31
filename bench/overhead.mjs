// 1. Overhead and throughput against a direct call and Portkey's open-source gateway.
// Same fake provider (its own process, zero latency, non-streaming, small prompt), same load
// generator (autocannon), concurrency 10 and 50, the four sides alternating in every round:
//   (a) direct to the provider, (b) through @portkey-ai/gateway, (c) through our REST bridge →
//   BullMQ → worker → provider → back, with the spend ledger on, and (d) the floor: the least a
//   durable call of the same shape must do (bench/floor: express → queue.add → a BullMQ worker
//   that reserves, calls, settles and XADDs the result → the door's XREAD BLOCK), on its own Redis.
// OVERHEAD_BASELINE=<another checkout, built> adds (c′): side (c) run from that checkout's build, on
// its own Redis, alternating with the others: a change's cost measured side by side in one run.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import autocannon from 'autocannon';
import { APP_READY_TEXT, freePort, monitorRedis, spawnApp, spawnService, startRedis } from '@orch/testing';
import { Redis } from 'ioredis';
import { cpuSeconds, KEY, writeSyscalls, log, median, restSideEnv, round, runIfMain, smoke, startFakeProcess, table } from './lib.mjs';

const here = dirname(new URL(import.meta.url).pathname);
const require = createRequire(import.meta.url);
const MODEL_ID = 'google/gemini-2.5-pro';

function cannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ ...opts, method: 'POST', timeout: 30 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

export async function run() {
  const duration = smoke ? 1 : 10;
  const rounds = smoke ? 1 : 3;
  const redis = await startRedis();
  const floorRedis = await startRedis();
  const baseline = process.env.OVERHEAD_BASELINE;
  const baseRedis = baseline ? await startRedis() : undefined;
  const fake = await startFakeProcess('openrouter', { latencyMs: 0, completionTokens: 24 });
  const procs = [fake.child];
  try {
    // (b) Portkey, bound to loopback.
    const portkeyPort = await freePort();
    const portkeyMain = join(dirname(require.resolve('@portkey-ai/gateway/package.json')), 'build', 'start-server.js');
    const portkey = await spawnService({ script: portkeyMain, nodeArgs: ['--require', join(here, 'loopback.cjs')], args: [`--port=${portkeyPort}`, '--headless'], env: {}, readyText: 'Ready for connections' });
    procs.push(portkey.child);

    // (c) Ours: REST bridge + one OpenRouter worker, the model non-streaming like the others.
    const restPort = await freePort();
    const env = restSideEnv(redis.url, fake.baseURL, restPort);
    const worker = await spawnApp('worker-openrouter', { ...env, MCP_LOG_LEVEL: 'info' });
    const rest = await spawnApp('rest-bridge', { ...env, MCP_LOG_LEVEL: 'info' });
    procs.push(worker.child, rest.child);

    // (d) The floor, on its own Redis so each side's Redis work is its own.
    const floorPort = await freePort();
    const floorEnv = { REDIS_URL: floorRedis.url, PROVIDER_URL: fake.baseURL, PROVIDER_KEY: KEY, PORT: String(floorPort) };
    const floorWorker = await spawnService({ script: join(here, 'floor', 'worker.mjs'), env: floorEnv, readyText: 'floor worker ready' });
    const floorDoor = await spawnService({ script: join(here, 'floor', 'door.mjs'), env: floorEnv, readyText: 'floor door ready' });
    procs.push(floorWorker.child, floorDoor.child);
    const redisOf = { ours: new Redis(redis.url), floor: new Redis(floorRedis.url), ...(baseRedis ? { base: new Redis(baseRedis.url) } : {}) };

    // (c′) Ours as built in another checkout, when asked.
    let base;
    if (baseline && baseRedis) {
      const basePort = await freePort();
      const baseEnv = { MCP_LOG_LEVEL: 'info', ...restSideEnv(baseRedis.url, fake.baseURL, basePort) };
      const app = (name) => spawnService({ script: join(baseline, 'apps', name, 'dist', 'main.js'), env: baseEnv, readyText: APP_READY_TEXT[name] });
      const [w, r] = [await app('worker-openrouter'), await app('rest-bridge')];
      procs.push(w.child, r.child);
      base = { port: basePort, pids: [r.child.pid, w.child.pid, baseRedis.process.pid, fake.child.pid] };
    }

    const prompt = { role: 'user', content: 'Say hello in five words.' };
    // The server-side processes of each path, for CPU per request.
    const pids = {
      direct: [fake.child.pid],
      portkey: [portkey.child.pid, fake.child.pid],
      floor: [floorDoor.child.pid, floorWorker.child.pid, floorRedis.process.pid, fake.child.pid],
      ours: [rest.child.pid, worker.child.pid, redis.process.pid, fake.child.pid],
      ...(base ? { base: base.pids } : {}),
    };
    const sides = {
      direct: { url: `${fake.baseURL}/chat/completions`, headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify({ model: MODEL_ID, messages: [prompt] }) },
      portkey: {
        url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseURL },
        body: JSON.stringify({ model: MODEL_ID, messages: [prompt] }),
      },
      floor: { url: `http://127.0.0.1:${floorPort}/call`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, messages: [prompt] }) },
      ours: { url: `http://127.0.0.1:${restPort}/mcp/query_specific_model`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: prompt.content }) },
      ...(base ? { base: { url: `http://127.0.0.1:${base.port}/mcp/query_specific_model`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: prompt.content }) } } : {}),
    };
    // Each side must really work before it is timed.
    for (const [name, s] of Object.entries(sides)) {
      const res = await fetch(s.url, { method: 'POST', headers: s.headers, body: s.body });
      const text = await res.text();
      if (res.status !== 200 || !text.includes('echo')) throw new Error(`${name} does not answer: ${res.status} ${text.slice(0, 300)}`);
    }
    const rows = [];
    const summary = {};
    for (const connections of [10, 50]) {
      const samples = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
      // Warm-up (JIT, connection pools) before anything is timed.
      for (const [, s] of Object.entries(sides)) await cannon({ ...s, connections, duration: smoke ? 1 : 4 });
      for (let r = 0; r < rounds; r++) {
        for (const [name, s] of Object.entries(sides)) {
          const cpu0 = pids[name].reduce((n, pid) => n + cpuSeconds(pid), 0);
          const writes0 = pids[name].reduce((n, pid) => n + writeSyscalls(pid), 0);
          const cmds0 = redisOf[name] ? await commandsProcessed(redisOf[name]) : 0;
          const res = await cannon({ ...s, connections, duration });
          const cpu = pids[name].reduce((n, pid) => n + cpuSeconds(pid), 0) - cpu0;
          const writes = pids[name].reduce((n, pid) => n + writeSyscalls(pid), 0) - writes0;
          // Less the INFO that read the count (one per reading).
          const cmds = redisOf[name] ? (await commandsProcessed(redisOf[name])) - cmds0 - 1 : 0;
          if (res.non2xx || res.errors) throw new Error(`${name}: ${res.non2xx} non-2xx, ${res.errors} errors`);
          samples[name].push({ rps: res.requests.average, p50: res.latency.p50, p99: res.latency.p99, cpu: (cpu * 1000) / res.requests.total, cmds: cmds / res.requests.total, writes: writes / res.requests.total });
          log(`overhead c=${connections} round ${r + 1} ${name}: ${Math.round(res.requests.average)} req/s, p50 ${res.latency.p50} ms, p99 ${res.latency.p99} ms`);
        }
      }
      const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { rps: median(v.map((x) => x.rps)), p50: median(v.map((x) => x.p50)), p99: median(v.map((x) => x.p99)), cpu: median(v.map((x) => x.cpu)), cmds: median(v.map((x) => x.cmds)), writes: median(v.map((x) => x.writes)) }]));
      summary[connections] = m;
      for (const name of Object.keys(sides)) {
        rows.push({
          concurrency: connections,
          path: PATHS[name],
          'req/s': Math.round(m[name].rps),
          'p50 ms': m[name].p50,
          'p99 ms': m[name].p99,
          'added p50 ms': name === 'direct' ? '–' : round(m[name].p50 - m.direct.p50),
          'server CPU ms/req': round(m[name].cpu, 2),
          'Redis commands/req': redisOf[name] ? round(m[name].cmds) : '–',
          'write syscalls/req': round(m[name].writes),
        });
      }
    }
    const verdict = [10, 50]
      .map((c) => {
        const m = summary[c];
        const addedOurs = m.ours.p50 - m.direct.p50;
        const addedPortkey = m.portkey.p50 - m.direct.p50;
        const ok = addedOurs <= addedPortkey && m.ours.rps >= m.portkey.rps;
        const cpuRatio = m.ours.cpu / m.floor.cpu;
        const vsBase = m.base ? ` Against the baseline (c′): server CPU per request ${round(m.ours.cpu / m.base.cpu, 2)}×, req/s ${round(m.ours.rps / m.base.rps, 2)}×.` : '';
        return `c=${c}: ours/Portkey throughput ${round(m.ours.rps / m.portkey.rps, 2)}×, added p50 ours ${round(addedOurs)} ms vs Portkey ${round(addedPortkey)} ms → ${ok ? 'target met' : 'target NOT met'}; server CPU per request ours/floor ${round(cpuRatio, 2)}× (target ≤ 1.35×) → ${cpuRatio <= 1.35 ? 'target met' : 'target NOT met'}.${vsBase}`;
      })
      .join('\n\n');
    const trips = {};
    for (const name of ['floor', 'ours']) trips[name] = await topLevelCommands(redisOf[name], sides[name], smoke ? 1 : 3);
    if (base) trips.base = await topLevelCommands(redisOf.base, sides.base, smoke ? 1 : 3);
    const baseText = base ? ` Baseline (c′): ${round(trips.base.perRequest)}; by command: ${trips.base.top}.` : '';
    const tripText = `Top-level Redis commands per request (MONITOR over ${smoke ? 1 : 3} s of c=10, a MULTI…EXEC counted once; scripts' own calls not counted; pipelined commands counted each, so an upper bound on round trips): floor ${round(trips.floor.perRequest)}, ours ${round(trips.ours.perRequest)} (target ≤ 15) → ${trips.ours.perRequest <= 15 ? 'target met' : 'target NOT met'}. Ours by command: ${trips.ours.top}.${baseText}`;
    for (const r of Object.values(redisOf)) r.disconnect();
    return {
      title: '1. Overhead and throughput against a direct call and Portkey',
      text: `autocannon, ${duration} s per side, ${rounds} alternating rounds (medians), zero-latency non-streaming fake provider in its own process, one worker (concurrency 64). Server CPU = user+system time of the path's processes (provider, Portkey / door, worker, Redis) per request. Redis commands per request count every command Redis ran (\`total_commands_processed\`: scripts' own calls included). Write syscalls per request count the same processes' writes (\`/proc/<pid>/io\` \`syscw\`: socket writes and log lines), a figure this machine's noise does not move.\n\n${table(rows)}\n\n${verdict}\n\n${tripText}`,
      summary: { ...summary, trips },
    };
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    await redis.stop();
    await floorRedis.stop();
    await baseRedis?.stop();
  }
}

const PATHS = {
  direct: '(a) direct',
  portkey: '(b) Portkey gateway',
  floor: '(d) floor: express → BullMQ → worker, reserve/settle Lua, XADD → XREAD',
  ours: '(c) REST → BullMQ → worker (ledger on)',
  base: `(c′) side (c) built from ${process.env.OVERHEAD_BASELINE}`,
};

async function commandsProcessed(redis) {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))[1]);
}

/** Top-level commands per request over a short MONITORed run at c=10, by command name. */
async function topLevelCommands(redis, side, seconds) {
  const monitor = await monitorRedis(redis.options.host, redis.options.port);
  const res = await cannon({ ...side, connections: 10, duration: seconds });
  await monitor.caughtUp();
  monitor.stop();
  const counts = new Map();
  const inMulti = new Set();
  for (const { args, source } of monitor.commands) {
    if (source.endsWith('lua')) continue;
    const name = String(args[0]).toUpperCase();
    if (name === 'MULTI') inMulti.add(source);
    else if (name === 'EXEC' || name === 'DISCARD') inMulti.delete(source);
    else if (inMulti.has(source)) continue;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const n = res.requests.total;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${round(v / n)}`).join(', ');
  return { perRequest: total / n, top };
}

await runIfMain(import.meta.url, run);
