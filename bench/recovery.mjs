// 7. Recovery. (a) A worker is killed (SIGKILL) with calls in flight: seconds until every call has
// been sent again from the surviving worker, and until all have completed — at today's job lock and
// stalled-check defaults against BullMQ's own (30 s + 30 s, what the project used before), rounds
// alternating. (b) Redis is killed with the stack running and restarted on its AOF after an outage:
// seconds from Redis being back until the REST bridge answers and until a whole call through the
// worker is answered; beside it, ioredis clients with the reconnect strategy used now and the one
// used before (exponential to 20 s) through the same outage. (c) The front door driving a request is
// killed (SIGKILL) while its model call streams: seconds until another door drives it.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '@orch/config';
import { ProviderQueues, requestKeys } from '@orch/queue';
import { FAKE_KEYS, freePort, spawnApp, startFakeProvider, startRedis, waitFor } from '@orch/testing';
import { KEY, log, median, round, runIfMain, sleep, smoke, stackEnv, table } from './lib.mjs';

const CALLS = 4;
const SETTINGS = {
  'now (5 s lock, 2.5 s check)': { WORKER_LOCK_DURATION_MS: '5000', WORKER_STALLED_INTERVAL_MS: '2500' },
  'before (30 s lock, 30 s check)': { WORKER_LOCK_DURATION_MS: '30000', WORKER_STALLED_INTERVAL_MS: '30000' },
};
const STRATEGIES = {
  now: (times) => Math.min(200 * times, 1000),
  before: (times) => Math.max(Math.min(Math.exp(times), 20_000), 1000),
};

/** waitFor, polling every 20 ms: the figures are times to an event. */
const until = (check, timeoutMs, what) => waitFor(check, { timeoutMs, what, intervalMs: 20 });

export async function workerKill() {
  const redis = await startRedis();
  const fake = await startFakeProvider({ flavor: 'openai', apiKey: FAKE_KEYS.openai });
  const conn = new Redis(redis.url);
  const names = smoke ? [Object.keys(SETTINGS)[0]] : Object.keys(SETTINGS);
  const rounds = smoke ? 1 : 3;
  const samples = Object.fromEntries(names.map((n) => [n, { resumed: [], completed: [] }]));
  let seq = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      for (const name of names) {
        const env = { REDIS_URL: redis.url, OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: FAKE_KEYS.openai, OPENROUTER_API_KEY: 'unused', WORKER_METRICS_PORT: '0', ORCH_QUEUE_PREFIX: `recovery${++seq}`, ...SETTINGS[name] };
        const queues = new ProviderQueues({ config: loadConfig({ cwd: '/nonexistent', env }), connection: conn });
        const queue = queues.queueForModel('o3_architect');
        fake.reset();
        fake.setBehaviour({ completionTokens: 4000, tokensPerSecond: 20 }); // minutes: still running at the kill
        const a = await spawnApp('worker-openai', env);
        await Promise.all(
          Array.from({ length: CALLS }, (_, i) =>
            queues.submit({ requestId: `recovery-${seq}-${i}`, callIndex: 0, model: 'o3_architect', messages: [{ role: 'user', content: 'Design a cache' }], stream: true, maxOutputTokens: 8000 }),
          ),
        );
        await until(() => fake.requests.length >= CALLS, 30_000, 'the calls to start');
        const b = await spawnApp('worker-openai', env);
        fake.setBehaviour({ completionTokens: 24, tokensPerSecond: 0 }); // runs after the kill answer at once
        a.child.kill('SIGKILL');
        await a.exited;
        const killed = performance.now();
        await until(() => fake.requests.length >= 2 * CALLS, 120_000, 'the calls to run again');
        const resumed = (performance.now() - killed) / 1000;
        await until(async () => (await queue.getJobCounts('completed')).completed >= CALLS, 60_000, 'the calls to complete');
        const completed = (performance.now() - killed) / 1000;
        samples[name].resumed.push(resumed);
        samples[name].completed.push(completed);
        log(`recovery round ${r + 1}, ${name}: resumed ${round(resumed)} s, completed ${round(completed)} s`);
        await b.kill();
        await queues.close();
      }
    }
  } finally {
    conn.disconnect();
    await fake.stop();
    await redis.stop();
  }
  return Object.fromEntries(names.map((n) => [n, { resumed: median(samples[n].resumed), completed: median(samples[n].completed) }]));
}

