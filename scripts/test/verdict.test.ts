import WebSocket from 'ws';
import { spawnStack, startFakeStack, type FakeStack, type ServiceProcess } from '@orch/testing';

type Output = {
  status: string;
  council?: string;
  vote?: { winner: string | null; met: boolean; tie: boolean; quorum: number; abstained: string[]; tally: Array<{ choice: string; votes: number; models: string[] }> };
  answers?: Array<{ model: string; round: number; stance?: string; vote?: { choice: string } }>;
  synthesis?: { text: string; role: string };
  verdict?: { contradictions: Array<{ topic: string; positions: Array<{ model: string; position: string }> }>; recommendation: string } | null;
  verdict_error?: string;
  members?: Array<{ model: string; role: string; stance?: string; vote?: { choice: string } }>;
  totals: { cost_usd: number };
};

/**
 * Issue 30.1: a council answers with a structured verdict, through the REST and WebSocket doors
 * (the MCP gateway's SDK-validated answer is checked in gateway.test). The fake providers are
 * scripted per prompt: members that disagree, a judge whose JSON names the contradiction, and a
 * judge that will not write JSON at all.
 */
describe('council verdicts', () => {
  let stack: FakeStack;
  const procs: ServiceProcess[] = [];
  let doors: Record<string, number> = {};
  beforeAll(async () => {
    stack = await startFakeStack();
    const env = stack.env({ ORCH_RATE_LIMIT: '0' });
    doors = await spawnStack(env, procs);
  });
  afterEach(() => stack.reset());
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await stack.stop();
  });

  const lastUser = (messages: unknown) => String((messages as Array<{ role: string; content: string }>).filter((m) => m.role === 'user').at(-1)?.content ?? '');
  const overRest = async (args: Record<string, unknown>): Promise<Output> => {
    const res = await fetch(`http://127.0.0.1:${doors['rest-bridge']}/mcp/orchestrate_task`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args) });
    return ((await res.json()) as { result: Output }).result;
  };
  const overWs = (args: Record<string, unknown>) =>
    new Promise<Output>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${doors['ws-bridge']}`);
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'orchestrate_task', params: args })));
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as { type: string; result?: Output; error?: unknown };
        if (m.type === 'result') resolve((ws.close(), m.result!));
        else if (m.type === 'error') reject(new Error(JSON.stringify(m.error)));
      });
    });

  it('members that disagree: the judge JSON lands as verdict.contradictions, over REST and WebSocket, the prose without its block', async () => {
    const judge = {
      consensus: ['a queue is needed'],
      contradictions: [{ topic: 'which queue', positions: [{ model: 'gemini_pro', position: 'Kafka' }, { model: 'o3_architect', position: 'SQS' }] }],
      unique_insights: [{ model: 'o3_architect', insight: 'managed costs less to run' }],
      blind_spots: ['ordering guarantees'],
      recommendation: 'SQS unless replay is needed',
      confidence: 0.7,
    };
    const answer = (model: string) => (messages: unknown) => {
      const prompt = lastUser(messages);
      if (prompt.includes('```json fenced block')) return `They disagree on the queue.\n\n\`\`\`json\n${JSON.stringify(judge)}\n\`\`\`\nVERDICT: DISAGREE`;
      return model === 'gemini' ? 'Use Kafka.' : 'Use SQS.';
    };
    stack.openrouter.setBehaviour({ answer: answer('gemini') });
    stack.openai.setBehaviour({ answer: answer('o3') });
    const args = { description: 'Which queue?', strategy: 'max_quality_council' };
    for (const out of [await overRest(args), await overWs(args)]) {
      expect(out.status).toBe('completed');
      expect(out.verdict).toEqual(judge);
      expect(out.synthesis).toMatchObject({ role: 'judge', text: 'They disagree on the queue.' });
      expect(out.members!.map((m) => `${m.role}:${m.model}`)).toEqual(['member:gemini_pro', 'member:o3_architect', 'judge:gemini_pro']);
    }
  });

  it('vote (issue 30.2) over REST: ballots counted with a quorum; one not met is reported, never a winner', async () => {
    const ballot = (choice: string) => `My reasons.\n\n\`\`\`json\n${JSON.stringify({ choice, confidence: 0.75, rationale: 'fits the load' })}\n\`\`\``;
    stack.openrouter.setBehaviour({ answer: () => ballot('Kafka') });
    stack.openai.setBehaviour({ answer: () => ballot('kafka') });
    const met = await overRest({ description: 'Which queue?', council: 'vote' });
    expect(met).toMatchObject({ status: 'completed', council: 'vote', vote: { winner: 'Kafka', met: true, tie: false, quorum: 2, abstained: [] } });
    expect(met.members!.map((m) => `${m.model}:${m.vote?.choice}`)).toEqual(['gemini_pro:Kafka', 'o3_architect:kafka']);
    // No synthesis: two provider calls.
    expect(stack.openrouter.requests.length + stack.openai.requests.length).toBe(2);
    stack.openai.setBehaviour({ answer: () => ballot('SQS') });
    const split = await overRest({ description: 'Which queue?', council: 'vote' });
    expect(split.vote).toMatchObject({ winner: null, met: false, tie: true });
  });

  it("debate (issue 30.2) over WebSocket: two rounds with stances, each member sees the other's first turn, then the judge's verdict", async () => {
    const said = (model: string) => (messages: unknown) => {
      const prompt = lastUser(messages);
      if (prompt.includes('Judge the debate')) return undefined; // the fake's own verdict
      return prompt.includes('Debate round 2') ? `${model} rebuts` : `${model} opens`;
    };
    stack.openrouter.setBehaviour({ answer: said('gemini') });
    stack.openai.setBehaviour({ answer: said('o3') });
    const out = await overWs({ description: 'Monolith or services?', council: 'debate', rounds: 2 });
    expect(out).toMatchObject({ status: 'completed', council: 'debate', synthesis: { role: 'judge' } });
    expect(out.answers!.map((a) => `${a.round}:${a.model}:${a.stance}`)).toEqual(['1:gemini_pro:for', '1:o3_architect:against', '2:gemini_pro:for', '2:o3_architect:against']);
    expect(out.verdict).toMatchObject({ recommendation: expect.any(String) });
    // o3's second turn quoted gemini's first; the judge read both rounds.
    const o3Turn2 = stack.openai.requests.map((r) => JSON.stringify(r.body.messages)).find((m) => m.includes('Debate round 2'))!;
    expect(o3Turn2).toContain('gemini opens');
    const judge = stack.openrouter.requests.map((r) => lastUser(r.body.messages)).find((p) => p.includes('Judge the debate'))!;
    expect(judge).toMatch(/gemini opens[\s\S]*o3 opens[\s\S]*gemini rebuts/);
  });

  it('a judge that answers in prose twice: verdict null with the reason, the answer still given, the retry billed and counted', async () => {
    stack.openrouter.setBehaviour({ answer: (messages) => (lastUser(messages).includes('JSON') ? 'I would rather not use JSON.' : undefined) });
    const out = await overRest({ description: 'Which queue?', strategy: 'external_enhancement' });
    expect(out.status).toBe('completed');
    expect(out.verdict).toBeNull();
    expect(out.verdict_error).toMatch(/no ```json block; asked once more: /);
    expect(out.synthesis!.text).toBe('I would rather not use JSON.');
    expect(out.members!.map((m) => m.role)).toEqual(['member', 'member', 'synthesis', 'verdict']);
    // Two answers, the synthesis and its retry: four provider calls, all in the totals.
    expect(stack.openrouter.requests.length + stack.openai.requests.length).toBe(4);
    expect(out.totals.cost_usd).toBeGreaterThan(0);
  });
});
