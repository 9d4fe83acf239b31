import WebSocket from 'ws';
import { faults, spawnStack, startFakeStack, waitFor, writeConfigFile, type FakeStack, type ServiceProcess } from '@orch/testing';

type Answer = { model: string; text: string; fallback_of?: string };
type Output = {
  status: string;
  answers: Answer[];
  failures: Array<{ model: string; error: { code: string } }>;
  synthesis?: Answer & { role: string };
  members?: Array<{ model: string; role: string; fallback_of?: string }>;
  error?: { code: string };
};

/**
 * Issue 30.3: a model may name fallbacks (`models.<key>.fallbacks`); a call that failed for good as
 * unavailable, rate-limited, timed out or out of quota is asked of them in turn. Through the REST and
 * WebSocket doors, with OpenRouter answering 503 to everything: gemini_pro's calls go to o3 instead,
 * a single call and a council's member and synthesis alike; each answer names what it stands in
 * for; the ledger books what was billed; a metric counts the moves. A call that was wrong (400) does
 * not fall back.
 */
describe('model fallbacks', () => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  let doors: Record<string, number> = {};
  beforeAll(async () => {
    stack = await startFakeStack();
    const env = stack.env({ ORCH_RATE_LIMIT: '0', ORCH_CONFIG: writeConfigFile('models:\n  gemini_pro:\n    fallbacks: [o3_architect]\n'), WORKER_ATTEMPTS: '2', WORKER_BACKOFF_MS: '50' });
    doors = await spawnStack(env, procs);
  });
  afterEach(() => stack.reset());
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  const rest = async (tool: string, args: Record<string, unknown>): Promise<Output> => {
    const res = await fetch(`http://127.0.0.1:${doors['rest-bridge']}/mcp/${tool}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
    return ((await res.json()) as { result: Output }).result;
  };
  const openRouterDown = () => stack.openrouter.addFault({ ...faults.serverError(503), times: 100 });

  it('a single call whose provider is down is answered by its fallback, which names what it stands in for; the failure stays listed', async () => {
    openRouterDown();
    const out = await rest('query_specific_model', { model: 'gemini_pro', description: 'Which cache?' });
    expect(out.status).toBe('completed');
    expect(out.answers).toEqual([expect.objectContaining({ model: 'o3_architect', fallback_of: 'gemini_pro' })]);
    expect(out.failures).toEqual([expect.objectContaining({ model: 'gemini_pro', error: expect.objectContaining({ code: 'provider_unavailable' }) })]);
    // Two attempts (WORKER_ATTEMPTS) at OpenRouter, then one at OpenAI.
    expect(stack.openrouter.requests).toHaveLength(2);
    expect(stack.openai.requests).toHaveLength(1);
  });

  it('a council over WebSocket: the failed member and the failed synthesis each fall back; members name them; booked = billed; the metric counts both', async () => {
    openRouterDown();
    const ws = new WebSocket(`ws://127.0.0.1:${doors['ws-bridge']}`);
    const out = await new Promise<Output>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'orchestrate_task', params: { description: 'Design a cache', strategy: 'external_enhancement', models: ['gemini_pro', 'o3_architect'] } })));
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw)) as { type?: string; id?: number; result?: Output };
        if (m.type === 'result' && m.id === 1 && m.result?.status !== 'running') resolve(m.result!);
      });
    });
    ws.close();
    expect(out.status).toBe('completed');
    expect(out.answers.map((a) => [a.model, a.fallback_of])).toEqual([
      ['o3_architect', 'gemini_pro'],
      ['o3_architect', undefined],
    ]);
    expect(out.synthesis).toMatchObject({ model: 'o3_architect', fallback_of: 'gemini_pro', role: 'synthesis' });
    expect(out.members?.filter((m) => m.fallback_of).map((m) => m.role)).toEqual(['member', 'synthesis']);
    expect(out.failures.map((f) => f.model)).toEqual(['gemini_pro', 'gemini_pro']);
    // Each attempt reserved and settled on its own: the 503s billed nothing, the fallbacks what they cost.
    const billed = [...stack.openrouter.generations.values(), ...stack.openai.generations.values()].reduce((n, g) => n + g.total_cost, 0);
    const spend = await waitFor(async () => {
      const s = ((await (await fetch(`http://127.0.0.1:${doors['rest-bridge']}/spend`)).json()) as { result: { spent_usd: number; reserved_usd: number } }).result;
      return s.reserved_usd === 0 ? s : undefined;
    });
    expect(spend.spent_usd).toBeGreaterThanOrEqual(billed - 1e-9);
    // Counted by the door that drove the request (any door may): summed over the three.
    let moves = 0;
    for (const port of Object.values(doors)) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      moves += Number(/orch_model_fallbacks_total\{model="gemini_pro",fallback="o3_architect"\} (\d+)/.exec(text)?.[1] ?? 0);
    }
    // This test's two, and the single call's one before it.
    expect(moves).toBe(3);
  });

  it('a call the provider refused as wrong (400) does not fall back', async () => {
    stack.openrouter.addFault({ kind: 'status', status: 400, message: 'Invalid request', times: 10 });
    const out = await rest('query_specific_model', { model: 'gemini_pro', description: 'Which cache?' });
    expect(out.status).toBe('failed');
    expect(out.error?.code).toBe('provider_bad_request');
    expect(stack.openai.requests).toHaveLength(0);
  });
});
