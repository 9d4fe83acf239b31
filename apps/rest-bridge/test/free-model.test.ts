import { Redis } from 'ioredis';
import { freePort, spawnApp, startFakeProvider, startRedis, writeConfigFile, type FakeProvider, type RedisServerHandle, type ServiceProcess } from '@orch/testing';

/**
 * Issue 14.2: a model priced at $0 (the commented local-model example in config/config.yaml) answers
 * through the whole stack, and the ledger books it at 0 — no failed Lua step, no retry.
 */
describe('a free local model through the whole stack', () => {
  let redis: RedisServerHandle;
  let local: FakeProvider;
  const procs: ServiceProcess[] = [];
  let base = '';

  beforeAll(async () => {
    redis = await startRedis();
    // A local OpenAI-compatible server that needs no key and sends no usage (as Ollama may not).
    local = await startFakeProvider({ flavor: 'openai', apiKey: '' });
    const file = writeConfigFile([
      'providers:',
      '  ollama:',
      '    kind: openai_compatible',
      `    baseUrl: ${local.baseURL}`,
      '    queue: openai',
      'models:',
      '  llama_local:',
      '    provider: ollama',
      '    modelId: llama3.1:8b',
      '    maxOutputTokens: 4096',
      '    pricing: { input: 0, output: 0 }',
    ]);
    const port = await freePort();
    const env = { REDIS_URL: redis.url, ORCH_CONFIG: file, OPENROUTER_API_KEY: 'unused', OPENAI_API_KEY: 'unused', WORKER_METRICS_PORT: '0', REST_PORT: String(port), ORCH_RATE_LIMIT: '0', WORKER_BACKOFF_MS: '100' };
    procs.push(await spawnApp('worker-openai', env), await spawnApp('rest-bridge', env));
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await local.stop();
    await redis.stop();
  });

  it('answers, costs $0, and its spend records read 0', async () => {
    const res = await fetch(`${base}/mcp/query_specific_model`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'llama_local', description: 'Hello, local model' }) });
    const body = (await res.json()) as { result: { status: string; request_id: string; answers: Array<{ text: string; cost_usd: number }>; totals: { cost_usd: number } } };
    expect(res.status).toBe(200);
    expect(body.result.status).toBe('completed');
    expect(body.result.answers[0]!.text).toContain('echo: Hello, local model');
    expect(body.result.totals.cost_usd).toBe(0);
    // One provider call: not retried after a failed booking.
    expect(local.requests).toHaveLength(1);
    const spend = ((await (await fetch(`${base}/spend`)).json()) as { result: { spent_usd: number; reserved_usd: number; by_request: Record<string, number> } }).result;
    expect(spend).toMatchObject({ spent_usd: 0, reserved_usd: 0 });
    expect(spend.by_request[body.result.request_id] ?? 0).toBe(0);
    // The ledger's own record of the request: booked, at 0.
    const conn = new Redis(redis.url);
    const rec = await conn.hgetall(`{ledger}:req:${body.result.request_id}`);
    conn.disconnect();
    expect(Number(rec.spent ?? 0)).toBe(0);
    expect(Number(rec.reserved ?? 0)).toBe(0);
    expect(Object.entries(rec).filter(([k]) => k.startsWith('done:')).map(([, v]) => v)).toEqual(['settled']);
  });
});
