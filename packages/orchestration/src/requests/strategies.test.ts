import type { ChatMessage, ModelCallResult } from '@orch/contracts';
import type { CallOutcome } from './job-waiter';
import { runStrategy, type CallSpec, type Exec, type StrategyInput } from './strategies';

/**
 * The strategies' decisions, unit-tested through a fake Exec: which calls they make, in which shape
 * (single or flow), with which prompts, and when they stop. No queue, no Redis, no provider.
 */
const messages: ChatMessage[] = [
  { role: 'system', content: 'You are consulted.' },
  { role: 'user', content: 'Pick a queue' },
];

function answer(model: string, text: string, index = 0): CallOutcome {
  const result = { requestId: 'r', callIndex: index, jobId: `r.${index}`, model, modelId: model, provider: 'p', text, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2, cachedTokens: 0, reasoningTokens: 0 }, costUsd: 0, costSource: 'computed', streamed: true, latencyMs: 1, attempt: 1 } as ModelCallResult;
  return { jobId: `r.${index}`, model, result };
}

const VERDICT = { consensus: ['use a queue'], contradictions: [], unique_insights: [], blind_spots: [], recommendation: 'Kafka', confidence: 0.8 };

/** A synthesis or judge answer as a compliant model writes it: its verdict block before a final VERDICT line. */
function withVerdict(text: string): string {
  if (text.includes('```')) return text;
  const lines = text.split('\n');
  const last = /^VERDICT:/.test(lines.at(-1) ?? '') ? lines.pop()! : undefined;
  return [...lines, '', '```json', JSON.stringify(VERDICT), '```', ...(last ? [last] : [])].join('\n');
}

/** An Exec whose models answer with `reply(model, call)` (a parent's with a verdict unless `raw`); it records every call. */
function fakeExec(reply: (model: string, call: CallSpec, round: number) => string, raw = false) {
  const calls: Array<{ kind: 'single' | 'child' | 'parent'; model: string; messages: ChatMessage[] }> = [];
  const progress: string[] = [];
  let flows = 0;
  const exec: Exec = {
    single: async (call) => {
      calls.push({ kind: 'single', ...call });
      return answer(call.model, reply(call.model, call, 1));
    },
    flow: async (children, parent) => {
      flows++;
      for (const c of children) calls.push({ kind: 'child', ...c });
      calls.push({ kind: 'parent', model: parent.model, messages: parent.messages });
      return { children: children.map((c, i) => answer(c.model, reply(c.model, c, flows), i)), parent: answer(parent.model, (raw ? (t: string) => t : withVerdict)(reply(`${parent.model}#parent`, parent, flows)), 99) };
    },
    progress: (m) => progress.push(m),
  };
  return { exec, calls, progress };
}

const base: StrategyInput = {
  strategy: 'single',
  models: ['gemini_pro', 'o3_architect'],
  messages,
  synthesisModel: 'gemini_pro',
  judgeModel: 'gemini_pro',
  firstModel: 'gemini_pro',
  requireConsensus: false,
  maxRounds: 2,
  compareApproaches: false,
  complex: false,
};

