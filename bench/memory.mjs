// 5. Memory: RSS of every app idle, then after each of three batches of requests (20,000 in all:
// REST calls to Gemini via the OpenRouter worker, and WebSocket calls to o3 via the OpenAI worker).
// No growth trend across the batches is the target.
import autocannon from 'autocannon';
import { WsClient } from '@orch/client';
import { freePort, spawnApp, startRedis } from '@orch/testing';
import { INSPECT, log, memoryAfterGc, round, rssMiB, runIfMain, sleep, smoke, stackEnv, startFakeProcess, table } from './lib.mjs';

export async function run() {
  const total = smoke ? 600 : 20_000;
  const perBatch = Math.floor(total / 3);
  const redis = await startRedis();
  const [or, oa] = await Promise.all([startFakeProcess('openrouter', {}), startFakeProcess('openai', {})]);
  const [restPort, wsPort, mcpPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const env = stackEnv(redis.url, { openrouter: or, openai: oa }, {
    MCP_DAILY_LIMIT: '1000000',
    WORKER_CONCURRENCY: '32',
    REST_PORT: String(restPort),
    WS_PORT: String(wsPort),
    MCP_HTTP_PORT: String(mcpPort),
  });
  // Every app with its inspector open on loopback, to read its live memory after a full GC.
  const apps = {};
  for (const name of ['worker-openrouter', 'worker-openai', 'rest-bridge', 'ws-bridge']) apps[name] = await spawnApp(name, env, { nodeArgs: INSPECT });
  apps['mcp-gateway'] = await spawnApp('mcp-gateway', { ...env, MCP_TRANSPORT: 'http' }, { nodeArgs: INSPECT });
  const ws = new WsClient({ url: `ws://127.0.0.1:${wsPort}`, reconnect: false });
  try {
    await sleep(2000);
    // Live JS objects plus memory held outside the JS heap (Buffers, ArrayBuffers) after a full GC:
    // what a leak grows. Read after RSS, since the collection itself may hand memory back.
    const liveMiB = async (name) => {
      const m = await memoryAfterGc(apps[name]);
      return (m.heapUsed + m.external) / 1048576;
    };
    const heaps = [];
    const snapshot = () => Object.fromEntries(Object.entries(apps).map(([k, p]) => [k, rssMiB(p.pid)]));
    const heapSnapshot = async () => Object.fromEntries(await Promise.all(Object.keys(apps).map(async (k) => [k, await liveMiB(k)])));
    const samples = [snapshot()];
    await ws.connect();
    // Batch 0 warms up (JIT, pools, V8 heap sizing) and is not one of the three compared.
    for (let b = 0; b < 4; b++) {
      const size = b === 0 ? Math.round(perBatch / 3) : perBatch;
      const restN = Math.round(size * 0.8);
      const wsN = size - restN;
      let wsDone = 0;
      await Promise.all([
        autocannon({
          url: `http://127.0.0.1:${restPort}/mcp/query_specific_model`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gemini_pro', description: 'memory check' }),
          connections: 40,
          amount: restN,
          timeout: 60,
        }).then((r) => {
          if (r.non2xx || r.errors) throw new Error(`REST: ${r.non2xx} non-2xx, ${r.errors} errors`);
        }),
        Promise.all(
          Array.from({ length: 10 }, async () => {
            while (wsDone < wsN) {
              wsDone++;
              await ws.call('think_deeper', { problem: 'memory check', thinking_mode: 'minimal' });
            }
          }),
        ),
      ]);
      await sleep(3000);
      if (b === 0) continue;
      samples.push(snapshot());
      heaps.push(await heapSnapshot());
      log(`live memory after GC, batch ${b}: ${JSON.stringify(Object.fromEntries(Object.entries(heaps.at(-1)).map(([k, v]) => [k, round(v)])))}`);
      log(`memory batch ${b}: ${JSON.stringify(Object.fromEntries(Object.entries(samples.at(-1)).map(([k, v]) => [k, round(v)])))}`);
    }
    const rows = Object.keys(apps).map((name) => {
      const [idle, b1, b2, b3] = samples.map((s) => s[name]);
      const growth = (b3 - b1) / b1;
      // A trend: rising batch after batch, by more than 10% in all.
      const rising = b1 < b2 && b2 < b3 && growth > 0.1;
      const [h1, h2, h3] = heaps.map((h) => h[name]);
      const heapRising = h1 < h2 && h2 < h3 && (h3 - h1) / h1 > 0.1;
      return {
        app: name,
        'idle MiB': round(idle),
        'batch 1 MiB': round(b1),
        'batch 2 MiB': round(b2),
        'batch 3 MiB': round(b3),
        'batch 1→3': `${growth >= 0 ? '+' : ''}${round(growth * 100)}%`,
        'live heap + external after GC 1 / 2 / 3 MiB': `${round(h1)} / ${round(h2)} / ${round(h3)}`,
        trend: rising ? (heapRising ? 'rising' : 'RSS only') : 'none',
      };
    });
    const trend = rows.filter((r) => r.trend === 'rising');
    const rssOnly = rows.filter((r) => r.trend === 'RSS only');
    return {
      title: '5. Memory (RSS idle and after three batches)',
      text: `${total} requests in three batches of ${perBatch}, after a warm-up batch of ${Math.round(perBatch / 3)} that is not compared: 80% REST (query_specific_model, 40 connections) and 20% over one WebSocket (think_deeper, 10 in flight). The MCP gateway runs but only idles (MCP clients are exercised by the tests). RSS read from /proc 3 s after each batch; then each app's live memory: JS heap used plus external memory (Buffers, ArrayBuffers) right after a full garbage collection, asked over the inspector (every app runs with \`--inspect=127.0.0.1:0\`). The forced collection also lets V8 shrink its heap before the next batch, which lowers the later RSS readings. A trend = RSS rising batch after batch by more than 10% in all; when live memory does not rise with it, the growth is V8 sizing its heap and the allocator returning memory lazily, not retained objects, and is marked \`RSS only\`.\n\n${table(rows)}\n\n${trend.length ? `Rising, live memory included: ${trend.map((r) => r.app).join(', ')} → target NOT met.` : `No app's memory rises batch after batch${rssOnly.length ? ` (RSS alone rose for ${rssOnly.map((r) => r.app).join(', ')} while its live memory did not)` : ''} → no growth trend (target met).`}`,
    };
  } finally {
    ws.close();
    for (const p of Object.values(apps)) p.child.kill('SIGKILL');
    or.child.kill('SIGKILL');
    oa.child.kill('SIGKILL');
    await redis.stop();
  }
}

await runIfMain(import.meta.url, run);
