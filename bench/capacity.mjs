// 8. In-flight capacity: N long streaming calls at once (30 s each at 20 tokens/s) through the REST
// bridge (SSE) and the WebSocket bridge to ONE worker process and the fake provider, against Portkey's
// gateway proxying the same N streams to the same fake. Per side: calls completed, errors, the time
// from the provider writing a token to the client reading it (p50/p99; the fake stamps each token
// with the time it wrote it), peak RSS and CPU of each process, memory per call in flight.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { WsClient } from '@orch/client';
import { freePort, spawnApp, spawnService, startRedis } from '@orch/testing';
import { cpuSeconds, KEY, log, percentile, round, rssMiB, runIfMain, sleep, smoke, startFakeProcess, table } from './lib.mjs';

const here = dirname(new URL(import.meta.url).pathname);
const require = createRequire(import.meta.url);
const TOKENS_PER_SECOND = 20;
const STAMP = /@(\d{13})/g;

/**
 * Token timings of one side: `latency` (client read − the fake's write) for every token; for ours also
 * where it went, split at the time Redis stored the event (its stream id's milliseconds): `worker`
 * (written by the fake → stored: the worker's read, batching and XADD) and `door` (stored → read by
 * the client: the door's XREAD, its write, the client's read); `written` keeps each token's write time
 * so the tokens written after the burst of accepts can be told apart.
 */
function timings() {
  const t = { latency: [], written: [], worker: [], door: [] };
  t.add = (text, now, storedMs) => {
    for (const m of text.matchAll(STAMP)) {
      const at = Number(m[1]);
      t.latency.push(now - at);
      t.written.push(at);
      if (storedMs === undefined) continue;
      t.worker.push(storedMs - at);
      t.door.push(now - storedMs);
    }
  };
  return t;
}

/** The milliseconds of a Redis stream id (`1764…-0`): when Redis stored the event. */
const storedAt = (id) => Number(id.slice(0, id.indexOf('-')));

/**
 * Reads a server-sent event stream, timing (into `samples`, a timings()) every stamped token in the
 * events `count` accepts (our `partial` events; the `done` event repeats the whole answer). Returns
 * null when `endMarker` came, else why not: the end status the stream did send, or that it closed
 * without one.
 */
async function readStream(res, samples, endMarker, count = () => true) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  let status;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const now = Date.now();
    buffer += decoder.decode(value, { stream: true });
    const blocks = buffer.split('\n\n');
    buffer = blocks.pop();
    for (const block of blocks) {
      if (block.includes(endMarker)) ended = true;
      else if (block.includes('\nevent: done\n')) status = /"status":"(\w+)"/.exec(block)?.[1] ?? 'done';
      // Our events carry their stream id (`id: …`); Portkey's do not.
      if (count(block)) samples.add(block, now, block.startsWith('id: ') ? storedAt(block.slice(4, block.indexOf('\n'))) : undefined);
    }
  }
  return ended || buffer.includes(endMarker) ? null : status ? `ended ${status}` : 'stream closed without an end';
}

/** Counts errors by kind: what a client saw first (a refusal's status, a network error's code, an end that was not success). */
function errorTally() {
  const kinds = {};
  return {
    kinds,
    add: (kind) => void (kinds[kind] = (kinds[kind] ?? 0) + 1),
    of: (err) => `${err?.cause?.code ?? err?.code ?? err?.name ?? 'error'}${err?.cause?.message ? `: ${String(err.cause.message).slice(0, 60)}` : ''}`,
    get count() {
      return Object.values(kinds).reduce((a, b) => a + b, 0);
    },
  };
}

/** Samples each process's RSS every second; returns the peaks and the CPU seconds used meanwhile. */
function watch(procs) {
  const peak = Object.fromEntries(Object.keys(procs).map((k) => [k, rssMiB(procs[k])]));
  const idle = { ...peak };
  const cpu0 = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const t0 = performance.now();
  const timer = setInterval(() => {
    for (const [k, pid] of Object.entries(procs)) peak[k] = Math.max(peak[k], rssMiB(pid));
  }, 1000);
  return () => {
    clearInterval(timer);
    const seconds = (performance.now() - t0) / 1000;
    return { idle, peak, cpu: Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, (100 * (cpuSeconds(pid) - cpu0[k])) / seconds])) };
  };
}

/** Starts `n` tasks in batches of `at` (a short pause between batches for connection set-up), then waits for all. */
async function spread(n, at, task) {
  const all = [];
  for (let i = 0; i < n; i += at) {
    for (let j = i; j < Math.min(n, i + at); j++) all.push(task(j));
    await sleep(20);
  }
  return Promise.allSettled(all);
}

