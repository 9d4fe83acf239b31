// Where a streamed call's first token spends its time on the way through the REST bridge: one call
// at a time (POST, Accept: text/event-stream), the fake provider waiting 100 ms before its first
// token, as section 9 runs it (its calls: ttft.mjs). Redis's MONITOR stamps every command each
// process sends (the apps name their connections); the client stamps its start and the moment it
// sees `event: partial`; each stage is a median over the calls. MONITOR adds a little to the whole
// (the last row measures the same calls without it): read the stages against each other.
// Not part of `pnpm bench`.
//   node bench/first-token-trace.mjs [calls=30]
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { freePort, monitorRedis, spawnApp, startRedis } from '@orch/testing';
import { KEY, log, median, round, runIfMain, stackEnv, startFakeProcess, table } from './lib.mjs';
import { directFirstText, postFirstText } from './ttft.mjs';

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
  let monitor;
  try {
    const restUrl = `http://127.0.0.1:${restPort}`;
    const args = (i) => ({ model: 'gemini_pro', description: `first token ${i}` });
    // The provider stage's reference: the same fake asked directly by the openai SDK from this process.
    const openai = new OpenAI({ baseURL: fake.baseURL, apiKey: KEY, maxRetries: 0 });
    // Warm-up, then the same calls without MONITOR: what MONITOR adds to the sum.
    for (let i = 0; i < 10; i++) await postFirstText(restUrl, args(i));
    const unwatched = [];
    const unwatchedDirect = [];
    for (let i = 0; i < calls; i++) {
      unwatched.push(took(await postFirstText(restUrl, args(10 + i))));
      unwatchedDirect.push(took(await directFirstText(openai, i)));
    }
    // Connection names by address (the apps name theirs), read before MONITOR starts.
    const names = new Map(
      (await admin.client('LIST'))
        .split('\n')
        .filter(Boolean)
        .map((line) => Object.fromEntries(line.split(' ').map((kv) => kv.split('='))))
        .map((c) => [c.addr, c.name || c.addr]),
    );
    monitor = await monitorRedis(admin.options.host, admin.options.port);
    // EVALSHA's first key, or a command's own first argument: what tells the stages apart.
    const entry = ({ args, source, time }) => ({ t: time, who: names.get(source) ?? source, key: (/^evalsha$/i.test(args[0] ?? '') ? args[3] : args[1]) ?? '' });
    const stages = STAGES.map(() => []);
    const totals = [];
    const directs = [];
    for (let i = 0; i < calls; i++) {
      monitor.commands.length = 0;
      const { start, first } = epoch(await postFirstText(restUrl, args(100 + i)));
      await monitor.caughtUp();
      const seen = monitor.commands.filter((c) => !c.source.endsWith('lua')).map(entry);
      const timeline = [...seen, { t: start, who: 'client start', key: '' }, { t: first, who: 'client first', key: '' }].sort((a, b) => a.t - b.t);
      totals.push(first - start);
      directs.push(took(await directFirstText(openai, i)));
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
    monitor?.stop();
    admin.disconnect();
    for (const app of apps) app.child.kill('SIGKILL');
    fake.child.kill('SIGKILL');
    await redis.stop();
  }
}

const took = ({ start, first }) => first - start;
/** performance.now() marks on Redis's clock (epoch ms), beside MONITOR's stamps. */
const epoch = ({ start, first }) => ({ start: performance.timeOrigin + start, first: performance.timeOrigin + first });

await runIfMain(import.meta.url, run);
