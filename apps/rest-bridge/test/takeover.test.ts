import { Redis } from 'ioredis';
import { freePort, spawnApp, startFakeStack, waitFor, type FakeStack, type ServiceProcess } from '@orch/testing';

/**
 * Issue 13.1 drills: the front door that drives a council dies (kill -9) or is stopped (SIGTERM)
 * while its model calls run. Another front door takes the request over; the request completes with
 * its full result, readable there; no model call is sent twice; the ledger books what was billed.
 */
describe('a council survives the front door that drives it', () => {
  let stack: FakeStack;
  let redis: Redis;
  const procs: ServiceProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startFakeStack();
    redis = new Redis(stack.redis.url);
    env = stack.env({ ORCH_DRIVER_LOCK_MS: '1500', ORCH_SHUTDOWN_GRACE_MS: '300', MCP_SYNC_WAIT_SECONDS: '30', ORCH_RATE_LIMIT: '0' });
    procs.push(await spawnApp('worker-openai', env), await spawnApp('worker-openrouter', env));
  });
  afterEach(() => stack.reset());
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    redis.disconnect();
    await stack.stop();
  });

  const door = async () => {
    const port = await freePort();
    const p = await spawnApp('rest-bridge', { ...env, REST_PORT: String(port) });
    procs.push(p);
    return { p, base: `http://127.0.0.1:${port}` };
  };
  const json = { 'content-type': 'application/json' };

  it.each([
    ['kill -9', 'SIGKILL'],
    ['SIGTERM', 'SIGTERM'],
  ] as const)('%s of the driving door: another door finishes the request, each model called once', async (_name, signal) => {
    // Slow models: the door is stopped while all three calls (two answers, then a synthesis) run.
    stack.openrouter.setBehaviour({ latencyMs: 1500 });
    stack.openai.setBehaviour({ latencyMs: 1500 });
    const a = await door();
    // A sync caller: on SIGTERM its wait ends, but its request must not be cancelled.
    const sync = fetch(`${a.base}/mcp/orchestrate_task`, { method: 'POST', headers: json, body: JSON.stringify({ description: 'Design a cache', strategy: 'external_enhancement' }) }).then(
      (r) => r.json() as Promise<{ result?: { request_id?: string } }>,
      () => undefined,
    );
    const requestId = await waitFor(async () => (await redis.keys('orch:req:*:meta'))[0]?.match(/\{(\w+)\}/)?.[1], { timeoutMs: 5000, what: 'the request record' });
    await stack.openai.waitForRequest();
    a.p.child.kill(signal);
    await a.p.exited;
    await sync;
    // Another door, started after the first one is gone, takes the request over.
    const b = await door();
    const res = await fetch(`${b.base}/requests/${requestId}?wait=45`);
    const body = (await res.json()) as { result: { status: string; output: { answers: unknown[]; synthesis?: { text: string }; error?: unknown } } };
    expect(body.result.status).toBe('completed');
    expect(body.result.output.answers).toHaveLength(2);
    expect(body.result.output.synthesis?.text).toBeTruthy();
    // Each model call reached its provider once: two OpenRouter (answer, synthesis), one OpenAI.
    expect(stack.openrouter.requests.length).toBe(2);
    expect(stack.openai.requests.length).toBe(1);
    // Followers get `done`, from the new door too.
    const events = await (await fetch(`${b.base}/requests/${requestId}/events`)).text();
    expect(events).toContain('event: done');
    // The ledger booked the three calls and holds no reservation.
    const spend = (await (await fetch(`${b.base}/spend`)).json()) as { result: { by_request: Record<string, number>; reserved_usd: number } };
    expect(spend.result.by_request[requestId]).toBeGreaterThan(0);
    await waitFor(async () => ((await (await fetch(`${b.base}/spend`)).json()) as { result: { reserved_usd: number } }).result.reserved_usd === 0, { timeoutMs: 10_000 });
    b.p.child.kill('SIGTERM');
    await b.p.exited;
    await redis.del(`orch:req:{${requestId}}:meta`);
  });
});