async function ours(kind, n, stack) {
  const samples = timings();
  let acceptedAt = 0;
  let completed = 0;
  const errors = errorTally();
  const stop = watch({ worker: stack.worker.pid, door: (kind === 'sse' ? stack.rest : stack.ws).pid, redis: stack.redisPid, provider: stack.fakePid, clients: process.pid });
  const started = performance.now();
  // Each call is accepted (202 + request id) and followed at once: its own SSE stream, or a
  // subscription on one of the sockets (one per 100 calls).
  const sockets = kind === 'ws' ? Array.from({ length: Math.ceil(n / 100) }, () => new WsClient({ url: stack.wsUrl, reconnect: false })) : [];
  await Promise.all(sockets.map((s) => s.connect()));
  const follow = {
    sse: async (id) => readStream(await fetch(`${stack.restUrl}/requests/${id}/events`), samples, '"status":"completed"', (block) => block.startsWith('id: ') && block.includes('\nevent: partial\n')),
    ws: async (id, i) => {
      const end = await sockets[Math.floor(i / 100)].subscribe(id, {
        onEvent: (e, eventId) => {
          if (e.type === 'partial') samples.add(e.delta, Date.now(), storedAt(eventId));
        },
      });
      return end?.status === 'completed' ? null : `ended ${end?.status ?? 'without an end'}`;
    },
  }[kind];
  await spread(n, 100, async (i) => {
    try {
      const res = await fetch(`${stack.restUrl}/mcp/query_specific_model?wait=false`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gemini_pro', description: `capacity ${i}` }) });
      if (res.status !== 202) return errors.add(`accept: HTTP ${res.status}`);
      acceptedAt = Date.now();
      const why = await follow((await res.json()).request_id, i).catch(errors.of);
      why ? errors.add(`follow: ${why}`) : completed++;
    } catch (err) {
      errors.add(`accept: ${errors.of(err)}`);
    }
  });
  for (const s of sockets) s.close();
  return { completed, errors: errors.count, errorKinds: errors.kinds, samples, acceptedAt, seconds: (performance.now() - started) / 1000, ...stop() };
}

async function portkey(n, stack) {
  const samples = timings();
  let acceptedAt = 0;
  let completed = 0;
  const errors = errorTally();
  const stop = watch({ portkey: stack.portkey.pid, provider: stack.fakePid, clients: process.pid });
  const started = performance.now();
  await spread(n, 100, async (i) => {
    try {
      const res = await fetch(`${stack.portkeyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': stack.fakeUrl },
        body: JSON.stringify({ model: 'google/gemini-2.5-pro', stream: true, messages: [{ role: 'user', content: `capacity ${i}` }] }),
      });
      if (!res.ok) return errors.add(`HTTP ${res.status}`);
      acceptedAt = Date.now();
      const why = await readStream(res, samples, 'data: [DONE]');
      why ? errors.add(why) : completed++;
    } catch (err) {
      errors.add(errors.of(err));
    }
  }).then(() => undefined);
  return { completed, errors: errors.count, errorKinds: errors.kinds, samples, acceptedAt, seconds: (performance.now() - started) / 1000, ...stop() };
}

export async function run() {
  const seconds = smoke ? 2 : 30;
  const sizes = smoke ? [20] : (process.env.BENCH_CAPACITY_N ?? '500,2000,5000').split(',').map(Number);
  const tokens = seconds * TOKENS_PER_SECOND;
  const redis = await startRedis();
  const fake = await startFakeProcess('openrouter', { latencyMs: 0, tokensPerSecond: TOKENS_PER_SECOND, completionTokens: tokens, stampTokens: true });
  const [restPort, wsPort, portkeyPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const env = {
    REDIS_URL: redis.url,
    OPENROUTER_BASE_URL: fake.baseURL,
    OPENROUTER_API_KEY: KEY,
    OPENAI_API_KEY: 'unused',
    MCP_DAILY_LIMIT: '1000000',
    ORCH_RATE_LIMIT: '0',
    WORKER_METRICS_PORT: '0',
    REST_PORT: String(restPort),
    WS_PORT: String(wsPort),
    // One worker holds thousands of calls here, not the default 8; and the settings under test, when
    // set (WORKER_CONCURRENCY, WORKER_MAX_UTILIZATION, WORKER_PARTIAL_FLUSH_MS…).
    WORKER_CONCURRENCY: '1000',
    WORKER_LOAD_GUARD: 'true',
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('WORKER_') && k !== 'WORKER_METRICS_PORT')),
  };
  const portkeyMain = join(dirname(require.resolve('@portkey-ai/gateway/package.json')), 'build', 'start-server.js');
  const procs = await Promise.all([
    spawnApp('worker-openrouter', env),
    spawnApp('rest-bridge', env),
    spawnApp('ws-bridge', env),
    spawnService({ script: portkeyMain, nodeArgs: ['--require', join(here, 'loopback.cjs')], args: [`--port=${portkeyPort}`, '--headless'], env: {}, readyText: 'Ready for connections' }),
  ]);
  const [worker, rest, ws, pk] = procs;
  const stack = { worker: worker.child, rest: rest.child, ws: ws.child, portkey: pk.child, redisPid: redis.process.pid, fakePid: fake.child.pid, restUrl: `http://127.0.0.1:${restPort}`, wsUrl: `ws://127.0.0.1:${wsPort}`, portkeyUrl: `http://127.0.0.1:${portkeyPort}`, fakeUrl: fake.baseURL };
  const rows = [];
  const summary = {};
  try {
    for (const n of sizes) {
      // The sides alternate at every N; each waits for the previous side's streams to end.
      for (const side of (process.env.BENCH_CAPACITY_SIDES ?? 'sse,portkey,ws').split(',')) {
        const r = side === 'portkey' ? await portkey(n, stack) : await ours(side, n, stack);
        const t = r.samples;
        const p50 = percentile(t.latency, 50);
        const p99 = percentile(t.latency, 99);
        // Tokens the fake wrote after the last call was accepted: the door no longer also takes a burst.
        const steady = t.latency.filter((_, i) => t.written[i] > r.acceptedAt);
        const p99Steady = percentile(steady, 99);
        const machinePct = Object.values(r.cpu).reduce((a, b) => a + b, 0) / availableParallelism();
        const main = side === 'portkey' ? 'portkey' : 'worker';
        const perCall = ((r.peak[main] - r.idle[main]) * 1024) / n;
        summary[`${side}:${n}`] = { ...r, samples: t.latency.length, p50, p99, p99Steady, p99Worker: percentile(t.worker, 99), p99Door: percentile(t.door, 99), machinePct };
        log(`capacity ${side} N=${n}: ${r.completed} completed, ${r.errors} errors ${JSON.stringify(r.errorKinds)}, p50 ${p50} ms, p99 ${p99} ms, ${round(r.seconds)} s, peak ${JSON.stringify(r.peak)} MiB, cpu ${JSON.stringify(Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, round(v)])))} %`);
        rows.push({
          N: n,
          path: { sse: 'ours: REST → SSE', ws: 'ours: REST → WebSocket', portkey: 'Portkey (stream)' }[side],
          completed: r.completed,
          errors: r.errors,
          'errors by kind': Object.entries(r.errorKinds).map(([k, v]) => `${v} ${k}`).join('; ') || '–',
          'token p50 ms': round(p50),
          'token p99 ms': round(p99),
          'p99 after the burst ms': round(p99Steady),
          // Ours only: where the p99 goes, split where Redis stored the event.
          'p99 fake → Redis / Redis → client ms': t.worker.length ? `${round(percentile(t.worker, 99))} / ${round(percentile(t.door, 99))}` : '–',
          'wall s': round(r.seconds),
          'peak RSS MiB': Object.entries(r.peak).filter(([k]) => k !== 'provider').map(([k, v]) => `${k} ${round(v, 0)}`).join(', '),
          'CPU % (avg; 100 = one core)': `${Object.entries(r.cpu).map(([k, v]) => `${k} ${round(v, 0)}`).join(', ')}; all ${round(machinePct, 0)}% of the machine`,
          'KiB per accepted call': round(perCall, 0),
          // CPU the process doing the streaming spent per token it passed on (all N calls' tokens).
          'µs CPU per token': r.completed ? round((r.cpu[main] * r.seconds * 1e4) / (r.completed * tokens), 0) : '–',
        });
        await sleep(smoke ? 200 : 3000);
      }
    }
    const at2000 = summary['sse:2000'];
    const verdict = at2000
      ? `N=2000 through SSE: ${at2000.completed}/2000 completed, p99 ${round(at2000.p99)} ms (target < 100 ms), worker peak RSS ${round(at2000.peak.worker, 0)} MiB (target < 1024) → ${at2000.completed === 2000 && at2000.p99 < 100 && at2000.peak.worker < 1024 ? 'target met' : 'target NOT met'}. After the burst of accepts its p99 was ${round(at2000.p99Steady)} ms; of the p99, ${round(at2000.p99Worker)} ms passed before Redis stored the token and ${round(at2000.p99Door)} ms after; every process on the path, the clients included, used ${round(at2000.machinePct, 0)}% of the machine on average.`
      : '';
    return {
      title: '8. In-flight capacity (long streaming calls, one worker process)',
      text: `Each call streams ${tokens} tokens at ${TOKENS_PER_SECOND}/s (${seconds} s). Ours: accepted over REST (202), then followed over SSE (one stream per call) or WebSocket (one socket per 100 calls); one worker process (${Object.entries(env).filter(([k]) => k.startsWith('WORKER_') && k !== 'WORKER_METRICS_PORT').map(([k, v]) => `${k}=${v}`).join(', ') || 'default settings'}, with its load guard). Portkey: the same N streams proxied to the same fake. Token latency = client read time − the time the fake wrote the token (same clock); after the burst = tokens written after the last call was accepted (the door is then only streaming); ours split at the time Redis stored the event (its stream id): fake → Redis is the worker's read, batching and write, Redis → client the door's read and write and the client's read. CPU counts the clients (this process) too. KiB per call = (peak − idle RSS of the worker, or of Portkey) / N accepted; µs CPU per token = the worker's (or Portkey's) CPU time over the run / tokens delivered; ours does not run all N at once when its load guard holds some in the queue, so this understates its cost per running call.\n\n${table(rows)}\n\n${verdict}`,
      summary,
    };
  } finally {
    for (const p of procs) p.child.kill('SIGKILL');
    fake.child.kill('SIGKILL');
    await redis.stop();
  }
}

await runIfMain(import.meta.url, run);
