import { dirname } from 'node:path';
import { PROVIDER_KINDS, loadConfig, resolveModel } from '@orch/config';
import { startFakeProvider, writeConfigFile, type FakeProvider } from '@orch/testing';
import { ModelClient } from '../model-client';
import { ProviderError } from '../provider-error';
import { PROFILES, isOSeries, profileOf } from '.';

describe('provider profiles', () => {
  it('every provider kind has its profile, under its own kind', () => {
    for (const kind of PROVIDER_KINDS) expect(PROFILES[kind].kind).toBe(kind);
    expect(Object.keys(PROFILES).sort()).toEqual([...PROVIDER_KINDS].sort());
  });

  it('o-series wire rules: inferred from an OpenAI model id only, and a model may say otherwise', () => {
    const config = loadConfig({ cwd: '/nonexistent', env: {} });
    expect(isOSeries(resolveModel(config, 'o3_architect'))).toBe(true);
    expect(isOSeries(resolveModel(config, 'gemini_pro'))).toBe(false);
    config.models.o3_architect!.oSeries = false;
    expect(isOSeries(resolveModel(config, 'o3_architect'))).toBe(false);
    expect(profileOf({ kind: 'openrouter' }).oSeriesModel).toBeUndefined();
  });
});

/** Gemini's own API (its OpenAI-compatible endpoint), played by the fake provider's plain flavour. */
describe('the gemini profile: one file and one entry, over the real client', () => {
  let google: FakeProvider;
  const configWith = (env: Record<string, string>) => {
    const file = writeConfigFile([
      'providers:',
      '  google:',
      '    kind: gemini',
      `    baseUrl: ${google.baseURL}`,
      '    apiKeyEnv: GEMINI_API_KEY',
      '    queue: openai',
      'models:',
      '  gemini_direct:',
      '    provider: google',
      '    modelId: gemini-2.5-pro',
      '    reasoningEffort: medium',
      '    temperature: 0.5',
      '    pricing: { input: 1.25, output: 10 }',
    ]);
    return loadConfig({ cwd: dirname(file), env: { ORCH_CONFIG: file, ...env } });
  };

  beforeAll(async () => {
    google = await startFakeProvider({ flavor: 'openai', apiKey: 'gm-test-key' });
  });
  afterAll(() => google.stop());
  beforeEach(() => google.reset());

  it('sends what Gemini takes: system for developer, reasoning_effort, max_tokens and temperature, usage asked in streams; prices from the table', async () => {
    const client = new ModelClient({ config: configWith({ GEMINI_API_KEY: 'gm-test-key' }) });
    try {
      const messages = [
        { role: 'developer' as const, content: 'Be brief.' },
        { role: 'user' as const, content: 'Which is faster?' },
      ];
      const res = await client.complete('gemini_direct', { messages, stream: true });
      expect(res).toMatchObject({ provider: 'google', modelId: 'gemini-2.5-pro', costSource: 'computed', streamed: true });
      expect(res.costUsd).toBeGreaterThan(0);
      const body = google.requests.at(-1)!.body as Record<string, unknown>;
      expect(body).toMatchObject({ model: 'gemini-2.5-pro', reasoning_effort: 'medium', temperature: 0.5, stream: true, stream_options: { include_usage: true } });
      expect(body.max_tokens).toBeGreaterThan(0);
      expect(body).not.toHaveProperty('reasoning');
      expect(body).not.toHaveProperty('max_completion_tokens');
      expect((body.messages as Array<{ role: string }>).map((m) => m.role)).toEqual(['system', 'user']);
      expect(await client.lookupGeneration('gemini_direct', res.generationId ?? 'x')).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('a missing key is named by the profile: GEMINI_API_KEY', async () => {
    const client = new ModelClient({ config: configWith({}) });
    try {
      const err = await client.complete('gemini_direct', { messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ code: 'provider_auth', retryable: false });
      expect((err as Error).message).toContain('GEMINI_API_KEY');
      expect(google.requests).toHaveLength(0);
    } finally {
      await client.close();
    }
  });
});