export async function redisReturn() {
  const dir = mkdtempSync(join(os.tmpdir(), 'orch-bench-recovery-'));
  let redis = await startRedis({ appendOnly: true, dir });
  const fake = await startFakeProvider({ flavor: 'openrouter', apiKey: FAKE_KEYS.openrouter });
  const port = await freePort();
  const env = { REDIS_URL: redis.url, OPENROUTER_BASE_URL: fake.baseURL, OPENROUTER_API_KEY: FAKE_KEYS.openrouter, OPENAI_API_KEY: 'unused', WORKER_METRICS_PORT: '0', REST_PORT: String(port), ORCH_RATE_LIMIT: '0' };
  const procs = [await spawnApp('worker-openrouter', env), await spawnApp('rest-bridge', env)];
  const base = `http://127.0.0.1:${port}`;
  const outageMs = smoke ? 3_000 : 20_000;
  const rounds = smoke ? 1 : 3;
  const samples = { door: [], call: [], now: [], before: [] };
  const call = async () => {
    try {
      const res = await fetch(`${base}/mcp/query_specific_model`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: 'Still there?' }), signal: AbortSignal.timeout(10_000) });
      return res.status === 200 && (await res.json()).result?.status === 'completed';
    } catch {
      return false;
    }
  };
  try {
    if (!(await call())) throw new Error('the stack does not answer before the outage');
    for (let r = 0; r < rounds; r++) {
      const clients = Object.fromEntries(
        Object.entries(STRATEGIES).map(([name, retryStrategy]) => {
          const c = new Redis(redis.url, { retryStrategy, maxRetriesPerRequest: null });
          c.on('error', () => undefined);
          return [name, c];
        }),
      );
      await Promise.all(Object.values(clients).map((c) => c.ping()));
      redis.process.kill('SIGKILL');
      await new Promise((resolve) => redis.process.once('exit', resolve));
      await sleep(outageMs);
      const ready = Object.fromEntries(Object.entries(clients).map(([name, c]) => [name, new Promise((resolve) => c.once('ready', () => resolve(performance.now())))]));
      redis = await startRedis({ appendOnly: true, dir, port: redis.port });
      const back = performance.now();
      await until(async () => (await fetch(`${base}/requests`).catch(() => ({ status: 0 }))).status === 200, 60_000, 'the REST bridge');
      const door = (performance.now() - back) / 1000;
      await until(call, 60_000, 'a call answered');
      const answered = (performance.now() - back) / 1000;
      const [now, before] = await Promise.all([ready.now, ready.before]);
      samples.door.push(door);
      samples.call.push(answered);
      samples.now.push((now - back) / 1000);
      samples.before.push((before - back) / 1000);
      log(`recovery round ${r + 1}: Redis back; door ${round(door, 2)} s, call ${round(answered, 2)} s; clients now ${round((now - back) / 1000, 2)} s, before ${round((before - back) / 1000, 2)} s`);
      for (const c of Object.values(clients)) c.disconnect();
    }
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await fake.stop();
    await redis.stop();
  }
  return { outageMs, door: median(samples.door), call: median(samples.call), now: median(samples.now), before: median(samples.before) };
}

/**
 * (c) Door A accepts a streaming call (async), its call starts, A is killed: seconds until door B
 * holds the request's driver lease (it took the request over), and until the request has completed;
 * the provider must have been asked once. The call continues a conversation, so a driver follows it
 * (a request of one new call has none: its worker ends it, and a door's death does not touch it).
 */
