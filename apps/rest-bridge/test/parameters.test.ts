import { freePort, spawnApp, startFakeStack, type FakeStack, type ServiceProcess } from '@orch/testing';

/**
 * Issue 14.3: what the caller asks for reaches the model and the ledger. `parameters.max_tokens`
 * caps the answer and so the reservation; `temperature` is sent; an unknown argument is refused.
 */
describe('call parameters through the REST bridge', () => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  let base = '';
  const LIMIT = 0.2;

  beforeAll(async () => {
    stack = await startFakeStack();
    const port = await freePort();
    const env = stack.env({ REST_PORT: String(port), MCP_DAILY_LIMIT: String(LIMIT), ORCH_RATE_LIMIT: '0', WORKER_CONCURRENCY: '64', MCP_SYNC_WAIT_SECONDS: '30' });
    procs.push(await spawnApp('worker-openrouter', env), await spawnApp('rest-bridge', env));
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  const ask = (body: unknown) => fetch(`${base}/mcp/query_specific_model`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('refuses an argument the tool does not take, naming it', async () => {
    const res = await ask({ model: 'gemini_pro', description: 'Hi', temprature: 0.2 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_arguments');
    expect(body.error.message).toContain('temprature');
    const nested = await ask({ model: 'gemini_pro', description: 'Hi', parameters: { max_tokenz: 5 } });
    expect(((await nested.json()) as { error: { message: string } }).error.message).toContain('parameters.max_tokenz');
  });

  it('sends temperature and parameters.max_tokens to the model', async () => {
    stack.reset();
    expect((await ask({ model: 'gemini_pro', description: 'Hi', temperature: 0.1 })).status).toBe(200);
    expect((await ask({ model: 'gemini_pro', description: 'Hi', parameters: { max_tokens: 300, temperature: 1.3 } })).status).toBe(200);
    expect(stack.openrouter.requests.map((r) => [r.body.temperature, r.body.max_tokens])).toEqual([
      [0.1, expect.any(Number)],
      [1.3, 300],
    ]);
  });

  // Issue 30.4: one cap per call. Its worst case (every model, the synthesis) is priced before anything
  // is written: over the cap, the call is refused with no provider request; under it, it runs, held to it.
  it('max_cost_usd: a call whose worst case is over it is refused before any provider request; one under it runs', async () => {
    stack.reset();
    const res = await ask({ model: 'gemini_pro', description: 'Hi', max_cost_usd: 0.0001 });
    expect(res.status).toBe(402);
    const body = (await res.json()) as { error: { code: string; message: string; details: Record<string, unknown> } };
    expect(body.error).toMatchObject({ code: 'budget_exceeded', message: expect.stringMatching(/^max_cost_usd: .*over this call's cap of \$0\.0001/), details: { field: 'max_cost_usd', limit: 'call' } });
    expect(stack.openrouter.requests).toHaveLength(0);
    const council = await fetch(`${base}/mcp/orchestrate_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ description: 'Hi', models: ['gemini_pro'], max_cost_usd: 0.0001 }) });
    expect(council.status).toBe(402);
    expect(stack.openrouter.requests).toHaveLength(0);
    const fits = await ask({ model: 'gemini_pro', description: 'Hi', parameters: { max_tokens: 300 }, max_cost_usd: 0.01 });
    expect(((await fits.json()) as { result: { status: string } }).result.status).toBe('completed');
    expect(stack.openrouter.requests).toHaveLength(1);
  });

  it(`with a $${LIMIT} daily limit and max_tokens 600, 60 concurrent calls admit at least 25 and never pass the limit`, async () => {
    stack.reset();
    stack.openrouter.setBehaviour({ latencyMs: 300 });
    type Answer = { result?: { status: string }; error?: { code: string } };
    const one = async (i: number): Promise<Answer> => (await (await ask({ model: 'gemini_pro', description: `Question ${i}`, parameters: { max_tokens: 600 } })).json()) as Answer;
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => one(i)));
    const completed = results.filter((r) => r.result?.status === 'completed').length;
    expect(completed).toBeGreaterThanOrEqual(25);
    const spend = ((await (await fetch(`${base}/spend`)).json()) as { result: { spent_usd: number; reserved_usd: number } }).result;
    expect(spend.spent_usd + spend.reserved_usd).toBeLessThanOrEqual(LIMIT);
  });
});
