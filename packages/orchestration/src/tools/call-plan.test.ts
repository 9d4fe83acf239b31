import { loadConfig } from '@orch/config';
import { plan, type PlanInput } from './call-plan';
import type { ToolAsk } from './tool';

/** The request planning as a pure function: a tool's ask and the caller's settings in, the plan out. */
describe('plan', () => {
  const config = loadConfig({ cwd: '/nonexistent', env: {} });
  const o = config.orchestration;
  const caller = { id: 'key:abc', fileAccess: false };
  const base = (ask: Partial<ToolAsk>, over: Partial<PlanInput<'orchestrate_task'>> = {}): PlanInput<'orchestrate_task'> => ({
    config,
    tool: 'orchestrate_task',
    ask: { prompt: 'Pick a queue', compareApproaches: false, ...ask },
    caller,
    prefs: {},
    context: {},
    history: [],
    defaultModels: ['gemini_pro', 'o3_architect'],
    requestId: 'r1',
    now: new Date('2026-12-07T00:00:00Z'),
    ...over,
  });

  it('models: the call\'s own, else the caller\'s, else the strategy\'s, else every default', () => {
    expect(plan(base({ strategy: 'external_enhancement', models: ['o3_architect'] })).drive.models).toEqual(['o3_architect']);
    expect(plan(base({ strategy: 'external_enhancement' }, { prefs: { models: ['gemini_pro'] } })).drive.models).toEqual(['gemini_pro']);
    expect(plan(base({ strategy: 'external_enhancement' })).drive.models).toEqual(o.strategies.external_enhancement?.models ?? ['gemini_pro', 'o3_architect']);
    expect(plan(base({ strategy: 'single' })).drive.models).toEqual([o.strategies.single?.models?.[0] ?? o.firstModel]);
    expect(plan({ ...base({}), tool: 'think_deeper' } as unknown as PlanInput<'orchestrate_task'>).drive.models).toEqual([o.reasoningModel]);
  });

  it('an unknown model is refused naming its place; a key\'s allow-list holds the synthesis too', () => {
    expect(() => plan(base({ strategy: 'single', models: ['nope'] }))).toThrow(expect.objectContaining({ code: 'unknown_model', message: expect.stringContaining('models.0') }));
    const narrow = { ...caller, key: { id: 'k', name: 'n', models: ['o3_architect'], created_at: '', prefix: 'x' } } as unknown as PlanInput<'orchestrate_task'>['caller'];
    expect(() => plan(base({ strategy: 'external_enhancement', models: ['o3_architect'] }, { caller: narrow }))).toThrow(expect.objectContaining({ code: 'forbidden' }));
  });

  it('messages: the system prompt with the session context, the thread, then the prompt', () => {
    const p = plan(base({ continuationId: 't1' }, { context: { project: 'billing' }, history: [{ role: 'user', content: 'before' }, { role: 'assistant', content: 'reply' }] }));
    expect(p.drive.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(p.drive.messages[0]!.content).toContain('billing');
    expect(p.drive.messages.at(-1)!.content).toBe('Pick a queue');
    expect(p.drive).toMatchObject({ threadId: 't1', continued: true });
    expect(plan(base({})).drive).toMatchObject({ threadId: 'r1', continued: false });
  });

  it('limits: the lower of the call\'s cap and the caller\'s; approval: the caller\'s threshold, else the operator\'s', () => {
    const p = plan(base({ maxCostUsd: 0.4 }, { prefs: { cost_limit: 0.25, approval_threshold_usd: 0.1 } }));
    expect(p.drive.maxRequestCostUsd).toBe(0.25);
    expect(p).toMatchObject({ callCapUsd: 0.4, approvalThresholdUsd: 0.1 });
    expect(plan(base({})).approvalThresholdUsd).toBe(config.gateway.approvalThresholdUsd);
    expect(plan(base({})).drive.maxRequestCostUsd).toBeUndefined();
  });

  it('council: the call\'s own, else the caller\'s default on a council strategy; thinking mode likewise', () => {
    expect(plan(base({ strategy: 'external_enhancement' }, { prefs: { council: 'vote', thinking_mode: 'low' } })).drive).toMatchObject({ council: 'vote', thinkingMode: 'low' });
    expect(plan(base({ strategy: 'single', models: ['gemini_pro'] }, { prefs: { council: 'vote' } })).drive.council).toBeUndefined();
    expect(plan(base({ strategy: 'external_enhancement', council: 'debate', thinkingMode: 'max' }, { prefs: { council: 'vote' } })).drive).toMatchObject({ council: 'debate', thinkingMode: 'max' });
  });

  it('the record: running, the caller\'s, the prompt kept, created now', () => {
    expect(plan(base({ strategy: 'single', models: ['gemini_pro'] })).record).toEqual({ requestId: 'r1', tool: 'orchestrate_task', callerId: 'key:abc', strategy: 'single', status: 'running', createdAt: '2026-12-07T00:00:00.000Z', updatedAt: '', jobs: {}, prompt: 'Pick a queue' });
  });
});