describe('runStrategy through a fake Exec', () => {
  it('single: one call to the first model, the prompt unchanged', async () => {
    const { exec, calls } = fakeExec(() => 'ok');
    const out = await runStrategy({ ...base, strategy: 'single' }, exec);
    expect(calls).toEqual([{ kind: 'single', model: 'gemini_pro', messages }]);
    expect(out).toMatchObject({ rounds: 1, answers: [{ round: 1 }] });
  });

  it('external_enhancement: every model in one flow, then the synthesis model over their answers', async () => {
    const { exec, calls } = fakeExec((m) => `answer of ${m}`);
    const out = await runStrategy({ ...base, strategy: 'external_enhancement' }, exec);
    expect(calls.map((c) => `${c.kind}:${c.model}`)).toEqual(['child:gemini_pro', 'child:o3_architect', 'parent:gemini_pro']);
    expect(out.synthesis).toMatchObject({ role: 'synthesis' });
    expect(out.answers).toHaveLength(2);
  });

  it('max_quality_council with require_consensus: a second round where each model sees the others, then stops at agreement', async () => {
    const { exec, calls, progress } = fakeExec((m, _c, round) => (m.endsWith('#parent') ? (round === 1 ? 'Split.\nVERDICT: DISAGREE' : 'Aligned.\nVERDICT: AGREE') : `${m} says ${round === 1 ? 'Kafka' : 'Redis'}`));
    const out = await runStrategy({ ...base, strategy: 'max_quality_council', requireConsensus: true, maxRounds: 3 }, exec);
    expect(out).toMatchObject({ rounds: 2, agreement: 'agree', synthesis: { role: 'judge' } });
    expect(out.answers.map((a) => a.round)).toEqual([1, 1, 2, 2]);
    // Round 2: o3 sees its own answer as the assistant turn and gemini's among the others.
    const o3Round2 = calls.filter((c) => c.kind === 'child' && c.model === 'o3_architect')[1]!;
    expect(o3Round2.messages.at(-2)).toEqual({ role: 'assistant', content: 'o3_architect says Kafka' });
    expect(o3Round2.messages.at(-1)!.content).toContain('gemini_pro says Kafka');
    expect(progress).toHaveLength(1);
  });

  it('max_quality_council without require_consensus: one round, whatever the verdict', async () => {
    const { exec } = fakeExec((m) => (m.endsWith('#parent') ? 'VERDICT: DISAGREE' : 'x'));
    const out = await runStrategy({ ...base, strategy: 'max_quality_council' }, exec);
    expect(out).toMatchObject({ rounds: 1, agreement: 'disagree' });
  });

  it('progressive_deep_dive: stays with the first model when it is sure and the task simple; escalates when unsure', async () => {
    const sure = fakeExec(() => 'Use Redis streams.\nCONFIDENCE: high');
    expect(await runStrategy({ ...base, strategy: 'progressive_deep_dive' }, sure.exec)).toMatchObject({ escalated: false, rounds: 1 });
    expect(sure.calls).toHaveLength(1);

    const unsure = fakeExec((m) => (m === 'gemini_pro' ? 'Maybe.\nCONFIDENCE: low' : 'x'));
    const out = await runStrategy({ ...base, strategy: 'progressive_deep_dive' }, unsure.exec);
    expect(out).toMatchObject({ escalated: true, rounds: 2, synthesis: { role: 'synthesis' } });
    expect(unsure.calls.map((c) => `${c.kind}:${c.model}`)).toEqual(['single:gemini_pro', 'child:o3_architect', 'parent:gemini_pro']);
    expect(unsure.progress[0]).toContain('unsure');

    const complex = fakeExec(() => 'Sure.\nCONFIDENCE: high');
    expect(await runStrategy({ ...base, strategy: 'progressive_deep_dive', complex: true }, complex.exec)).toMatchObject({ escalated: true });
  });

  // Issue 30.1: a council's structured verdict.
  it('reads the verdict block of the synthesis, and shows the answer without it', async () => {
    const { exec, calls } = fakeExec((m) => `answer of ${m}`);
    const out = await runStrategy({ ...base, strategy: 'external_enhancement' }, exec);
    expect(out.verdict).toEqual({ verdict: VERDICT, prose: 'answer of gemini_pro#parent' });
    expect(calls).toHaveLength(3);
  });

  it('a verdict that does not parse is asked for once more as JSON only; still unreadable → null with the reason, the prose kept', async () => {
    const { exec, calls, progress } = fakeExec((m) => `answer of ${m}`, true);
    const out = await runStrategy({ ...base, strategy: 'external_enhancement' }, exec);
    expect(calls.map((c) => `${c.kind}:${c.model}`)).toEqual(['child:gemini_pro', 'child:o3_architect', 'parent:gemini_pro', 'single:gemini_pro']);
    expect(calls[3]!.messages[0]!.content).toContain('Reply with the JSON object only');
    expect(out.verdict).toMatchObject({ verdict: null, prose: 'answer of gemini_pro#parent', problem: expect.stringMatching(/no ```json block; asked once more: /) });
    expect(out.verdict!.repair).toBeDefined();
    expect(progress.at(-1)).toContain('could not be read');

    const fixed = fakeExec((m, call) => (call.messages[0]!.content.includes('JSON object only') ? JSON.stringify(VERDICT) : `answer of ${m}`), true);
    const again = await runStrategy({ ...base, strategy: 'external_enhancement' }, fixed.exec);
    expect(again.verdict).toMatchObject({ verdict: VERDICT, prose: 'answer of gemini_pro#parent' });
  });

  it('a verdict with a wrong field names it', async () => {
    const { exec } = fakeExec((m, call) => (call.messages[0]!.content.includes('JSON object only') ? '{"consensus": "all"}' : `answer of ${m}\n\n\`\`\`json\n{"consensus": []}\n\`\`\``), true);
    const out = await runStrategy({ ...base, strategy: 'external_enhancement' }, exec);
    expect(out.verdict!.problem).toMatch(/^contradictions: .*asked once more: consensus: /);
  });
});


describe('council modes (issue 30.2)', () => {
  const ballot = (choice: string, confidence = 0.8) => `Reasons.\n\n\`\`\`json\n${JSON.stringify({ choice, confidence, rationale: 'because' })}\n\`\`\``;
  const three = { ...base, strategy: 'external_enhancement' as const, models: ['gemini_pro', 'o3_architect', 'llama'] };

  it('vote: every member casts a ballot; the majority quorum is met by one choice; no reader is asked', async () => {
    const choices: Record<string, string> = { gemini_pro: 'Kafka', o3_architect: ' kafka ', llama: 'SQS' };
    const { exec, calls } = fakeExec((m) => ballot(choices[m]!));
    const out = await runStrategy({ ...three, council: 'vote' }, exec);
    expect(calls.map((c) => `${c.kind}:${c.model}`)).toEqual(['single:gemini_pro', 'single:o3_architect', 'single:llama']);
    expect(calls[0]!.messages.at(-1)!.content).toContain('"choice"');
    expect(out.vote).toMatchObject({ winner: 'Kafka', quorum: 2, met: true, tie: false, abstained: [], tally: [{ choice: 'Kafka', votes: 2, models: ['gemini_pro', 'o3_architect'] }, { choice: 'SQS', votes: 1 }] });
    expect(out.answers.map((a) => a.vote?.choice)).toEqual(['Kafka', 'kafka', 'SQS']);
    expect(out.synthesis).toBeUndefined();
  });

  it('vote: a quorum not met, a tie, and an abstention are reported, never a winner', async () => {
    const split = fakeExec((m) => (m === 'llama' ? 'I will not vote.' : ballot(m === 'gemini_pro' ? 'Kafka' : 'SQS')));
    const out = await runStrategy({ ...three, council: 'vote' }, split.exec);
    expect(out.vote).toMatchObject({ winner: null, met: false, tie: true, abstained: ['llama'] });
    const strict = fakeExec(() => ballot('Kafka'));
    expect((await runStrategy({ ...three, council: 'vote', quorum: 4 }, strict.exec)).vote).toMatchObject({ winner: null, met: false, tie: false, quorum: 4 });
  });

  it("debate: stances across the members; round 2 each sees the others' round-1 turns and keeps its stance; the judge reads the whole debate", async () => {
    const { exec, calls } = fakeExec((m, c) => `${m} argues ${c.messages.at(-1)!.content.includes('Debate round 2') ? 'again' : 'first'}`);
    const out = await runStrategy({ ...three, council: 'debate', debateRounds: 2 }, exec);
    expect(calls.map((c) => `${c.kind}:${c.model}`)).toEqual(['single:gemini_pro', 'single:o3_architect', 'single:llama', 'child:gemini_pro', 'child:o3_architect', 'child:llama', 'parent:gemini_pro']);
    expect(calls[0]!.messages.at(-1)!.content).toContain('Your assigned stance: FOR');
    expect(calls[1]!.messages.at(-1)!.content).toContain('Your assigned stance: AGAINST');
    expect(calls[2]!.messages.at(-1)!.content).toContain('Your assigned stance: NEUTRAL');
    const o3Round2 = calls[4]!.messages;
    expect(o3Round2.at(-2)).toEqual({ role: 'assistant', content: 'o3_architect argues first' });
    expect(o3Round2.at(-1)!.content).toMatch(/Debate round 2[\s\S]*gemini_pro \(for\)\ngemini_pro argues first[\s\S]*llama \(neutral\)\nllama argues first[\s\S]*keep your stance \(AGAINST\)/);
    expect(o3Round2.at(-1)!.content).not.toContain('o3_architect argues first\n');
    expect(out).toMatchObject({ council: 'debate', rounds: 2, synthesis: { role: 'judge' } });
    expect(out.answers.map((a) => `${a.round}:${a.stance}`)).toEqual(['1:for', '1:against', '1:neutral', '2:for', '2:against', '2:neutral']);
    expect(out.verdict?.verdict).toMatchObject({ recommendation: 'Kafka' });
  });
});
