import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Cluster, Redis } from 'ioredis';
import { loadConfig, type Config } from '@orch/config';
import type { ModelToolOutput, ToolName, ToolOutput } from '@orch/contracts';
import { createLogger } from '@orch/logging';
import { startProviderWorker, type ProviderWorker } from '@orch/worker';
import { faults, monitorRedis, startFakeStack, waitFor, type FakeProvider, type FakeStack } from '@orch/testing';
import { Orchestrator } from './orchestrator';
import { isErrorResult, structuredOf, type Caller, type ModelToolName, type ToolResult } from './tools';

const local: Caller = { id: 'local', fileAccess: true };
const remote: Caller = { id: 'key:abc', fileAccess: false };
let seq = 0;

describe('Orchestrator: tools and strategies over real queues, workers and fake providers', () => {
  let stack: FakeStack;
  let or: FakeProvider;
  let oa: FakeProvider;
  let config: Config;
  let conn: Redis | Cluster;
  let workers: ProviderWorker[];
  let orch: Orchestrator;
  const root = mkdtempSync(join(tmpdir(), 'orch-files-'));

  beforeAll(async () => {
    stack = await startFakeStack();
    ({ openrouter: or, openai: oa } = stack);
  });
  afterAll(() => stack.stop());

  beforeEach(async () => {
    stack.reset();
    config = loadConfig({
      cwd: '/nonexistent',
      env: stack.env({ WORKER_ATTEMPTS: '2', WORKER_BACKOFF_MS: '100', ORCH_QUEUE_PREFIX: `o${++seq}`, ORCH_FILE_ROOTS: root }),
    });
    const logger = createLogger({ service: 'test', stream: new PassThrough(), level: 'error' });
    workers = await Promise.all((['openrouter', 'openai'] as const).map((queue) => startProviderWorker({ config, queue, logger, health: false })));
    conn = stack.client();
    orch = new Orchestrator({ config, redis: conn, logger });
  });
  afterEach(async () => {
    await orch.close();
    await Promise.all(workers.map((w) => w.close()));
    conn.disconnect();
  });

  /** A tool's output, typed by its name (the test fails on an error result). */
  const outputOf = <N extends ToolName>(r: ToolResult<N>): ToolOutput<N> => {
    if (r.kind === 'error') throw new Error(r.text);
    return r.structured;
  };
  const out = (r: ToolResult<ModelToolName>): ModelToolOutput => outputOf(r);

  it('query_specific_model: one call, cost and tokens in the footer, and a thread that continues', async () => {
    const r = await orch.callTool('query_specific_model', { model: 'o3_architect', description: 'Is Redis a good queue backend?' }, local);
    expect(isErrorResult(r)).toBe(false);
    const o = out(r);
    expect(o.status).toBe('completed');
    expect(o.answers).toHaveLength(1);
    expect(o.answers[0]!.text).toContain('[o3] echo: Is Redis a good queue backend?');
    expect(o.totals.cost_usd).toBeGreaterThan(0);
    expect(r.text).toMatch(/🤖 Models: o3_architect \| 🔢 Tokens: \d+ in \/ \d+ out \| 💰 Cost: \$0\.\d{4} \| 📊 Strategy: single/);

    const next = await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'And what would you add?', continuation_id: o.continuation_id }, local);
    expect(out(next).status).toBe('completed');
    const sent = (or.requests.at(-1)!.body.messages as Array<{ role: string; content: string }>).map((m) => m.role);
    // system, the earlier question, o3's answer, the new question: the thread crossed models.
    expect(sent).toEqual(['system', 'user', 'assistant', 'user']);
    // A thread belongs to its caller.
    const other = await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'x', continuation_id: o.continuation_id }, remote);
    expect(isErrorResult(other)).toBe(true);
    expect(other.text).toContain('not_found');
  });

  it('external_enhancement: models in parallel, then a synthesis that sees every answer (one flow)', async () => {
    const r = await orch.callTool('orchestrate_task', { description: 'Design a cache for a REST API', strategy: 'external_enhancement' }, local);
    const o = out(r);
    expect(o.status).toBe('completed');
    expect(o.answers.map((a) => a.model).sort()).toEqual(['gemini_pro', 'o3_architect']);
    expect(o.synthesis?.role).toBe('synthesis');
    const synthesisPrompt = (or.requests.find((q) => JSON.stringify(q.body.messages).includes('### o3_architect'))?.body.messages as Array<{ content: string }>).at(-1)!.content;
    expect(synthesisPrompt).toContain('### gemini_pro');
    expect(synthesisPrompt).toContain('[o3] echo:');
    expect(o.totals.cost_usd).toBeCloseTo(o.answers.reduce((n, a) => n + a.cost_usd, 0) + o.synthesis!.cost_usd, 9);
    expect(r.text).toContain('## Synthesis (gemini_pro)');
  });

  it('max_quality_council: one failing model does not sink the council', async () => {
    oa.addFault({ ...faults.unauthorized(), times: 5 });
    const r = await orch.callTool('orchestrate_task', { description: 'Pick a database', strategy: 'max_quality_council' }, local);
    const o = out(r);
    expect(o.status).toBe('completed');
    expect(o.answers.map((a) => a.model)).toEqual(['gemini_pro']);
    expect(o.failures).toEqual([expect.objectContaining({ model: 'o3_architect', error: expect.objectContaining({ code: 'provider_auth' }) })]);
    expect(o.synthesis?.role).toBe('judge');
    expect(r.text).toContain('o3_architect — no answer');
  });

  it('max_quality_council with require_consensus runs another round when the judge sees no agreement', async () => {
    const r = await orch.callTool('orchestrate_task', { description: 'Tabs or spaces?', strategy: 'max_quality_council', require_consensus: true }, local);
    const o = out(r);
    expect(o.rounds).toBe(2);
    expect(o.answers.filter((a) => a.round === 2)).toHaveLength(2);
    // In round 2 each model saw the other's answer.
    const round2 = oa.requests.at(-1)!.body.messages as Array<{ role: string; content: string }>;
    expect(round2.at(-1)!.content).toContain('Other models answered the same request');
    expect(round2.at(-1)!.content).toContain('### gemini_pro');
  });

  it('progressive_deep_dive escalates a complex task and stays single for a simple one', async () => {
    const simple = out(await orch.callTool('orchestrate_task', { description: 'Rename a variable', strategy: 'progressive_deep_dive' }, local));
    expect(simple.escalated).toBe(false);
    expect(simple.answers).toHaveLength(1);
    const hard = out(
      await orch.callTool('orchestrate_task', { description: 'Plan the architecture of a distributed system: scaling, consistency and security trade-offs', strategy: 'progressive_deep_dive' }, local),
    );
    expect(hard.escalated).toBe(true);
    expect(hard.answers.map((a) => a.model)).toEqual(['gemini_pro', 'o3_architect']);
    expect(hard.synthesis).toBeDefined();
  });

  it('a call slower than the sync window returns its request id; get_job_result returns the rest', async () => {
    oa.setBehaviour({ latencyMs: 1500 });
    const r = await orch.callTool('think_deeper', { problem: 'Prove it terminates' }, local, { syncWaitMs: 200 });
    const o = out(r);
    expect(o.status).toBe('running');
    expect(r.text).toContain('get_job_result');
    const later = await orch.callTool('get_job_result', { request_id: o.request_id, wait_seconds: 10 }, local);
    const j = outputOf(later);
    expect(j.status).toBe('completed');
    expect(j.output!.answers[0]!.text).toContain('[o3] echo: Think this problem through');
    // Another caller cannot read it.
    expect(isErrorResult(await orch.callTool('get_job_result', { request_id: o.request_id }, remote))).toBe(true);
  });

  it('a driven single-call request reaches its provider before any driver takes it up; driven later, it is called, billed and announced once (issue 17)', async () => {
    // A model with fallbacks has its single call driven (the driver moves it to a fallback).
    config.models.gemini_pro!.fallbacks = ['o3_architect'];
    // No driver takes requests while their queue is paused: only the door's own queueing can start the call.
    await orch.requestQueue.pause();
    const r = await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'Fast start' }, local, { syncWaitMs: 0 });
    const id = out(r).request_id;
    const events: string[] = [];
    const ended = new Promise<void>((resolve) => {
      const sub = orch.follow(id, '0-0', (e) => {
        events.push(e.type === 'progress' ? e.stage : e.type);
        if (e.type === 'done') {
          sub.close();
          resolve();
        }
      });
    });
    const sent = await or.waitForRequest((q) => JSON.stringify(q.body).includes('Fast start'), 10_000);
    // (A paused queue keeps its jobs in its wait list.)
    expect(await orch.requestQueue.getJobCounts('wait')).toEqual({ wait: 1 });
    await orch.requestQueue.resume();
    const later = outputOf(await orch.callTool('get_job_result', { request_id: id, wait_seconds: 10 }, local));
    expect(later.status).toBe('completed');
    expect(later.output!.answers[0]!.text).toContain('echo: Fast start');
    expect(or.requests.filter((q) => JSON.stringify(q.body).includes('Fast start'))).toEqual([sent]);
    await ended;
    expect(events.filter((e) => e === 'queued')).toHaveLength(1);
    // Announced before it is queued: a worker that takes it at once says `started` after it.
    expect(events.indexOf('queued')).toBeLessThan(events.indexOf('started'));
    expect(events.filter((e) => e === 'result')).toHaveLength(1);
  });

  /** The orchestrator again with a 300 ms driver lock: a request driven again is driven soon. */
  async function restartWithShortLock(): Promise<void> {
    await orch.close();
    config.orchestration.driverLockMs = 300;
    orch = new Orchestrator({ config, redis: conn, logger: createLogger({ service: 'test', stream: new PassThrough(), level: 'error' }) });
  }

  /** Makes the first call of `fn` reject with `err` (as when Redis is away at that moment); counts the calls. */
  function failFirst<A extends unknown[], R>(fn: (...args: A) => Promise<R>, err: Error): { fn: (...args: A) => Promise<R>; calls: () => number } {
    let calls = 0;
    return { fn: (...args) => (calls++ === 0 ? Promise.reject(err) : fn(...args)), calls: () => calls };
  }

  it('a request whose end could not be stored is driven again a lock period later, and ends once (issue 17)', async () => {
    await restartWithShortLock();
    config.models.gemini_pro!.fallbacks = ['o3_architect'];
    const finish = failFirst(orch.events.finish.bind(orch.events), new Error('Connection is closed.'));
    orch.events.finish = finish.fn;
    const r = await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'Store me' }, local, { syncWaitMs: 10_000 });
    const o = out(r);
    expect(o.status).toBe('completed');
    expect(finish.calls()).toBe(2);
    expect(or.requests).toHaveLength(1);
    expect((await orch.events.read(o.request_id, '0-0', 100)).filter((e) => e.type === 'done')).toHaveLength(1);
  });

  it('a request of one call needs no driver: its worker ends it, with the output a driver writes (issue 29)', async () => {
    // No driver takes requests while their queue is paused: the worker alone must end this one.
    await orch.requestQueue.pause();
    const r = await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'No driver' }, local, { syncWaitMs: 10_000 });
    const o = out(r);
    expect(o.status).toBe('completed');
    expect(o.answers).toEqual([expect.objectContaining({ model: 'gemini_pro', round: 1, text: expect.stringContaining('echo: No driver') })]);
    expect(o.totals).toEqual({ models: ['gemini_pro'], prompt_tokens: o.answers[0]!.prompt_tokens, completion_tokens: o.answers[0]!.completion_tokens, cost_usd: o.answers[0]!.cost_usd });
    expect(o).toMatchObject({ strategy: 'single', failures: [], continuation_id: o.request_id });
    expect(await orch.requestQueue.getJobCounts('wait', 'active', 'completed')).toEqual({ wait: 0, active: 0, completed: 0 });
    const events = await orch.events.read(o.request_id, '0-0', 100);
    expect(events.filter((e) => e.type === 'done')).toEqual([expect.objectContaining({ status: 'completed' })]);
    // Its conversation continues from its record (a continued one is driven: its turns are stored).
    await orch.requestQueue.resume();
    const next = out(await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'And then?', continuation_id: o.continuation_id }, local, { syncWaitMs: 10_000 }));
    expect(next.status).toBe('completed');
    expect((or.requests.at(-1)!.body.messages as Array<{ content: string }>).map((m) => m.content)).toEqual([expect.any(String), expect.stringContaining('No driver'), expect.stringContaining('echo: No driver'), expect.stringContaining('And then?')]);
  });

  it('a request of one call reads and writes its record once each way: the door tells its end from the events it waits for after its `queued`, the worker reads it as its call starts (issue 29)', async () => {
    // MONITOR shows one node's commands: on a Cluster the request's keys and the keys' live apart.
    if (!('monitor' in conn)) return;
    await conn.ping();
    const monitor = await monitorRedis(conn.stream.remoteAddress!, conn.stream.remotePort!);
    const caller = await orch.authenticate(undefined, false);
    const r = out(await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'Count my round trips' }, local, { syncWaitMs: 10_000 }));
    await monitor.caughtUp();
    monitor.stop();
    const seen = monitor.commands.filter((c) => c.source !== 'lua').map((c) => c.args);
    expect(caller).toEqual(expect.objectContaining({ id: expect.any(String) }));
    expect(r.status).toBe('completed');
    // A caller without a key has none to look up: only whether keys exist is read.
    expect(seen.filter((a) => a[1] === 'orch:{keys}:by-hash')).toEqual([]);
    // Its record: written with its `queued` event (one script), read by the worker as its call starts
    // (one script: the cancel mark, `started`, the record), ended by the finish script; never read
    // back by the door.
    const commandsOn = (key: string) => seen.filter((a) => a.includes(key)).map((a) => (/^eval/i.test(a[0]!) ? 'script' : a[0]!.toLowerCase()));
    expect(commandsOn(`orch:req:{${r.request_id}}:meta`)).toEqual(['script', 'script', 'script']);
    expect(commandsOn(`orch:req:{${r.request_id}}:cancel`)).toEqual(['script']);
    // The door waits for the end after the `queued` it wrote: no read of the stream from its start.
    const events = `orch:req:{${r.request_id}}:events`;
    const cursors = seen.filter((a) => a[0]!.toLowerCase() === 'xread' && a.includes(events)).map((a) => {
      const streams = a.slice(a.findIndex((x) => x.toUpperCase() === 'STREAMS') + 1);
      return streams[streams.indexOf(events) + streams.length / 2];
    });
    expect(cursors.length).toBeGreaterThan(0);
    expect(cursors).not.toContain('0-0');
    // What the door told is what the worker stored.
    const read = outputOf(await orch.callTool('get_job_result', { request_id: r.request_id }, local));
    expect(read.output).toEqual(r);
  });

  it("a call's cost is booked when its answer is told: the worker sends the settle beside the end, and the settle goes first (issue 29)", async () => {
    for (let i = 0; i < 5; i++) {
      const r = out(await orch.callTool('query_specific_model', { model: 'gemini_pro', description: `Booked ${i}` }, local, { syncWaitMs: 10_000 }));
      expect(r.status).toBe('completed');
      const booked = await orch.ledger.requestSpend(r.request_id);
      expect(booked).toMatchObject({ reservedUsd: 0 });
      expect(booked.spentUsd).toBeCloseTo(r.totals.cost_usd, 9);
    }
  });

  it("a call's job is added on the queues' own connection without an automatic pipeline: no copy of BullMQ's scripts per job (issue 29)", async () => {
    const queues = orch.requestQueue.opts.connection as Redis;
    const pipelines = jest.spyOn(queues, 'pipeline');
    try {
      const r = out(await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'One job, no pipeline' }, local, { syncWaitMs: 10_000 }));
      expect(r.status).toBe('completed');
      expect(pipelines).not.toHaveBeenCalled();
    } finally {
      pipelines.mockRestore();
    }
  });

  it('a request of one call that fails for good, or is cancelled while its call runs, is ended once, without a driver (issue 29)', async () => {
    await orch.requestQueue.pause();
    or.addFault({ ...faults.unauthorized(), times: 5 });
    const failed = out(await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'Refused' }, local, { syncWaitMs: 10_000 }));
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'provider_auth' }, failures: [{ model: 'gemini_pro', round: 1, error: { code: 'provider_auth' } }] });
    // Told from its `done` as its worker stored it.
    expect(outputOf(await orch.callTool('get_job_result', { request_id: failed.request_id }, local)).output).toEqual(failed);
    or.reset();
    or.setBehaviour({ latencyMs: 5000 });
    const running = out(await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'Stop me' }, local, { syncWaitMs: 0 }));
    await or.waitForRequest((q) => JSON.stringify(q.body).includes('Stop me'), 10_000);
    expect(outputOf(await orch.callTool('cancel_request', { request_id: running.request_id }, local))).toMatchObject({ status: 'cancelled', cancelled: true });
    const read = outputOf(await orch.callTool('get_job_result', { request_id: running.request_id }, local));
    expect(read).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    // The worker's own end, once its call is aborted, writes nothing: one `done`.
    await waitFor(async () => (await orch.queues.byKey.openrouter.getActiveCount()) === 0 || undefined, { timeoutMs: 10_000, what: 'the cancelled call to stop' });
    expect((await orch.events.read(running.request_id, '0-0', 100)).filter((e) => e.type === 'done')).toEqual([expect.objectContaining({ status: 'cancelled' })]);
  });

  it('a request of one call whose job ended without ending it (removed, or failed by BullMQ) is ended as failed when read (issue 29)', async () => {
    // No worker on its queue: the job stays queued until the test removes it.
    await workers[0]!.close();
    const o = out(await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'Lost job' }, local, { syncWaitMs: 0 }));
    // Still queued: running, not stranded.
    expect(outputOf(await orch.callTool('get_job_result', { request_id: o.request_id }, local)).status).toBe('running');
    await orch.queues.byKey.openrouter.remove(`${o.request_id}.0`);
    // Ended as it is read, not after the wait.
    const read = outputOf(await orch.callTool('get_job_result', { request_id: o.request_id, wait_seconds: 20 }, local));
    expect(read).toMatchObject({ status: 'failed', error: { code: 'internal', retryable: true } });
    expect((await orch.events.read(o.request_id, '0-0', 100)).filter((e) => e.type === 'done')).toHaveLength(1);
  });

  it('a request of one call whose end was lost (a failover) while its job kept the answer is ended with that answer when read (issue 29)', async () => {
    const o = out(await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'Kept answer' }, local, { syncWaitMs: 10_000 }));
    expect(o.status).toBe('completed');
    // The record as it was before its end: running.
    const running = { ...(await orch.requests.get(o.request_id))!, status: 'running' as const, jobs: { [`${o.request_id}.0`]: 'gemini_pro' } };
    delete running.output;
    await orch.requests.put(running);
    const read = outputOf(await orch.callTool('get_job_result', { request_id: o.request_id }, local));
    expect(read).toMatchObject({ status: 'completed', output: { answers: [{ model: 'gemini_pro', text: expect.stringContaining('echo: Kept answer'), cost_usd: o.answers[0]!.cost_usd }] } });
    expect(or.requests).toHaveLength(1);
  });

  it('a council whose calls Redis refused to queue (Redis away mid-drive) is driven again and completes, not failed', async () => {
    await restartWithShortLock();
    // ioredis's error when Redis cannot be reached; the council's calls are not added.
    const submitAll = failFirst(orch.queues.submitAll.bind(orch.queues), Object.assign(new Error('Reached the max retries per request limit (which is 2).'), { name: 'MaxRetriesPerRequestError' }));
    orch.queues.submitAll = submitAll.fn;
    const r = await orch.callTool('orchestrate_task', { description: 'Survive the outage', strategy: 'external_enhancement' }, local, { syncWaitMs: 10_000 });
    const o = out(r);
    expect(o.status).toBe('completed');
    expect(o.answers).toHaveLength(2);
    expect(submitAll.calls()).toBe(2);
    // Each model asked once: the synthesis and gemini_pro on OpenRouter, o3 on OpenAI.
    expect(or.requests).toHaveLength(2);
    expect(oa.requests).toHaveLength(1);
    expect((await orch.events.read(o.request_id, '0-0', 100)).filter((e) => e.type === 'done')).toHaveLength(1);
  });

  it('get_job_result shows a finished plain (non-streamed) answer beside the text of a call still running', async () => {
    config.models.gemini_pro!.streaming = false;
    oa.setBehaviour({ latencyMs: 6000 });
    const r = await orch.callTool('orchestrate_task', { description: 'Pick a queue', strategy: 'max_quality_council' }, local, { syncWaitMs: 100 });
    const id = out(r).request_id;
    const j = await waitFor(
      async () => {
        const now = outputOf(await orch.callTool('get_job_result', { request_id: id }, local));
        return now.partial.some((p) => p.model === 'gemini_pro') ? now : undefined;
      },
      { timeoutMs: 4000, what: "gemini_pro's answer among the partial text" },
    );
    expect(j.status).toBe('running');
    expect(j.partial.find((p) => p.model === 'gemini_pro')!.text).toContain('echo: ');
    expect(or.requests[0]!.stream).toBe(false);
    expect(structuredOf(await orch.callTool('get_job_result', { request_id: id, wait_seconds: 10 }, local))).toMatchObject({ status: 'completed' });
  });

  it('token counts a provider did not send are marked as estimated, in the text and the output (issue 14.6)', async () => {
    oa.setBehaviour({ omitUsage: true });
    const r = await orch.callTool('query_specific_model', { model: 'o3_architect', description: 'Count me' }, local);
    const o = out(r);
    expect(o.answers[0]).toMatchObject({ tokens_estimated: true });
    expect(o.answers[0]!.completion_tokens).toBeGreaterThan(0);
    expect(o.totals.tokens_estimated).toBe(true);
    expect(r.text).toMatch(/Tokens: ~\d+ in \/ ~\d+ out \(estimated/);
    // A provider that reports usage: exact, and not marked.
    oa.setBehaviour({ omitUsage: false });
    const exact = await orch.callTool('query_specific_model', { model: 'o3_architect', description: 'Count me' }, local);
    expect(out(exact).answers[0]!.tokens_estimated).toBeUndefined();
    expect(exact.text).not.toContain('estimated');
  });

  it('records read back from Redis are parsed: a damaged one counts as missing, not as trusted data', async () => {
    await conn.set('orch:req:{damaged1}:meta', JSON.stringify({ requestId: 'damaged1', callerId: 'local', status: 'exploded' }));
    await conn.set('orch:req:{damaged2}:meta', '{not json');
    for (const id of ['damaged1', 'damaged2']) {
      const r = await orch.callTool('get_job_result', { request_id: id }, local);
      expect(r).toMatchObject({ kind: 'error', error: { code: 'not_found' } });
    }
    await conn.set('orch:caller:{local}:prefs', JSON.stringify({ strategy: 'no_such_strategy' }));
    expect(structuredOf(await orch.callTool('get_orchestrator_status', {}, local))).toMatchObject({ your_settings: {} });
  });

  it('a retried streaming call\'s partial text holds only the attempt running now (issue 14.4)', async () => {
    // Attempt 1 streams 6 tokens and its connection drops; attempt 2 streams slowly.
    or.addFault({ kind: 'drop', afterTokens: 6 });
    or.setBehaviour({ completionTokens: 80, tokensPerSecond: 20 });
    const r = await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'Stream me' }, local, { syncWaitMs: 100 });
    const id = out(r).request_id;
    await waitFor(() => or.requests.length === 2, { timeoutMs: 10_000, what: 'the second attempt' });
    const running = await waitFor(
      async () => {
        const now = outputOf(await orch.callTool('get_job_result', { request_id: id }, local));
        // Longer than all the first attempt sent ("[model] echo: Stream me t1 t2", 6 tokens).
        return now.status === 'running' && (now.partial[0]?.text.length ?? 0) > 60 ? now : undefined;
      },
      { timeoutMs: 10_000, what: 'partial text of the second attempt' },
    );
    // Followers were told the call started over.
    expect((await orch.events.read(id)).find((e) => e.type === 'progress' && e.attempt === 2)).toMatchObject({ stage: 'started', message: expect.stringContaining('started again') });
    const done = outputOf(await orch.callTool('get_job_result', { request_id: id, wait_seconds: 20 }, local));
    const answer = done.output!.answers[0]!.text;
    // What was shown while it ran is the start of the answer, not the failed attempt's text before it.
    expect(answer.startsWith(running.partial[0]!.text)).toBe(true);
  });

  it('an aborted call cancels its request and aborts the provider call', async () => {
    oa.addFault({ kind: 'hang' });
    const ctrl = new AbortController();
    const pending = orch.callTool('think_deeper', { problem: 'Never ends' }, local, { signal: ctrl.signal });
    await oa.waitForRequest();
    ctrl.abort();
    const r = await pending;
    expect(out(r).status).toBe('cancelled');
    await oa.waitForAbort();
  });

  it('cancel_request stops a request started earlier', async () => {
    oa.addFault({ kind: 'hang' });
    const r = await orch.callTool('think_deeper', { problem: 'Never ends' }, local, { syncWaitMs: 100 });
    const id = out(r).request_id;
    await oa.waitForRequest();
    const c = await orch.callTool('cancel_request', { request_id: id }, local);
    expect(structuredOf(c)).toEqual({ request_id: id, status: 'cancelled', cancelled: true });
    await oa.waitForAbort();
    const j = outputOf(await orch.callTool('get_job_result', { request_id: id }, local));
    expect(j.status).toBe('cancelled');
  });

  it('bad arguments name the field and the rule; unknown tools and models are named', async () => {
    const r = await orch.callTool('orchestrate_task', { description: 42, strategy: 'fastest' }, local);
    expect(isErrorResult(r)).toBe(true);
    expect(r.text).toContain('invalid_arguments');
    expect(r.text).toContain('description:');
    expect(r.text).toContain('strategy:');
    expect((await orch.callTool('no_such_tool', {}, local)).text).toContain('unknown_tool');
    const m = await orch.callTool('orchestrate_task', { description: 'x', models: ['gpt-9'] }, local);
    expect(m.text).toContain('unknown_model');
    expect(m.text).toContain('models.0');
  });

  it('a caller\'s cost_limit lowers the per-request limit: the call is refused with budget_exceeded', async () => {
    await orch.callTool('configure_orchestrator', { cost_limit: 0.0001 }, remote);
    const r = await orch.callTool('query_specific_model', { model: 'o3_architect', description: 'hello' }, remote);
    const o = out(r);
    expect(o.status).toBe('failed');
    expect(o.error?.code).toBe('budget_exceeded');
    expect(oa.requests).toHaveLength(0);
    // Raising above the operator's limit does not raise it.
    const s = await orch.callTool('configure_orchestrator', { cost_limit: 1000 }, remote);
    expect(outputOf(s).effective_cost_limit_usd).toBe(config.limits.maxCostPerRequest);
  });

  it('reads files inside the allowed roots only, and never for callers without file access', async () => {
    const file = join(root, 'app.ts');
    writeFileSync(file, 'export const answer = 42;\n');
    const r = await orch.callTool('code_review', { files: [file], models: ['gemini_pro'] }, local);
    expect(out(r).status).toBe('completed');
    expect(JSON.stringify(or.requests[0]!.body.messages)).toContain('export const answer = 42;');
    const outside = await orch.callTool('code_review', { files: ['/etc/hostname'] }, local);
    expect(outside.text).toContain('outside the allowed roots');
    const viaRest = await orch.callTool('code_review', { files: [file] }, remote);
    expect(viaRest.text).toContain('files: files are read only by the MCP gateway');
    const missing = await orch.callTool('code_review', {}, local);
    expect(missing.text).toContain('give files or code');
  });

  it('session context reaches the prompt; status, list_models and analyze_task answer without a model', async () => {
    await orch.callTool('update_session_context', { context: { project: 'billing-service' } }, local);
    await orch.callTool('query_specific_model', { model: 'gemini_pro', description: 'hi' }, local);
    expect((or.requests[0]!.body.messages as Array<{ content: string }>)[0]!.content).toContain('billing-service');

    const status = outputOf(await orch.callTool('get_orchestrator_status', {}, local));
    expect(status.spend.spent_usd).toBeGreaterThan(0);
    expect(status.spend.daily_limit_usd).toBe(100);
    expect(status.queues.map((q) => q.workers)).toEqual([1, 1]);
    const models = outputOf(await orch.callTool('list_models', {}, local));
    expect(models.models.map((m) => m.key)).toEqual(['gemini_pro', 'o3_architect']);
    const analysis = outputOf(await orch.callTool('analyze_task', { description: 'Fix the SQL injection in the login handler' }, local));
    expect(analysis.task_type).toBe('security');
  });

  it('comparative_analysis and multi_model_review ask for a comparison in the synthesis', async () => {
    const r = await orch.callTool('comparative_analysis', { options: ['Postgres', 'DynamoDB'], criteria: ['cost'] }, local);
    expect(out(r).status).toBe('completed');
    const parent = or.requests.find((q) => JSON.stringify(q.body.messages).includes('Compare the approaches'));
    expect(parent).toBeDefined();
    const m = await orch.callTool('multi_model_review', { task: 'Move auth to a gateway' }, local);
    expect(out(m).answers).toHaveLength(2);
  });

  it('review_changes sends the uncommitted diff of a local repository', async () => {
    const repo = join(root, 'repo');
    mkdirSync(repo, { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: repo });
    git('init', '-q');
    writeFileSync(join(repo, 'a.txt'), 'one\n');
    git('add', '.');
    git('commit', '-qm', 'first');
    writeFileSync(join(repo, 'a.txt'), 'two\n');
    writeFileSync(join(repo, 'new.txt'), 'brand new\n');
    const r = await orch.callTool('review_changes', { repo_paths: [repo], include_untracked: true, models: ['gemini_pro'], original_request: 'change one to two' }, local);
    expect(out(r).status).toBe('completed');
    const prompt = JSON.stringify(or.requests[0]!.body.messages);
    expect(prompt).toContain('-one');
    expect(prompt).toContain('+two');
    expect(prompt).toContain('brand new');
    expect((await orch.callTool('review_changes', { repo_paths: ['/'] }, local)).text).toContain('outside the allowed roots');
  });
});