export async function doorKill() {
  const redis = await startRedis();
  const fake = await startFakeProvider({ flavor: 'openrouter', apiKey: KEY });
  const conn = new Redis(redis.url);
  const rounds = smoke ? 1 : 3;
  const samples = { taken: [], completed: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      const [portA, portB] = [await freePort(), await freePort()];
      const env = stackEnv(redis.url, { openrouter: fake }, { ORCH_QUEUE_PREFIX: `doorkill${r}` });
      fake.reset();
      const worker = await spawnApp('worker-openrouter', env);
      const [a, b] = [await spawnApp('rest-bridge', { ...env, REST_PORT: String(portA) }), await spawnApp('rest-bridge', { ...env, REST_PORT: String(portB) })];
      try {
        const ask = (body, wait) => fetch(`http://127.0.0.1:${portA}/mcp/query_specific_model${wait ? '' : '?wait=false'}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const first = await (await ask({ model: 'gemini_pro', description: 'Name a cache' }, true)).json();
        if (!first.result?.continuation_id) throw new Error(`door kill: the first call did not answer: ${JSON.stringify(first).slice(0, 300)}`);
        fake.reset();
        fake.setBehaviour({ completionTokens: 300, tokensPerSecond: 20 }); // 15 s: still streaming at the kill
        const res = await ask({ model: 'gemini_pro', description: 'Design a cache', continuation_id: first.result.continuation_id }, false);
        const { request_id: id } = await res.json();
        await until(() => fake.requests.length >= 1, 30_000, 'the call to start');
        const lease = requestKeys(id).driver;
        const ownerA = await conn.get(lease);
        a.child.kill('SIGKILL');
        await a.exited;
        const killed = performance.now();
        await until(async () => { const owner = await conn.get(lease); return owner && owner !== ownerA; }, 60_000, 'another door to take the request');
        const taken = (performance.now() - killed) / 1000;
        const done = await (await fetch(`http://127.0.0.1:${portB}/requests/${id}?wait=50`)).json();
        const completed = (performance.now() - killed) / 1000;
        if (done.result?.status !== 'completed' || fake.requests.length !== 1) throw new Error(`door kill: ${done.result?.status}, ${fake.requests.length} provider calls`);
        samples.taken.push(taken);
        samples.completed.push(completed);
        log(`recovery door kill round ${r + 1}: taken over ${round(taken)} s, completed ${round(completed)} s`);
      } finally {
        await Promise.all([a.kill(), b.kill(), worker.kill()]);
      }
    }
  } finally {
    conn.disconnect();
    await fake.stop();
    await redis.stop();
  }
  return { taken: median(samples.taken), completed: median(samples.completed) };
}

export async function run() {
  const kill = await workerKill();
  const back = await redisReturn();
  const door = await doorKill();
  const killRows = Object.entries(kill).map(([settings, v]) => ({ 'job lock settings': settings, 'all calls sent again (s)': round(v.resumed), 'all calls completed (s)': round(v.completed) }));
  const backRows = [
    { measure: 'REST bridge answers again', 'seconds after Redis is back': round(back.door, 2) },
    { measure: 'a whole call (REST → queue → worker → provider) answered', 'seconds after Redis is back': round(back.call, 2) },
    { measure: 'ioredis client, reconnect strategy now (200 ms steps to 1 s)', 'seconds after Redis is back': round(back.now, 2) },
    { measure: 'ioredis client, reconnect strategy before (exponential to 20 s)', 'seconds after Redis is back': round(back.before, 2) },
  ];
  const text = [
    `(a) A worker process is killed (SIGKILL) with ${CALLS} long o3 calls in flight; a second worker is running. Seconds from the kill until all ${CALLS} calls have been sent to the provider again, and until all have completed; ${smoke ? 1 : 3} alternating rounds, medians. Target: ≤ 10 s.`,
    '',
    table(killRows),
    '',
    `(b) Redis is killed (SIGKILL) under a running REST bridge and worker, kept down ${back.outageMs / 1000} s and restarted on its AOF; ${smoke ? 1 : 3} rounds, medians. The two ioredis clients go through the same outage in the benchmark's process. Target: serving within 2 s.`,
    '',
    table(backRows),
    '',
    `(c) The REST bridge driving a request (a call that continues a conversation: a request of one new call has no driver, its worker ends it) is killed (SIGKILL) while its model call streams (15 s); a second REST bridge is running. Seconds from the kill until the second holds the request's driver lease (it has taken the request over), and until the request has completed, read there; the provider was asked once. ${smoke ? 1 : 3} rounds, medians; driver lease \`ORCH_DRIVER_LOCK_MS\` 6 s.`,
    '',
    table([{ measure: 'another door drives the request', 'seconds after the kill': round(door.taken, 2) }, { measure: 'the request has completed', 'seconds after the kill': round(door.completed, 2) }]),
  ].join('\n');
  return { title: '7. Recovery after a worker is killed and after Redis returns', text, kill, back, door };
}

await runIfMain(import.meta.url, run);
