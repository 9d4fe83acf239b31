// 11. Scale-out: the same workload on one Redis and on a 3-master + 3-replica Redis Cluster
// (loopback, Debian's redis-server), alternating rounds, medians: jobs/s with 4 worker processes,
// council wall time through the REST bridge, ledger reserve+settle pairs/s with 8 clients (with and
// without WAIT for one replica). Then the failover drill: kill -9 of the master holding the ledger's
// slot under calls and councils: time to promotion, to serving again, requests lost, calls sent
// twice, booked vs billed.
import { availableParallelism } from 'node:os';
import { Redis } from 'ioredis';
import { loadConfig } from '@orch/config';
import { Ledger } from '@orch/ledger';
import { ProviderQueues, createRedis } from '@orch/queue';
import { FAKE_KEYS, acceptDrillCalls, billedAndBooked, drillResults, freePort, spawnApp, startFakeProvider, startRedis, startRedisCluster, waitFor } from '@orch/testing';
import { configFile, log, median, round, runIfMain, sleep, smoke, stackEnv, startFakeProcess, table } from './lib.mjs';

const LATENCY_MS = 200;
const CONCURRENCY = 8;
const WORKERS = 4;

/** One side of the comparison: its Redis, the environment that points at it, a client for the bench. */
async function side(kind) {
  if (kind === 'one Redis') {
    const server = await startRedis();
    return { kind, env: { REDIS_URL: server.url }, connect: () => new Redis(server.url), stop: () => server.stop() };
  }
  const group = await startRedisCluster();
  return { kind, env: group.env, connect: () => group.client(), stop: () => group.stop(), group };
}

/** stackEnv pointed at a side's Redis (REDIS_URL, or the cluster's nodes). */
function envFor(s, providers, extra = {}) {
  const { REDIS_URL: _url, ...env } = stackEnv('', providers, extra);
  return { ...env, ...s.env };
}

/** Jobs/s through 4 worker processes on one queue (200 ms provider, concurrency 8 each). */
async function jobsPerSecond(s, fake, waves) {
  const env = envFor(s, { openrouter: fake }, { WORKER_CONCURRENCY: String(CONCURRENCY), ORCH_QUEUE_PREFIX: 'jobs' });
  const workers = [];
  for (let i = 0; i < WORKERS; i++) workers.push(await spawnApp('worker-openrouter', env));
  const config = loadConfig({ cwd: '/nonexistent', env: { ...env, ORCH_CONFIG: configFile('queue:\n  keepCompleted:\n    count: 10000000\n') } });
  const conn = createRedis(config.redis, 'command', 'bench');
  const queues = new ProviderQueues({ config, connection: conn });
  const queue = queues.queueForModel('gemini_pro');
  let seq = 0;
  const once = async () => {
    const n = WORKERS * CONCURRENCY * waves;
    const before = (await queue.getJobCounts('completed')).completed;
    const started = performance.now();
    await queues.submitAll(Array.from({ length: n }, () => ({ requestId: `so-${s.kind.length}-${++seq}`, callIndex: 0, model: 'gemini_pro', messages: [{ role: 'user', content: 'hi' }], stream: false, maxOutputTokens: 64 })));
    for (;;) {
      const c = await queue.getJobCounts('completed', 'failed');
      if (c.failed) throw new Error(`${c.failed} jobs failed: ${(await queue.getJobs(["failed"], 0, 0))[0]?.failedReason}`);
      if (c.completed - before >= n) break;
      await sleep(10);
    }
    return n / ((performance.now() - started) / 1000);
  };
  return {
    once,
    close: async () => {
      await queues.close();
      conn.disconnect();
      await Promise.all(workers.map((w) => w.kill()));
    },
  };
}

