import { PassThrough } from 'node:stream';
import { UnrecoverableError, type Job } from 'bullmq';
import { loadConfig } from '@orch/config';
import { OrchestratorError, type ModelCallPayload, type ModelCallResult, type RequestEvent, type RequestRecord } from '@orch/contracts';
import { createLogger } from '@orch/logging';
import { ProviderError, type CompletionResponse, type ModelClient } from '@orch/providers';
import type { RedisClient, RequestEvents } from '@orch/queue';
import { createWorkerMetrics } from './metrics';
import { createModelCallProcessor, type ActiveCalls } from './model-call-job';
import type { SpendGuard, SpendReservation } from './spend-guard';

/**
 * One model-call job through its seams, without Redis or a provider: the spend guard, the event
 * stream and the model client are stand-ins that record what the job asks of them, in order.
 */
describe('a model-call job, through its seams', () => {
  const config = loadConfig({ cwd: '/nonexistent', env: { OPENROUTER_API_KEY: 'k', OPENAI_API_KEY: 'k' } });
  const logger = createLogger({ service: 'test', stream: new PassThrough(), level: 'error' });
  let steps: string[];
  let published: RequestEvent[];
  /** The request's record as the job's end wrote it. */
  let ended: RequestRecord | undefined;

  const answer: CompletionResponse = {
    model: 'gemini_pro', modelId: 'google/gemini-2.5-pro', provider: 'openrouter', text: 'Sound.', finishReason: 'stop',
    usage: { promptTokens: 10, completionTokens: 2, totalTokens: 12, cachedTokens: 0, reasoningTokens: 0 },
    costUsd: 0.0002, costSource: 'provider', usageEstimated: false, generationId: 'gen-1', streamed: false, latencyMs: 5,
  };

  function processor(opts: { complete: () => Promise<CompletionResponse>; reserve?: () => Promise<void>; cancelled?: boolean | Error; earlier?: ModelCallResult; settleBesideResult?: boolean; settled?: () => Promise<void> }) {
    const spend: SpendGuard = {
      reserve: async (call) => {
        steps.push('reserve');
        await opts.reserve?.();
        return { call, reservedUsd: 0.05 };
      },
      settle: async (_r: SpendReservation, actual) => {
        steps.push(`settle ${actual.costUsd}`);
        await opts.settled?.();
        steps.push('settle answered');
      },
      release: async (_r: SpendReservation, outcome) => void steps.push(`release ${outcome.billing}`),
    };
    const client = {
      resolve: (key: string) => ({ key, model: config.models[key]!, provider: config.providers[config.models[key]!.provider]!, providerKey: config.models[key]!.provider }),
      complete: async () => {
        steps.push('provider');
        return opts.complete();
      },
    } as unknown as ModelClient;
    const events = {
      publish: async (e: RequestEvent) => {
        published.push(e);
        return '1-0';
      },
      // The call's start: the cancel mark read, `started` told, the record returned when asked.
      start: async (started: RequestEvent, withRecord: boolean) => {
        if (opts.cancelled instanceof Error) throw opts.cancelled;
        if (opts.cancelled) return { cancelled: true };
        published.push(started);
        return { cancelled: false, record: withRecord ? JSON.stringify(ended ?? record) : null };
      },
      earlierRun: async () => (opts.earlier ? { type: 'result', result: opts.earlier } : undefined),
      // The request's end (endsRequest): the first one written stands.
      finish: async (done: RequestEvent, recordJson: string, _ttl: number, before?: RequestEvent) => {
        if (ended) return undefined;
        steps.push(`end ${(done as { status: string }).status}${before ? ` after ${before.type}` : ''}`);
        ended = JSON.parse(recordJson) as RequestRecord;
        return '2-0';
      },
    } as unknown as RequestEvents;
    const record: RequestRecord = { requestId: 'r1', tool: 'query_specific_model', callerId: 'local', strategy: 'single', status: 'running', createdAt: '', updatedAt: '', jobs: { 'r1.0': 'gemini_pro' }, endsWith: 'r1.0' };
    const redis = {
      get: async () => {
        steps.push('read record');
        return JSON.stringify(ended ?? record);
      },
    } as unknown as RedisClient;
    const active: ActiveCalls = new Map();
    return createModelCallProcessor({
      config, logger, client, spend, events, redis, metrics: createWorkerMetrics('openrouter'), active, workerIdentity: 'test/1', rateLimit: async () => undefined,
      settleBesideResult: opts.settleBesideResult === true,
    });
  }

  const job = (attemptsMade = 0, attempts = 3, more: { endsRequest?: boolean; stalledCounter?: number } = {}) =>
    ({
      id: 'r1.0',
      data: { requestId: 'r1', callIndex: 0, model: 'gemini_pro', messages: [{ role: 'user', content: 'Is it sound?' }], stream: false, ...(more.endsRequest ? { endsRequest: true } : {}) } satisfies ModelCallPayload,
      attemptsMade,
      stalledCounter: more.stalledCounter ?? 0,
      opts: { attempts },
    }) as unknown as Job<ModelCallPayload, ModelCallResult>;

  beforeEach(() => {
    steps = [];
    published = [];
    ended = undefined;
  });

  it('answered: reserve, call, settle the provider\'s cost, then publish the result', async () => {
    const result = await processor({ complete: async () => answer })(job(), undefined);
    expect(steps).toEqual(['reserve', 'provider', 'settle 0.0002', 'settle answered']);
    expect(result).toMatchObject({ requestId: 'r1', jobId: 'r1.0', text: 'Sound.', costUsd: 0.0002, attempt: 1, worker: 'test/1' });
    expect(published.map((e) => e.type)).toEqual(['progress', 'result']);
  });

  it('refused by a budget: the provider is never called, and the failure is final', async () => {
    const p = processor({ complete: async () => answer, reserve: async () => Promise.reject(new OrchestratorError('budget_exceeded', 'over the daily limit')) });
    await expect(p(job(), undefined)).rejects.toBeInstanceOf(UnrecoverableError);
    expect(steps).toEqual(['reserve']);
    expect(published.at(-1)).toMatchObject({ type: 'error', final: true, error: { code: 'budget_exceeded' } });
  });

  it('a timeout whose bill is unknown keeps the reservation (release as unknown) and is retried', async () => {
    const p = processor({ complete: async () => Promise.reject(new ProviderError('provider_timeout', 'no answer', { retryable: true, billing: 'unknown' })) });
    await expect(p(job(0, 3), undefined)).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(steps).toEqual(['reserve', 'provider', 'release unknown']);
    expect(published.at(-1)).toMatchObject({ type: 'error', final: false, error: { code: 'provider_timeout' } });
  });

  it('the last attempt\'s failure is final; a refusal that billed nothing returns the reservation', async () => {
    const p = processor({ complete: async () => Promise.reject(new ProviderError('provider_bad_request', 'bad', { retryable: false, billing: 'none' })) });
    await expect(p(job(2, 3), undefined)).rejects.toBeInstanceOf(UnrecoverableError);
    expect(steps).toEqual(['reserve', 'provider', 'release none']);
    expect(published.at(-1)).toMatchObject({ type: 'error', final: true });
  });

  it('a cancelled request: no provider call, the reservation returned', async () => {
    await expect(processor({ complete: async () => answer, cancelled: true })(job(), undefined)).rejects.toBeInstanceOf(UnrecoverableError);
    expect(steps).toEqual(['reserve', 'release none']);
    expect(published.at(-1)).toMatchObject({ type: 'error', final: true, error: { code: 'cancelled' } });
  });

  // Seen in a cluster failover drill: the cancel mark's read failed while the reserve beside it went
  // through; the reservation was neither used nor returned, and its heartbeat renewed it for good.
  it('the cancel mark cannot be read (a Redis failover) while the reserve goes through: the reservation is returned, the failure is Redis\'s and retried', async () => {
    const failover = new Error('Too many Cluster redirections. Last error: ReplyError: CLUSTERDOWN The cluster is down');
    await expect(processor({ complete: async () => answer, cancelled: failover })(job(0, 3), undefined)).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(steps).toEqual(['reserve', 'release none']);
    expect(published.at(-1)).toMatchObject({ type: 'error', final: false, error: { code: 'unavailable', retryable: true } });
  });

  it('Redis failing before the provider is asked: nothing was billed (the reservation returned), not a provider failure of unknown bill', async () => {
    const p = processor({ complete: async () => answer, reserve: async () => Promise.reject(new Error('Connection is closed.')) });
    await expect(p(job(0, 3), undefined)).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(steps).toEqual(['reserve']);
    expect(published.at(-1)).toMatchObject({ type: 'error', final: false, error: { code: 'unavailable' } });
  });

  it('a call that is its request (endsRequest) ends it after its result, with the answer as the output; a call of a driven request does not', async () => {
    await processor({ complete: async () => answer })(job(0, 3, { endsRequest: true }), undefined);
    // The result goes with the end, in one step, not published on its own; the end is written from
    // the record read at the call's start (no read of it after the call).
    expect(steps).toEqual(['reserve', 'provider', 'settle 0.0002', 'settle answered', 'end completed after result']);
    expect(published.map((e) => e.type)).toEqual(['progress']);
    expect(ended).toMatchObject({ status: 'completed', jobs: {}, output: { status: 'completed', strategy: 'single', continuation_id: 'r1', answers: [{ model: 'gemini_pro', text: 'Sound.', cost_usd: 0.0002 }], totals: { cost_usd: 0.0002 } } });
    steps = [];
    await processor({ complete: async () => answer })(job(), undefined);
    expect(steps).toEqual(['reserve', 'provider', 'settle 0.0002', 'settle answered']);
  });

  it('with the settle beside the result (one connection to one Redis): the end is sent once the settle is, before it answers, and the call waits for both', async () => {
    // The settle answers once the result has gone out (or after 2 s: the result waited for it).
    const answersAfter = (sent: () => boolean) => async () => {
      for (const t0 = Date.now(); !sent() && Date.now() - t0 < 2000; ) await new Promise((r) => setTimeout(r, 5));
      steps.push(sent() ? 'result out' : 'result not out');
    };
    const ends = answersAfter(() => steps.includes('end completed after result'));
    await processor({ complete: async () => answer, settleBesideResult: true, settled: ends })(job(0, 3, { endsRequest: true }), undefined);
    expect(steps).toEqual(['reserve', 'provider', 'settle 0.0002', 'end completed after result', 'result out', 'settle answered']);
    // A driven request's call publishes its result beside the settle in the same way.
    steps = [];
    published = [];
    const publishes = answersAfter(() => published.some((e) => e.type === 'result'));
    await processor({ complete: async () => answer, settleBesideResult: true, settled: publishes })(job(), undefined);
    expect(steps).toEqual(['reserve', 'provider', 'settle 0.0002', 'result out', 'settle answered']);
    expect(published.map((e) => e.type)).toEqual(['progress', 'result']);
  });

  it('a failure that will be retried leaves the request running; the last one ends it as failed', async () => {
    const refuse = async () => Promise.reject(new ProviderError('provider_unavailable', 'down', { retryable: true, billing: 'none' }));
    await expect(processor({ complete: refuse })(job(0, 3, { endsRequest: true }), undefined)).rejects.not.toBeInstanceOf(UnrecoverableError);
    expect(steps).toEqual(['reserve', 'provider', 'release none']);
    await expect(processor({ complete: refuse })(job(2, 3, { endsRequest: true }), undefined)).rejects.toThrow('down');
    expect(steps.at(-1)).toBe('end failed');
    expect(ended).toMatchObject({ status: 'failed', error: { code: 'provider_unavailable' }, output: { failures: [{ model: 'gemini_pro', error: { code: 'provider_unavailable' } }] } });
  });

  it('run again after its worker died between its answer and its request\'s end: the earlier answer ends the request, the provider is not asked again', async () => {
    const earlier = { requestId: 'r1', callIndex: 0, jobId: 'r1.0', model: 'gemini_pro', modelId: 'g', provider: 'openrouter', text: 'Earlier.', finishReason: 'stop', usage: answer.usage, costUsd: 0.0003, costSource: 'provider', streamed: false, latencyMs: 5, attempt: 1, worker: 'dead/1' } satisfies ModelCallResult;
    const result = await processor({ complete: async () => answer, earlier })(job(0, 3, { endsRequest: true, stalledCounter: 1 }), undefined);
    expect(result.text).toBe('Earlier.');
    expect(steps).toEqual(['read record', 'end completed']);
    expect(ended?.output?.answers[0]).toMatchObject({ text: 'Earlier.', cost_usd: 0.0003 });
  });
});
