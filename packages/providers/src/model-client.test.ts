import { loadConfig, type Config } from '@orch/config';
import { faults, startFakeProvider, fakeAnswerText, type FakeProvider } from '@orch/testing';
import { ModelClient } from './model-client';
import { ProviderError } from './provider-error';

const messages = [{ role: 'user' as const, content: 'Review this design please' }];

function configFor(or: FakeProvider, oa: FakeProvider, env: Record<string, string> = {}, tweak?: (c: Config) => void): Config {
  const config = loadConfig({
    cwd: '/nonexistent',
    env: { OPENROUTER_BASE_URL: or.baseURL, OPENROUTER_API_KEY: 'or-test-key', OPENAI_BASE_URL: oa.baseURL, OPENAI_API_KEY: 'oa-test-key', ...env },
  });
  tweak?.(config);
  return config;
}

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected the call to fail');
}

describe('ModelClient against the fake providers', () => {
  let or: FakeProvider;
  let oa: FakeProvider;
  let client: ModelClient;

  beforeAll(async () => {
    or = await startFakeProvider({ flavor: 'openrouter', apiKey: 'or-test-key' });
    oa = await startFakeProvider({ flavor: 'openai', apiKey: 'oa-test-key' });
  });
  afterAll(async () => {
    await or.stop();
    await oa.stop();
  });
  beforeEach(() => {
    or.reset();
    oa.reset();
    client = new ModelClient({ config: configFor(or, oa) });
  });
  afterEach(() => client.close());

  it('streams Gemini via OpenRouter and takes the cost from usage.cost', async () => {
    or.setBehaviour({ completionTokens: 20, reasoningTokens: 40, cachedTokens: 4 });
    const deltas: string[] = [];
    const res = await client.complete('gemini_pro', { messages, onDelta: (d) => deltas.push(d) });
    const req = or.requests[0]!;
    expect(req.body).toMatchObject({ model: 'google/gemini-2.5-pro', stream: true, max_tokens: 32768, temperature: 0.7 });
    expect(req.body.max_completion_tokens).toBeUndefined();
    expect(res.text).toBe(fakeAnswerText('google/gemini-2.5-pro', messages, 20));
    expect(deltas.length).toBe(20);
    expect(deltas.join('')).toBe(res.text);
    expect(res.streamed).toBe(true);
    expect(res.generationId).toMatch(/^gen-/);
    const prompt = res.usage.promptTokens;
    expect(res.usage).toEqual({ promptTokens: prompt, completionTokens: 60, totalTokens: prompt + 60, cachedTokens: 4, reasoningTokens: 40 });
    // (prompt − 4) × $1.25/M + 4 × $0.125/M + 60 × $10/M, as OpenRouter reports it.
    const expected = ((prompt - 4) * 1.25 + 4 * 0.125 + 60 * 10) / 1e6;
    expect(res.costSource).toBe('provider');
    expect(res.costUsd).toBeCloseTo(expected, 9);
  });

  it('uses the >200k price tier for long Gemini prompts', async () => {
    or.setBehaviour({ completionTokens: 10, extraPromptTokens: 250_000 });
    const res = await client.complete('gemini_pro', { messages });
    expect(res.usage.promptTokens).toBeGreaterThan(200_000);
    expect(res.costUsd).toBeCloseTo((res.usage.promptTokens * 2.5 + 10 * 15) / 1e6, 9);
  });

  it('sends o3 the o-series parameters and prices cached and reasoning tokens right', async () => {
    oa.setBehaviour({ completionTokens: 30, reasoningTokens: 500, cachedTokens: 8 });
    const res = await client.complete('o3_architect', { messages, temperature: 0.3 });
    const body = oa.requests[0]!.body;
    expect(body).toMatchObject({ model: 'o3', max_completion_tokens: 16384, reasoning_effort: 'high', stream: true, stream_options: { include_usage: true } });
    expect(body.max_tokens).toBeUndefined();
    expect(body.temperature).toBeUndefined();
    const p = res.usage.promptTokens;
    expect(res.usage).toMatchObject({ completionTokens: 530, cachedTokens: 8, reasoningTokens: 500 });
    // (p − 8) × $2/M + 8 × $0.50/M + 530 × $8/M; reasoning is inside the 530, never added to input.
    expect(res.costSource).toBe('computed');
    expect(res.costUsd).toBeCloseTo(((p - 8) * 2 + 8 * 0.5 + 530 * 8) / 1e6, 9);
  });

  it('gets a 400 unsupported_parameter when o-series rules are broken, and does not retry', async () => {
    client = new ModelClient({ config: configFor(or, oa, {}, (c) => (c.models.o3_architect!.oSeries = false)) });
    const err = await failure(client.complete('o3_architect', { messages }));
    expect(err).toMatchObject({ code: 'provider_bad_request', retryable: false, status: 400, providerCode: 'unsupported_parameter', billing: 'none' });
    expect(oa.requests).toHaveLength(1);
  });

  it('falls back to a plain call when the model refuses to stream, and remembers it', async () => {
    oa.addFault(faults.streamingNotAllowed());
    const deltas: string[] = [];
    const res = await client.complete('o3_architect', { messages, onDelta: (d) => deltas.push(d) });
    expect(res.streamed).toBe(false);
    expect(res.text.length).toBeGreaterThan(0);
    expect(deltas).toEqual([]); // the whole answer is the result, not a delta
    expect(oa.requests.map((r) => r.stream)).toEqual([true, false]);
    await client.complete('o3_architect', { messages });
    expect(oa.requests.map((r) => r.stream)).toEqual([true, false, false]);
  });

  // Issue 31.10: before, a provider streaming 40 MB left a 42 MB record and ~160 MB more RSS in each door.
  it('stops an answer past WORKER_MAX_ANSWER_BYTES, streamed or not: payload_too_large, billing unknown (its reservation is booked)', async () => {
    client = new ModelClient({ config: configFor(or, oa, { WORKER_MAX_ANSWER_BYTES: '300' }) });
    or.setBehaviour({ completionTokens: 400, tokensPerSecond: 2000 });
    let streamed = 0;
    const err = await failure(client.complete('gemini_pro', { messages, onDelta: (d) => void (streamed += d.length) }));
    expect(err).toMatchObject({ code: 'payload_too_large', retryable: false, billing: 'unknown', message: expect.stringContaining('WORKER_MAX_ANSWER_BYTES') });
    expect(streamed).toBeLessThanOrEqual(300);
    await or.waitForAbort();
    oa.setBehaviour({ completionTokens: 400 });
    expect(await failure(client.complete('o3_architect', { messages, stream: false }))).toMatchObject({ code: 'payload_too_large' });
  });

  it('keeps a slow OpenRouter stream alive through its keep-alive comments', async () => {
    client = new ModelClient({ config: configFor(or, oa, {}, (c) => (c.providers.openrouter!.idleTimeoutMs = 200)) });
    or.setBehaviour({ latencyMs: 600 });
    const res = await client.complete('gemini_pro', { messages });
    expect(res.text.length).toBeGreaterThan(0);
  });

  it.each([
    ['429 with Retry-After', faults.rateLimited(2), { code: 'rate_limited', retryable: true, status: 429, retryAfterMs: 2000 }],
    ['500', faults.serverError(500), { code: 'provider_unavailable', retryable: true, status: 500, billing: 'none' }],
    ['502', faults.serverError(502), { code: 'provider_unavailable', retryable: true, status: 502 }],
    ['401', faults.unauthorized(), { code: 'provider_auth', retryable: false, status: 401 }],
    ['402 out of credits', faults.outOfCredits(), { code: 'provider_quota', retryable: false, status: 402 }],
    ['402 in-flight budget', faults.outOfCredits({ metadata: { limit_source: 'openrouter_in_flight_budget', reason: 'in_flight_budget_exhausted' }, retryAfterSeconds: 1 } as never), { code: 'rate_limited', retryable: true }],
    ['mid-stream error', { kind: 'midstream_error', code: 502 } as const, { code: 'provider_unavailable', retryable: true, billing: 'unknown' }],
    // Issue 13.4: in-stream errors whose code is a string are classed by it, not retried as unknown.
    ['mid-stream "401"', { kind: 'midstream_error', code: '401' } as const, { code: 'provider_auth', retryable: false, status: 401 }],
    ['mid-stream invalid_api_key', { kind: 'midstream_error', code: 'invalid_api_key' } as const, { code: 'provider_auth', retryable: false, status: 401, providerCode: 'invalid_api_key' }],
    ['mid-stream "402"', { kind: 'midstream_error', code: '402' } as const, { code: 'provider_quota', retryable: false, status: 402 }],
    ['mid-stream insufficient_quota', { kind: 'midstream_error', code: 'insufficient_quota' } as const, { code: 'provider_quota', retryable: false }],
    ['mid-stream rate_limit_exceeded', { kind: 'midstream_error', code: 'rate_limit_exceeded' } as const, { code: 'rate_limited', retryable: true, status: 429 }],
    ['mid-stream "429"', { kind: 'midstream_error', code: '429' } as const, { code: 'rate_limited', retryable: true, status: 429 }],
    // A refusal sent in the stream before any token was not billed: its reservation goes back at once.
    ['refusal before any token', { kind: 'midstream_error', code: 'insufficient_quota', afterTokens: 0 } as const, { code: 'provider_quota', billing: 'none' }],
    ['rate limit before any token', { kind: 'midstream_error', code: 429, afterTokens: 0 } as const, { code: 'rate_limited', billing: 'none' }],
    ['refusal after tokens', { kind: 'midstream_error', code: 'invalid_api_key', afterTokens: 2 } as const, { code: 'provider_auth', billing: 'unknown' }],
    ['server error before any token', { kind: 'midstream_error', code: 502, afterTokens: 0 } as const, { code: 'provider_unavailable', billing: 'unknown' }],
    ['malformed chunk', { kind: 'malformed_chunk' } as const, { code: 'provider_error', retryable: true, billing: 'unknown' }],
    ['dropped connection', { kind: 'drop' } as const, { code: 'provider_unavailable', retryable: true, billing: 'unknown' }],
  ])('classifies OpenRouter %s', async (_name, fault, expected) => {
    or.addFault(fault);
    const err = await failure(client.complete('gemini_pro', { messages }));
    expect(err).toMatchObject(expected);
  });

  it('classifies OpenAI insufficient_quota as permanent, unlike a plain 429', async () => {
    oa.addFault(faults.insufficientQuota());
    expect(await failure(client.complete('o3_architect', { messages }))).toMatchObject({ code: 'provider_quota', retryable: false, status: 429 });
  });

  it('reports a missing key without calling the provider', async () => {
    client = new ModelClient({ config: configFor(or, oa, {}, (c) => delete c.providers.openai!.apiKey) });
    const err = await failure(client.complete('o3_architect', { messages }));
    expect(err.message).toContain('OPENAI_API_KEY');
    expect(oa.requests).toHaveLength(0);
  });

  it('times out a hung call and aborts the HTTP request', async () => {
    oa.addFault({ kind: 'hang' });
    const err = await failure(client.complete('o3_architect', { messages, timeoutMs: 300 }));
    expect(err).toMatchObject({ code: 'provider_timeout', retryable: true, billing: 'unknown' });
    await oa.waitForAbort();
  });

  it('times out a stream that goes silent', async () => {
    client = new ModelClient({ config: configFor(or, oa, {}, (c) => (c.providers.openai!.idleTimeoutMs = 250)) });
    oa.addFault({ kind: 'hang_midstream', afterTokens: 2 });
    const err = await failure(client.complete('o3_architect', { messages }));
    expect(err.message).toContain('idle');
  });

  it('gives each call on the shared SDK client its own deadline and its own answer', async () => {
    oa.addFault({ kind: 'hang' });
    const hung = failure(client.complete('o3_architect', { messages, timeoutMs: 400 }));
    await oa.waitForRequest();
    const [first, second] = await Promise.all([client.complete('o3_architect', { messages }), client.complete('gemini_pro', { messages })]);
    expect([first.provider, second.provider]).toEqual(['openai', 'openrouter']);
    expect(first.generationId).not.toEqual(second.generationId);
    expect(await hung).toMatchObject({ code: 'provider_timeout', retryable: true });
  });

  it('aborts the HTTP call when the caller cancels', async () => {
    oa.setBehaviour({ tokensPerSecond: 20, completionTokens: 200 });
    const ctrl = new AbortController();
    const call = client.complete('o3_architect', { messages, signal: ctrl.signal });
    await oa.waitForRequest();
    ctrl.abort();
    expect(await failure(call)).toMatchObject({ code: 'cancelled', retryable: false });
    const aborted = await oa.waitForAbort();
    expect(aborted.finished).toBe(false);
  });

  it('looks up the exact cost of an OpenRouter generation', async () => {
    or.setBehaviour({ completionTokens: 12 });
    const res = await client.complete('gemini_pro', { messages });
    const gen = await client.lookupGeneration('gemini_pro', res.generationId!);
    expect(gen?.costUsd).toBeCloseTo(res.costUsd, 9);
    expect(await client.lookupGeneration('gemini_pro', 'gen-unknown')).toBeUndefined();
  });
});

describe('ModelClient mid-stream cancel', () => {
  it('fails (not a truncated success) when cancelled while streaming', async () => {
    const oa = await startFakeProvider({ flavor: 'openai' });
    const or = await startFakeProvider({ flavor: 'openrouter' });
    const client = new ModelClient({ config: configFor(or, oa) });
    try {
      oa.setBehaviour({ tokensPerSecond: 50, completionTokens: 500 });
      const ctrl = new AbortController();
      let got = '';
      const call = client.complete('o3_architect', {
        messages,
        signal: ctrl.signal,
        onDelta: (d) => {
          got += d;
          if (got.length > 10) ctrl.abort();
        },
      });
      expect(await failure(call)).toMatchObject({ code: 'cancelled' });
      await oa.waitForAbort();
    } finally {
      await client.close();
      await oa.stop();
      await or.stop();
    }
  });
});
