import { join } from 'node:path';
import { spawnStack, startFakeStack, type FakeStack, type ServiceProcess } from '@orch/testing';

/**
 * Issue 30.6: the original project's config/config.yaml, as its README wrote it (model_id,
 * max_tokens, a strategies block with require_consensus), starts every app, and its
 * external_enhancement asks the models it names, by the model ids it names.
 */
describe("the seed's config.yaml as written", () => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  let rest = 0;

  beforeAll(async () => {
    stack = await startFakeStack();
    const env = stack.env({ ORCH_CONFIG: join(__dirname, '..', '..', 'packages', 'config', 'test', 'seed-config.yaml'), ORCH_RATE_LIMIT: '0' });
    rest = (await spawnStack(env, procs))['rest-bridge'];
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  it('starts every app, says it reads the seed spellings, and routes external_enhancement to its models', async () => {
    for (const p of procs) expect(p.output().stderr).toContain("uses the original project's spellings");
    const res = await fetch(`http://127.0.0.1:${rest}/mcp/orchestrate_task`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'Is a seed config still welcome?', strategy: 'external_enhancement' }),
    });
    const body = (await res.json()) as { success: boolean; result: { status: string; answers: Array<{ model: string; model_id: string }> } };
    expect(body.result.status).toBe('completed');
    expect(body.result.answers.map((a) => `${a.model}=${a.model_id}`).sort()).toEqual(['gemini_pro=google/gemini-2.5-pro-preview', 'o3_architect=o3']);
    expect(stack.openrouter.requests.map((r) => r.model)).toContain('google/gemini-2.5-pro-preview');
    expect(stack.openai.requests.map((r) => r.model)).toEqual(['o3']);
  });
});
