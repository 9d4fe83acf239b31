import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, spawnService, startFakeStack, waitFor, type FakeStack, type ServiceProcess } from '@orch/testing';

// Issue 31.3: a Redis that is full (maxmemory, noeviction) refuses writes. Callers hear so truthfully
// — 503 unavailable, retryable, Retry-After, "Redis is full" — never 500 internal or "cannot reach";
// and no model call is sent for a request its caller was told failed. Before, the first refusals
// were `500 internal`, and a request half-written in that window had its first call sent and billed.
const REST = join(__dirname, '..', 'dist', 'main.js');
const WORKER_OPENROUTER = join(__dirname, '..', '..', 'worker-openrouter', 'dist', 'main.js');

interface Answer {
  success: boolean;
  request_id?: string;
  error?: { code: string; message: string; retryable: boolean };
}

describe('REST bridge with a full Redis', () => {
  let stack: FakeStack;
  let redis: Redis;
  const procs: ServiceProcess[] = [];
  let base = '';
  beforeAll(async () => {
    stack = await startFakeStack();
    redis = new Redis(stack.redis.url);
    const port = await freePort();
    const env = stack.env({ REST_PORT: String(port), ORCH_QUEUE_PREFIX: 'full', ORCH_RATE_LIMIT: '0' });
    stack.openrouter.setBehaviour({ latencyMs: 200 });
    procs.push(await spawnService({ script: WORKER_OPENROUTER, env, readyText: 'provider worker started' }));
    procs.push(await spawnService({ script: REST, env, readyText: 'REST bridge listening' }));
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    redis.disconnect();
    await stack.stop();
  });

  const ask = async (n: number) => {
    const res = await fetch(`${base}/mcp/query_specific_model?wait=false`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini_pro', description: `Full-Redis question number ${n}.` }),
    });
    return { n, status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Answer };
  };

  it('answers 503 "Redis is full" (retryable, Retry-After) while full, sends no model call for a refused request, and serves again once there is room', async () => {
    expect((await ask(0)).status).toBe(202);
    // Full from here on: a limit just above what Redis holds now, then filled past it in steps,
    // with calls arriving meanwhile, so that some land while a few writes still fit.
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    await redis.config('SET', 'maxmemory', String(used + 256 * 1024));
    const answers: Array<Awaited<ReturnType<typeof ask>>> = [];
    for (let round = 0; round < 8; round++) {
      await redis.set(`junk:${round}`, 'x'.repeat(48 * 1024)).catch(() => undefined);
      answers.push(...(await Promise.all(Array.from({ length: 5 }, (_, i) => ask(1 + round * 5 + i)))));
    }
    const refused = answers.filter((a) => a.status !== 202);
    expect(refused.length).toBeGreaterThan(0);
    for (const a of refused) {
      expect({ status: a.status, error: a.body.error }).toEqual({ status: 503, error: expect.objectContaining({ code: 'unavailable', retryable: true, message: expect.stringContaining('Redis is full') }) });
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
    }

    // Room again: every accepted request completes; refused ones never reached the provider.
    await redis.config('SET', 'maxmemory', '0');
    const accepted = answers.filter((a) => a.status === 202);
    for (const a of accepted) {
      await waitFor(
        async () => {
          const r = (await (await fetch(`${base}/requests/${a.body.request_id}?wait=5`)).json()) as { result?: { status: string } };
          return r.result?.status === 'completed' ? r : undefined;
        },
        { timeoutMs: 60_000, what: `request ${a.n} to complete` },
      );
    }
    const asked = new Set(stack.openrouter.requests.map((r) => Number(/question number (\d+)\./.exec(JSON.stringify(r.body.messages))?.[1])));
    expect(refused.filter((a) => asked.has(a.n)).map((a) => a.n)).toEqual([]);
    expect((await ask(99)).status).toBe(202);
  }, 120_000);
});
