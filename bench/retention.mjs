// 6. What Redis keeps. (a) Bytes and keys left per finished single-model request, streamed over
// REST at the default retention (a day): Redis's used_memory and key count before and after N
// requests, after a warm-up that fills BullMQ's bounded list of kept jobs. (b) Redis memory over a
// steady load once the retention window is short (60 s): samples every 10 s after the first two
// windows must stay within ±10% of their median.
import { Redis } from 'ioredis';
import { freePort, spawnApp, startRedis } from '@orch/testing';
import { configFile, log, median, round, runIfMain, sleep, smoke, stackEnv, startFakeProcess, table } from './lib.mjs';

const TARGET = { bytes: 2048, keys: 3 };

async function stackWith(redisUrl, extraEnv) {
  const fake = await startFakeProcess('openrouter', { latencyMs: 20, tokensPerSecond: 400, completionTokens: 60 });
  const port = await freePort();
  const env = stackEnv(redisUrl, { openrouter: fake }, { REST_PORT: String(port), ...extraEnv });
  const procs = [fake.child, (await spawnApp('worker-openrouter', env)).child, (await spawnApp('rest-bridge', env)).child];
  let seq = 0;
  const call = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/mcp/query_specific_model`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini_pro', description: `Retention question ${++seq}: what should a cache keep?` }),
    });
    const body = await res.json();
    if (res.status !== 200 || body.result?.status !== 'completed') throw new Error(`call failed: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  };
  const batch = async (n, concurrency = 16) => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next++ < n) await call();
    }));
  };
  return { call, batch, stop: () => procs.forEach((p) => p.kill('SIGTERM')) };
}

const usedMemory = async (redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]);

export async function perRequest() {
  const server = await startRedis();
  const redis = new Redis(server.url);
  // A finished request's compacted stream stays ORCH_FINISHED_EVENTS_TTL_SECONDS for followers on
  // their way (300 s by default); 5 s here, and the figures are read after it.
  const stack = await stackWith(server.url, { ORCH_FINISHED_EVENTS_TTL_SECONDS: '5' });
  const n = smoke ? 100 : Number(process.env.RETENTION_N ?? 2000);
  try {
    await stack.batch(smoke ? 120 : 300); // warm-up: BullMQ's kept jobs (100) fill, connections and scripts load
    await sleep(6_000);
    const [m0, k0] = [await usedMemory(redis), await redis.dbsize()];
    await stack.batch(n);
    await sleep(6_000);
    const [m1, k1] = [await usedMemory(redis), await redis.dbsize()];
    const bytes = (m1 - m0) / n;
    const keys = (k1 - k0) / n;
    log(`retention: ${n} requests, ${round(bytes)} bytes and ${round(keys, 2)} keys each`);
    return { n, bytes, keys };
  } finally {
    stack.stop();
    redis.disconnect();
    await server.stop();
  }
}

export async function steady() {
  const server = await startRedis();
  const redis = new Redis(server.url);
  const windowS = 60;
  const keepShort = configFile(`queue:\n  keepCompleted:\n    ageSeconds: ${windowS}\n`);
  const stack = await stackWith(server.url, { ORCH_CONFIG: keepShort, ORCH_RESULT_RETENTION_SECONDS: String(windowS), ORCH_FINISHED_EVENTS_TTL_SECONDS: String(windowS), LEDGER_REQUEST_RETENTION_SECONDS: String(windowS), ORCH_THREAD_RETENTION_SECONDS: String(windowS) });
  const minutes = smoke ? 0.4 : 10;
  const rate = 4; // calls per second, as in the report
  const samples = [];
  let stop = false;
  let calls = 0;
  try {
    const load = (async () => {
      const started = Date.now();
      const inflight = new Set();
      while (!stop) {
        const due = Math.floor(((Date.now() - started) / 1000) * rate);
        while (calls < due) {
          const p = stack.call().finally(() => inflight.delete(p));
          inflight.add(p);
          calls++;
        }
        await sleep(50);
      }
      await Promise.all(inflight);
    })();
    const started = Date.now();
    while (Date.now() - started < minutes * 60_000) {
      await sleep(smoke ? 2_000 : 10_000);
      samples.push({ t: Math.round((Date.now() - started) / 1000), mem: await usedMemory(redis), keys: await redis.dbsize() });
      log(`retention steady: t=${samples.at(-1).t}s used_memory ${round(samples.at(-1).mem / 1048576, 2)} MiB, ${samples.at(-1).keys} keys, ${calls} calls`);
    }
    stop = true;
    await load;
  } finally {
    stack.stop();
    redis.disconnect();
    await server.stop();
  }
  // Judged after two retention windows, when the first requests have expired.
  const settled = samples.filter((s) => s.t >= (smoke ? 0 : 2 * windowS));
  const mid = median(settled.map((s) => s.mem));
  const spread = Math.max(...settled.map((s) => Math.abs(s.mem - mid) / mid));
  return { minutes, rate, calls, windowS, samples: settled, mid, spread };
}

export async function run() {
  const a = await perRequest();
  const b = await steady();
  const first = b.samples[0];
  const last = b.samples.at(-1);
  const text = [
    `(a) ${a.n} single-model requests over REST (streamed answers of 60 tokens), default retention (finished streams kept 5 s instead of 300 s, and read after), after a warm-up: what each leaves in Redis.`,
    '',
    table([
      { measure: 'bytes retained per finished request (used_memory delta / n)', value: round(a.bytes), target: `≤ ${TARGET.bytes}`, met: a.bytes <= TARGET.bytes ? 'yes' : 'NO' },
      { measure: 'keys retained per finished request', value: round(a.keys, 2), target: `≤ ${TARGET.keys}`, met: a.keys <= TARGET.keys ? 'yes' : 'NO' },
    ]),
    '',
    `(b) ${b.rate} calls/s for ${b.minutes} min with every retention at ${b.windowS} s (results, threads, per-request spend, kept jobs): ${b.calls} calls. Redis used_memory sampled every 10 s from the second window on: median ${round(b.mid / 1048576, 2)} MiB, largest deviation ${round(b.spread * 100, 1)}% (target ±10%: ${b.spread <= 0.1 ? 'met' : 'NOT met'}); first ${round(first.mem / 1048576, 2)} MiB / ${first.keys} keys at ${first.t} s, last ${round(last.mem / 1048576, 2)} MiB / ${last.keys} keys at ${last.t} s.`,
  ].join('\n');
  return { title: '6. Redis retention: bytes and keys per finished request, memory under steady load', text };
}

await runIfMain(import.meta.url, run);