/** Council wall time (gemini 500 ms, o3 1,000 ms, synthesis 250 ms) through a REST bridge. */
async function councils(s, or, oa) {
  const port = await freePort();
  const env = envFor(s, { openrouter: or, openai: oa }, {
    ORCH_CONFIG: configFile('models:\n  synth_fast:\n    provider: openrouter\n    modelId: bench/synth\n    description: synthesis model of the scale-out benchmark\n    maxOutputTokens: 4096\n    contextWindow: 128000\n    pricing: { input: 1, output: 2 }\norchestration:\n  synthesisModel: synth_fast\n'),
    REST_PORT: String(port),
  });
  const procs = [await spawnApp('worker-openrouter', env), await spawnApp('worker-openai', env), await spawnApp('rest-bridge', env)];
  const once = async (i) => {
    const t0 = Date.now();
    const res = await fetch(`http://127.0.0.1:${port}/mcp/orchestrate_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ description: `council ${i}`, strategy: 'external_enhancement', models: ['gemini_pro', 'o3_architect'] }) });
    const body = await res.json();
    if (body.result?.status !== 'completed') throw new Error(`council ended ${JSON.stringify(body).slice(0, 300)}`);
    return Date.now() - t0;
  };
  return { once, close: () => Promise.all(procs.map((p) => p.kill())) };
}

/** Reserve+settle pairs/s with 8 clients for `seconds`; `replicas` asks each reservation to WAIT for that many. */
async function ledgerPairs(connect, seconds, replicas) {
  const conns = Array.from({ length: 8 }, connect);
  const limits = { maxCostPerRequest: 1e6, dailyLimit: 1e9, warningThreshold: 1, timeZone: 'UTC' };
  const ledgers = conns.map((redis) => new Ledger({ redis, limits, keyPrefix: '{bench}', ...(replicas ? { replicas: { count: replicas, timeoutMs: 1000 } } : {}) }));
  const until = Date.now() + seconds * 1000;
  let pairs = 0;
  let seq = 0;
  await Promise.all(
    ledgers.map(async (ledger, c) => {
      while (Date.now() < until) {
        const n = ++seq;
        const res = await ledger.reserve({ jobId: `j${c}-${n}`, attempt: 1, requestId: `r${n % 1000}`, model: 'm', provider: 'p', estimateUsd: 0.01 });
        await ledger.settle(res, 0.005);
        pairs++;
      }
    }),
  );
  for (const c of conns) c.disconnect();
  return pairs / seconds;
}

/** kill -9 of the ledger's master under calls and councils, on a fresh cluster; the drill's figures. */
async function failoverDrill(calls, councilCount) {
  const group = await startRedisCluster();
  const or = await startFakeProvider({ flavor: 'openrouter', apiKey: FAKE_KEYS.openrouter });
  const oa = await startFakeProvider({ flavor: 'openai', apiKey: FAKE_KEYS.openai, prices: { o3: { input: 2, output: 8, cachedInput: 0.5 } } });
  const env = {
    ...group.env,
    OPENROUTER_BASE_URL: or.baseURL, OPENROUTER_API_KEY: FAKE_KEYS.openrouter, OPENAI_BASE_URL: oa.baseURL, OPENAI_API_KEY: FAKE_KEYS.openai,
    WORKER_METRICS_PORT: '0', ORCH_RATE_LIMIT: '0', MCP_DAILY_LIMIT: '50', LEDGER_REAP_INTERVAL_MS: '500', REDIS_WAIT_REPLICAS: '1',
  };
  const procs = [];
  try {
    procs.push(await spawnApp('worker-openai', env), await spawnApp('worker-openrouter', env));
    const doors = [];
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      procs.push(await spawnApp('rest-bridge', { ...env, REST_PORT: String(port) }));
      doors.push(`http://127.0.0.1:${port}`);
    }
    or.setBehaviour({ completionTokens: 60, tokensPerSecond: 20 });
    oa.setBehaviour({ completionTokens: 60, tokensPerSecond: 20 });
    const post = (tool, body) => fetch(`${doors[0]}/mcp/${tool}?wait=false`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ids = await acceptDrillCalls(doors[0], calls, councilCount);
    const expectedCalls = calls + councilCount * 3 + 1;
    await waitFor(() => or.requests.length + oa.requests.length >= Math.min(6, calls), { timeoutMs: 20_000, what: 'calls under way' });
    const victim = await group.masterOf('{ledger}:leases');
    victim.process.kill('SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => (await group.masterOf('{ledger}:leases')).port !== victim.port, { timeoutMs: 30_000, intervalMs: 50, what: 'a replica promoted' });
    const promotedAt = Date.now();
    const after = await waitFor(
      async () => {
        const r = await post('query_specific_model', { model: 'gemini_pro', description: 'After the failover' }).catch(() => undefined);
        return r?.status === 202 ? (await r.json()).request_id : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: 'a call accepted after the failover' },
    );
    const servingAt = Date.now();
    const ended = await drillResults(doors[1], [...ids, after]);
    const lostOnes = ended.filter((r) => r.status !== 'completed');
    const { billed, booked } = await billedAndBooked(doors[1], [or, oa]);
    // What a lost request ended with, so a drill that loses one says why.
    const lostHow = lostOnes.map((r) => ({ tool: r.output?.tool, status: r.status, error: r.output?.error }));
    return { promotionMs: promotedAt - killedAt, servingAfterPromotionMs: servingAt - promotedAt, requests: ids.length + 1, lost: lostOnes.length, ...(lostHow.length ? { lostHow } : {}), sentTwice: or.requests.length + oa.requests.length - expectedCalls, billed, booked };
  } finally {
    await Promise.all(procs.map((p) => p.kill()));
    await Promise.all([or.stop(), oa.stop()]);
    await group.stop();
  }
}

export async function run() {
  const rounds = smoke ? 1 : 3;
  const waves = smoke ? 2 : 15;
  const seconds = smoke ? 0.5 : 3;
  const kinds = ['one Redis', '3-master cluster'];
  const fake = await startFakeProcess('openrouter', { latencyMs: LATENCY_MS, completionTokens: 24 });
  const or = await startFakeProcess('openrouter', { completionTokens: 20, byModel: { 'google/gemini-2.5-pro': { latencyMs: 500 }, 'bench/synth': { latencyMs: 250 } } });
  const oa = await startFakeProcess('openai', { completionTokens: 20, latencyMs: 1000 });
  const sides = {};
  try {
    for (const k of kinds) {
      const s = await side(k);
      sides[k] = { s, jobs: await jobsPerSecond(s, fake, waves), council: await councils(s, or, oa) };
      await sides[k].jobs.once(); // warm-up
      await sides[k].council.once(-1);
    }
    const r = Object.fromEntries(kinds.map((k) => [k, { jobs: [], council: [], ledger: [], ledgerWait: [] }]));
    for (let i = 0; i < rounds; i++) {
      for (const k of i % 2 ? [...kinds].reverse() : kinds) {
        const x = sides[k];
        r[k].jobs.push(await x.jobs.once());
        r[k].council.push(await x.council.once(i));
        r[k].ledger.push(await ledgerPairs(x.s.connect, seconds, 0));
        if (x.s.group) r[k].ledgerWait.push(await ledgerPairs(x.s.connect, seconds, 1));
        log(`scale-out round ${i + 1}, ${k}: ${round(r[k].jobs.at(-1))} jobs/s, council ${r[k].council.at(-1)} ms, ledger ${Math.round(r[k].ledger.at(-1))} pairs/s${x.s.group ? `, with WAIT 1 ${Math.round(r[k].ledgerWait.at(-1))}` : ''}`);
      }
    }
    // One Redis with a replica: the price of WAIT 1 without a cluster.
    const master = await startRedis();
    const replica = await startRedis({ extraArgs: ['--repl-diskless-sync-delay', '0', '--replicaof', '127.0.0.1', String(master.port)] });
    const m = new Redis(master.url);
    await waitFor(async () => /state=online/.test(await m.info('replication')), { timeoutMs: 30_000, what: 'the replica synced' });
    m.disconnect();
    const plain = [];
    const waited = [];
    for (let i = 0; i < rounds; i++) {
      plain.push(await ledgerPairs(() => new Redis(master.url), seconds, 0));
      waited.push(await ledgerPairs(() => new Redis(master.url), seconds, 1));
    }
    await Promise.all([replica.stop(), master.stop()]);
    const drill = await failoverDrill(smoke ? 4 : 16, smoke ? 1 : 4);
    log(`scale-out failover drill: ${JSON.stringify(drill)}`);
    const ideal = (WORKERS * CONCURRENCY * 1000) / LATENCY_MS;
    const rows = kinds.map((k) => ({
      redis: k,
      [`jobs/s, ${WORKERS} workers (ideal ${ideal})`]: round(median(r[k].jobs)),
      'council wall ms (ideal 1,250)': median(r[k].council),
      'ledger pairs/s, 8 clients': Math.round(median(r[k].ledger)),
      'ledger pairs/s, WAIT 1 replica': k === 'one Redis' ? `${Math.round(median(waited))} (master + 1 replica; ${Math.round(median(plain))} without WAIT)` : Math.round(median(r[k].ledgerWait)),
    }));
    const drillRows = [
      { measure: 'kill -9 → replica promoted (ms)', value: drill.promotionMs },
      { measure: 'promoted → a new call accepted (ms)', value: drill.servingAfterPromotionMs },
      { measure: 'accepted requests', value: drill.requests },
      { measure: 'requests lost', value: drill.lost },
      { measure: 'provider calls sent twice', value: drill.sentTwice },
      { measure: 'billed USD (providers)', value: round(drill.billed, 6) },
      { measure: 'booked USD (ledger)', value: round(drill.booked, 6) },
    ];
    return {
      title: '11. Scale-out: one Redis against a 3-master Redis Cluster, and a failover',
      text: `${rounds} alternating rounds, medians; both sides on this one machine (the cluster's six redis-servers share its ${availableParallelism()} cores: this measures the cost of the cluster's routing, not the gain of more machines). Jobs: ${WORKERS} worker processes of concurrency ${CONCURRENCY}, provider latency ${LATENCY_MS} ms, ${waves} waves submitted at once. Councils: external_enhancement, gemini_pro 500 ms and o3 1,000 ms side by side, then a 250 ms synthesis, over REST (sync). Ledger: ${seconds} s of reserve+settle pairs from 8 connections; every ledger key shares the \`{ledger}\` hash tag, so the ledger is one slot on one master: its ceiling is one Redis core whatever the cluster's size. With REDIS_WAIT_REPLICAS=1 each fresh reservation waits for a replica's acknowledgement before the provider is asked.\n\n${table(rows)}\n\nFailover drill (a fresh cluster, REDIS_WAIT_REPLICAS=1, ${drill.requests - 1} requests accepted, calls of about 3 s, kill -9 of the master holding \`{ledger}\` while they run):\n\n${table(drillRows)}\n\nTarget: 0 requests lost, booked ≥ billed, serving again within 10 s of the promotion → ${drill.lost === 0 && drill.booked >= drill.billed - 1e-9 && drill.servingAfterPromotionMs < 10_000 ? 'met' : 'NOT met'}.`,
      summary: { rows, drill },
    };
  } finally {
    for (const x of Object.values(sides)) {
      await x.jobs.close();
      await x.council.close();
      await x.s.stop();
    }
    for (const p of [fake, or, oa]) p.child.kill('SIGKILL');
  }
}

await runIfMain(import.meta.url, run);
