// 1. Overhead and throughput against a direct call and Portkey's open-source gateway.
// Same fake provider (its own process, zero latency, non-streaming, small prompt), same load
// generator (autocannon), concurrency 10 and 50, the three sides alternating in every round:
//   (a) direct to the provider, (b) through @portkey-ai/gateway, (c) through our REST bridge →
//   BullMQ → worker → provider → back, with the spend ledger on.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, spawnApp, spawnService, startRedis } from '@orch/testing';
import { configFile, cpuSeconds, KEY, log, median, round, runIfMain, smoke, startFakeProcess, table } from './lib.mjs';

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
    const env = {
      REDIS_URL: redis.url,
      OPENROUTER_BASE_URL: fake.baseURL,
      OPENROUTER_API_KEY: KEY,
      OPENAI_API_KEY: 'unused',
      ORCH_CONFIG: configFile('models:\n  gemini_pro:\n    streaming: false\n'),
      ORCH_RATE_LIMIT: '0',
      WORKER_CONCURRENCY: '64',
      WORKER_METRICS_PORT: '0',
      REST_PORT: String(restPort),
      MCP_SYNC_WAIT_SECONDS: '60',
    };
    const worker = await spawnApp('worker-openrouter', { ...env, MCP_LOG_LEVEL: 'info' });
    const rest = await spawnApp('rest-bridge', { ...env, MCP_LOG_LEVEL: 'info' });
    procs.push(worker.child, rest.child);

    const prompt = { role: 'user', content: 'Say hello in five words.' };
    // The server-side processes of each path, for CPU per request.
    const pids = { direct: [fake.child.pid], portkey: [portkey.child.pid, fake.child.pid], ours: [rest.child.pid, worker.child.pid, redis.process.pid, fake.child.pid] };
    const sides = {
      direct: { url: `${fake.baseURL}/chat/completions`, headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: JSON.stringify({ model: MODEL_ID, messages: [prompt] }) },
      portkey: {
        url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseURL },
        body: JSON.stringify({ model: MODEL_ID, messages: [prompt] }),
      },
      ours: { url: `http://127.0.0.1:${restPort}/mcp/query_specific_model`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: prompt.content }) },
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
      const samples = { direct: [], portkey: [], ours: [] };
      // Warm-up (JIT, connection pools) before anything is timed.
      for (const [, s] of Object.entries(sides)) await cannon({ ...s, connections, duration: smoke ? 1 : 4 });
      for (let r = 0; r < rounds; r++) {
        for (const [name, s] of Object.entries(sides)) {
          const cpu0 = pids[name].reduce((n, pid) => n + cpuSeconds(pid), 0);
          const res = await cannon({ ...s, connections, duration });
          const cpu = pids[name].reduce((n, pid) => n + cpuSeconds(pid), 0) - cpu0;
          if (res.non2xx || res.errors) throw new Error(`${name}: ${res.non2xx} non-2xx, ${res.errors} errors`);
          samples[name].push({ rps: res.requests.average, p50: res.latency.p50, p99: res.latency.p99, cpu: (cpu * 1000) / res.requests.total });
          log(`overhead c=${connections} round ${r + 1} ${name}: ${Math.round(res.requests.average)} req/s, p50 ${res.latency.p50} ms, p99 ${res.latency.p99} ms`);
        }
      }
      const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { rps: median(v.map((x) => x.rps)), p50: median(v.map((x) => x.p50)), p99: median(v.map((x) => x.p99)), cpu: median(v.map((x) => x.cpu)) }]));
      summary[connections] = m;
      for (const name of ['direct', 'portkey', 'ours']) {
        rows.push({
          concurrency: connections,
          path: { direct: '(a) direct', portkey: '(b) Portkey gateway', ours: '(c) REST → BullMQ → worker (ledger on)' }[name],
          'req/s': Math.round(m[name].rps),
          'p50 ms': m[name].p50,
          'p99 ms': m[name].p99,
          'added p50 ms': name === 'direct' ? '–' : round(m[name].p50 - m.direct.p50),
          'server CPU ms/req': round(m[name].cpu, 2),
        });
      }
    }
    const verdict = [10, 50]
      .map((c) => {
        const m = summary[c];
        const addedOurs = m.ours.p50 - m.direct.p50;
        const addedPortkey = m.portkey.p50 - m.direct.p50;
        const ok = addedOurs <= addedPortkey && m.ours.rps >= m.portkey.rps;
        return `c=${c}: ours/Portkey throughput ${round(m.ours.rps / m.portkey.rps, 2)}×, added p50 ours ${round(addedOurs)} ms vs Portkey ${round(addedPortkey)} ms → ${ok ? 'target met' : 'target NOT met'}`;
      })
      .join('; ');
    return {
      title: '1. Overhead and throughput against a direct call and Portkey',
      text: `autocannon, ${duration} s per side, ${rounds} alternating rounds (medians), zero-latency non-streaming fake provider in its own process, one worker (concurrency 64). Server CPU = user+system time of the path's processes (provider, Portkey / REST bridge, worker, Redis) per request.\n\n${table(rows)}\n\n${verdict}`,
      summary,
    };
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    await redis.stop();
  }
}

await runIfMain(import.meta.url, run);
