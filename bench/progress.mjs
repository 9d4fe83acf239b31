// 4. Progress latency: a provider streaming 50 tokens/s to 100 WebSocket subscribers of one request;
// the time from the provider writing a chunk to each subscriber receiving it (p50/p99). The fake
// provider stamps each token with the time it was written (same machine, same clock).
import { RestClient, WsClient } from '@orch/client';
import { freePort, spawnApp, startRedis } from '@orch/testing';
import { log, percentile, round, runIfMain, smoke, stackEnv, startFakeProcess, table } from './lib.mjs';

const SUBSCRIBERS = 100;
const TOKENS_PER_SECOND = 50;

async function measure(redisUrl, fake, flushMs, tokens) {
  const [restPort, wsPort] = await Promise.all([freePort(), freePort()]);
  const env = stackEnv(redisUrl, { openrouter: fake }, { WORKER_PARTIAL_FLUSH_MS: String(flushMs), REST_PORT: String(restPort), WS_PORT: String(wsPort), ORCH_QUEUE_PREFIX: `progress${flushMs}` });
  const procs = await Promise.all([spawnApp('worker-openrouter', env), spawnApp('rest-bridge', env), spawnApp('ws-bridge', env)]);
  const clients = Array.from({ length: SUBSCRIBERS }, () => new WsClient({ url: `ws://127.0.0.1:${wsPort}`, reconnect: false }));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    const rest = new RestClient({ baseUrl: `http://127.0.0.1:${restPort}` });
    // The fake waits 1 s before its first token: time for every subscription to be in place.
    const { requestId } = await rest.start('query_specific_model', { model: 'gemini_pro', description: `stream ${tokens} stamped tokens` });
    const samples = [];
    await Promise.all(
      clients.map((c) =>
        c.subscribe(requestId, {
          onEvent: (e) => {
            if (e.type !== 'partial') return;
            const now = Date.now();
            for (const m of e.delta.matchAll(/@(\d{13})/g)) samples.push(now - Number(m[1]));
          },
        }),
      ),
    );
    return samples;
  } finally {
    for (const c of clients) c.close();
    for (const p of procs) p.child.kill('SIGKILL');
  }
}

export async function run() {
  const tokens = smoke ? 25 : 250;
  const redis = await startRedis();
  const fake = await startFakeProcess('openrouter', { latencyMs: 1000, tokensPerSecond: TOKENS_PER_SECOND, completionTokens: tokens, stampTokens: true });
  try {
    const rows = [];
    const results = {};
    for (const flushMs of [20, 250]) {
      const s = await measure(redis.url, fake, flushMs, tokens);
      results[flushMs] = { p50: percentile(s, 50), p99: percentile(s, 99), n: s.length };
      log(`progress flush ${flushMs} ms: ${s.length} samples, p50 ${results[flushMs].p50} ms, p99 ${results[flushMs].p99} ms`);
      rows.push({ 'WORKER_PARTIAL_FLUSH_MS': flushMs === 20 ? '20 (default)' : '250', 'chunks × subscribers': s.length, 'p50 ms': round(results[flushMs].p50), 'p99 ms': round(results[flushMs].p99), max: Math.max(...s) });
    }
    const ok = results[20].p99 < 25;
    return {
      title: '4. Progress latency (50 tokens/s to 100 WebSocket subscribers)',
      text: `One request streaming ${tokens} tokens at ${TOKENS_PER_SECOND}/s through a worker, Redis, the WebSocket bridge's shared EventHub, to ${SUBSCRIBERS} sockets of the typed client. Latency = receive time − the time the fake provider wrote the token. The worker batches partial text at most every WORKER_PARTIAL_FLUSH_MS; at 250 ms the batching itself is the delay.\n\n${table(rows)}\n\np99 at the default flush: ${round(results[20].p99)} ms (target < 25 ms) → ${ok ? 'target met' : 'target NOT met'}.`,
      summary: results,
    };
  } finally {
    fake.child.kill('SIGKILL');
    await redis.stop();
  }
}

await runIfMain(import.meta.url, run);
