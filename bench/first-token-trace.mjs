// Where a streamed call's first token spends its time on the way through the REST bridge: one call
// at a time (POST, Accept: text/event-stream), the fake provider waiting 100 ms before its first
// token, as section 9 runs it. Redis's MONITOR (redis-cli, its own process) stamps every command
// each process sends (the apps name their connections); the client stamps its start and the moment
// it sees `event: partial`; each stage is a median over the calls. MONITOR adds about 2 ms to the
// whole (the last row measures the same calls without it): read the stages against each other.
// Not part of `pnpm bench`.
//   node bench/first-token-trace.mjs [calls=30]
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { freePort, spawnApp, startRedis } from '@orch/testing';
import { KEY, log, median, round, runIfMain, sleep, stackEnv, startFakeProcess, table } from './lib.mjs';

const LATENCY_MS = 100;

/** The stages, each from the first command (or client mark) matching `from` to the first after it matching `to`. */
const STAGES = [
  { stage: "client → the door's first command (HTTP, parsing, guards)", from: (e) => e.who === 'client start', to: (e) => e.who === 'rest-bridge' },
  { stage: "the door's reads and the request's record", from: (e) => e.who === 'rest-bridge', to: (e) => e.who === 'queues' },
  { stage: "the job's add → the worker takes it (BullMQ's hop)", from: (e) => e.who === 'queues', to: (e) => e.who === 'worker-openrouter' },
  { stage: 'the worker takes it → its start and reservation', from: (e) => e.who === 'worker-openrouter', to: (e) => e.who === 'worker-openrouter-cmd' && e.key.startsWith('{ledger}:day') },
  { stage: `the reservation → the worker writes the first text (provider: ${LATENCY_MS} ms)`, from: (e) => e.who === 'worker-openrouter-cmd' && e.key.startsWith('{ledger}:day'), to: (e) => e.who === 'worker-openrouter-cmd' && e.key.endsWith(':events') },
  { stage: 'the first text written → the client sees it (event hub, door, HTTP)', from: (e) => e.who === 'worker-openrouter-cmd' && e.key.endsWith(':events'), to: (e) => e.who === 'client first' },
];

export async function run() {
  const calls = Number(process.argv[2] ?? 30);
  const redis = await startRedis();
  const fake = await startFakeProcess('openrouter', { latencyMs: LATENCY_MS, completionTokens: 10, tokensPerSecond: 200 });
  const restPort = await freePort();
  const env = stackEnv(redis.url, { openrouter: fake }, { REST_PORT: String(restPort), MCP_LOG_LEVEL: 'info' });
  const apps = [await spawnApp('worker-openrouter', env), await spawnApp('rest-bridge', env)];
  const admin = new Redis(redis.url);
  let watch;
  try {
    const url = `http://127.0.0.1:${restPort}/mcp/query_specific_model`;
    const now = () => performance.timeOrigin + performance.now();
    const call = async (i) => {
      const start = now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${KEY}` }, body: JSON.stringify({ model: 'gemini_pro', description: `first token ${i}` }) });
      const decoder = new TextDecoder();
      let text = '';
      let first;
      for await (const chunk of res.body) {
        text += decoder.decode(chunk, { stream: true });
        if (first === undefined && text.includes('\nevent: partial\n')) first = now();
      }
      if (first === undefined) throw new Error(`call ${i} ended without a partial event`);
      return { start, first };
    };
    // The provider stage's reference: the same fake asked directly by the openai SDK from this process.
    const openai = new OpenAI({ baseURL: fake.baseURL, apiKey: KEY, maxRetries: 0 });
    const direct = async (i) => {
      const start = now();
      const stream = await openai.chat.completions.create({ model: 'google/gemini-2.5-pro', stream: true, messages: [{ role: 'user', content: `first token ${i}` }] });
      let first;
      for await (const chunk of stream) if (first === undefined && chunk.choices[0]?.delta?.content) first = now();
      if (first === undefined) throw new Error(`direct call ${i} ended without text`);
      return first - start;
    };
    for (let i = 0; i < 10; i++) await call(i);
    // The same calls without MONITOR: what MONITOR adds to the sum.
    const unwatched = [];
    const unwatchedDirect = [];
    for (let i = 0; i < calls; i++) {
      const { start, first } = await call(10 + i);
      unwatched.push(first - start);
      unwatchedDirect.push(await direct(i));
    }
    // Connection names by address, read before MONITOR starts (a monitoring connection takes no other command).
    const names = new Map(
      (await admin.client('LIST'))
        .split('\n')
        .filter(Boolean)
        .map((line) => Object.fromEntries(line.split(' ').map((kv) => kv.split('='))))
        .map((c) => [c.addr, c.name || c.addr]),
    );
    // MONITOR from redis-cli, its own process: this one only keeps its output and reads it after each call.
    watch = spawn('redis-cli', ['-u', redis.url, 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let raw = '';
    watch.stdout.on('data', (chunk) => (raw += chunk));
    // `1796693673.034123 [0 127.0.0.1:45678] "evalsha" "<sha>" "2" "<key>" …`; a script's own calls say `[0 lua]`.
    const parse = (text) =>
      text.split('\n').flatMap((line) => {
        const m = /^(\d+\.\d+) \[\d+ ([^\]]+)\] (.*)$/.exec(line);
        if (!m || m[2] === 'lua') return [];
        const args = [...m[3].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1]);
        const isScript = /^evalsha$/i.test(args[0] ?? '');
        return [{ t: Number(m[1]) * 1000, who: names.get(m[2]) ?? m[2], key: (isScript ? args[3] : args[1]) ?? '' }];
      });
    await sleep(300);
    const stages = STAGES.map(() => []);
    const totals = [];
    const directs = [];
    for (let i = 0; i < calls; i++) {
      raw = '';
      const { start, first } = await call(100 + i);
      await sleep(50);
      const timeline = [...parse(raw), { t: start, who: 'client start', key: '' }, { t: first, who: 'client first', key: '' }].sort((a, b) => a.t - b.t);
      totals.push(first - start);
      directs.push(await direct(i));
      let at = 0;
      for (const [s, { from, to }] of STAGES.entries()) {
        const a = timeline.findIndex((e, j) => j >= at && from(e));
        const b = timeline.findIndex((e, j) => j > a && to(e));
        if (a < 0 || b < 0) throw new Error(`call ${i}: no "${STAGES[s].stage}" in its timeline`);
        stages[s].push(timeline[b].t - timeline[a].t);
        at = b;
      }
      log(`first-token-trace call ${i + 1}: ${round(first - start)} ms`);
    }
    const rows = STAGES.map(({ stage }, s) => ({ stage, 'p50 ms': round(median(stages[s]), 2) }));
    rows.push({ stage: 'client start → first text seen (the sum)', 'p50 ms': round(median(totals), 2) });
    rows.push({ stage: 'for reference: the openai SDK asking the fake directly, to its first text', 'p50 ms': round(median(directs), 2) });
    rows.push({ stage: 'without MONITOR: the sum, and the direct call', 'p50 ms': `${round(median(unwatched), 2)}, ${round(median(unwatchedDirect), 2)}` });
    return {
      title: `Where a first token's time goes (REST, Accept: text/event-stream, ${calls} calls one at a time, under MONITOR)`,
      text: table(rows),
    };
  } finally {
    watch?.kill();
    admin.disconnect();
    for (const app of apps) app.child.kill('SIGKILL');
    fake.child.kill('SIGKILL');
    await redis.stop();
  }
}

await runIfMain(import.meta.url, run);
