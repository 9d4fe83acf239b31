import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configSecrets, costFromUsage, installedConfigFile, loadConfig, seedSpellingsOf } from './index';

const nowhere = '/nonexistent';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-cfg-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('has the documented defaults and the seed models with real prices', () => {
    const c = loadConfig({ cwd: nowhere, env: {} });
    expect(c.limits).toEqual({ maxCostPerRequest: 5, dailyLimit: 100, warningThreshold: 0.8, timeZone: 'UTC' });
    expect(c.server).toMatchObject({ restPort: 5050, wsPort: 8765, mcpHttpPort: 8080, host: '127.0.0.1' });
    expect(c.worker.metricsPort).toBe(9464);
    expect(c.models.gemini_pro).toMatchObject({ provider: 'openrouter', modelId: 'google/gemini-2.5-pro', pricing: { input: 1.25, output: 10 } });
    expect(c.models.gemini_pro!.pricing.tiers[0]).toMatchObject({ aboveInputTokens: 200_000, input: 2.5, output: 15 });
    expect(c.models.o3_architect).toMatchObject({ provider: 'openai', modelId: 'o3', pricing: { input: 2, cachedInput: 0.5, output: 8 } });
  });

  it('reads every documented environment variable', () => {
    const c = loadConfig({
      cwd: nowhere,
      env: {
        REDIS_URL: 'redis://r:6380',
        OPENROUTER_API_KEY: 'sk-or-abc',
        OPENAI_API_KEY: 'sk-abc123',
        OPENROUTER_BASE_URL: 'http://or.local/api/v1',
        OPENAI_BASE_URL: 'http://oa.local/v1',
        MCP_LOG_LEVEL: 'DEBUG',
        MCP_MAX_COST_PER_REQUEST: '2.5',
        MCP_DAILY_LIMIT: '40',
        REST_PORT: '6000',
        WS_PORT: '6001',
        MCP_HTTP_PORT: '6002',
        WORKER_METRICS_PORT: '6003',
        WORKER_CONCURRENCY: '3',
      },
    });
    expect(c.redis.url).toBe('redis://r:6380');
    expect(c.providers.openrouter).toMatchObject({ apiKey: 'sk-or-abc', baseUrl: 'http://or.local/api/v1' });
    expect(c.providers.openai).toMatchObject({ apiKey: 'sk-abc123', baseUrl: 'http://oa.local/v1' });
    expect(c.logging.level).toBe('debug');
    expect(c.limits).toMatchObject({ maxCostPerRequest: 2.5, dailyLimit: 40 });
    expect(c.server).toMatchObject({ restPort: 6000, wsPort: 6001, mcpHttpPort: 6002 });
    expect(c.worker).toMatchObject({ metricsPort: 6003, concurrency: 3 });
    expect(configSecrets(c).sort()).toEqual(['sk-abc123', 'sk-or-abc']);
  });

  it('lists every invalid setting at once, naming the variable', () => {
    const problems = problemsOf(() =>
      loadConfig({ cwd: nowhere, env: { MCP_DAILY_LIMIT: 'lots', REST_PORT: '70000', WORKER_CONCURRENCY: '0', MCP_LOG_LEVEL: 'loud', REDIS_URL: 'localhost' } }),
    );
    expect(problems).toHaveLength(5);
    for (const name of ['MCP_DAILY_LIMIT', 'REST_PORT', 'WORKER_CONCURRENCY', 'MCP_LOG_LEVEL', 'REDIS_URL']) {
      expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    }
  });

  it('lets an operator add a model on any OpenAI-compatible endpoint, keeping the defaults', () => {
    const file = yamlFile(`
providers:
  ollama:
    kind: openai_compatible
    baseUrl: http://localhost:11434/v1
    queue: openai
    apiKeyEnv: OLLAMA_KEY
models:
  llama_local:
    provider: ollama
    modelId: llama3.1:8b
    maxOutputTokens: 4096
    pricing: { input: 0, output: 0 }
  gemini_pro:
    temperature: 0.2
limits:
  dailyLimit: 20
`);
    const c = loadConfig({ cwd: nowhere, env: { ORCH_CONFIG: file, OLLAMA_KEY: 'local-secret' } });
    expect(Object.keys(c.models).sort()).toEqual(['gemini_pro', 'llama_local', 'o3_architect']);
    expect(c.models.gemini_pro).toMatchObject({ temperature: 0.2, modelId: 'google/gemini-2.5-pro' });
    expect(c.providers.ollama).toMatchObject({ apiKey: 'local-secret', queue: 'openai' });
    expect(c.limits.dailyLimit).toBe(20);
  });

  it('names file problems by path and rejects keys in YAML', () => {
    const file = yamlFile(`
providers:
  openai:
    apiKey: sk-should-not-be-here
models:
  broken:
    provider: nowhere
    modelId: x
    pricing: { input: -1, output: 1 }
`);
    const problems = problemsOf(() => loadConfig({ cwd: nowhere, env: { ORCH_CONFIG: file } }));
    expect(problems.join('\n')).toContain('providers.openai.apiKey');
    expect(problems.join('\n')).toContain('models.broken.provider');
    expect(problems.join('\n')).toContain('models.broken.pricing.input');
  });

  it('fails when ORCH_CONFIG names a missing file, and on invalid YAML', () => {
    expect(problemsOf(() => loadConfig({ cwd: nowhere, env: { ORCH_CONFIG: '/no/such.yaml' } }))[0]).toContain('ORCH_CONFIG');
    expect(problemsOf(() => loadConfig({ cwd: nowhere, env: { ORCH_CONFIG: yamlFile('a: [1, 2') } }))[0]).toContain('not valid YAML');
  });

  it('parses booleans strictly', () => {
    const file = yamlFile('models:\n  gemini_pro:\n    streaming: "false"\n  o3_architect:\n    enabled: "nope"\n');
    expect(problemsOf(() => loadConfig({ cwd: nowhere, env: { ORCH_CONFIG: file } }))[0]).toContain('models.o3_architect.enabled');
    const ok = yamlFile('models:\n  gemini_pro:\n    streaming: "false"\n');
    expect(loadConfig({ cwd: nowhere, env: { ORCH_CONFIG: ok } }).models.gemini_pro!.streaming).toBe(false);
  });
});

describe('config mistakes stop the process (issue 14.5)', () => {
  it('names every unknown key, with near misses spelled out; a setting in both spellings is an error naming both', () => {
    const file = yamlFile(`
limts:
  dailyLimit: 3
models:
  gemini_pro:
    provider: openrouter
    model_id: google/gemini-2.5-pro
    modelId: google/gemini-2.5-pro
    api_key: sk-nope
    temprature: 0.7
strategies:
  external_enhancement:
    models: [gemini_pro]
orchestration:
  strategies:
    external_enhancement:
      models: [gemini_pro]
`);
    const problems = problemsOf(() => loadConfig({ cwd: nowhere, env: { ORCH_CONFIG: file } }));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^limts \(in .*\): unknown setting; did you mean limits\?$/),
        expect.stringMatching(/^models\.gemini_pro\.model_id and models\.gemini_pro\.modelId \(in .*\) are the same setting.*keep one$/),
        expect.stringMatching(/^models\.gemini_pro\.api_key .*apiKeyEnv/),
        expect.stringMatching(/^models\.gemini_pro\.temprature .*did you mean temperature\?/),
        expect.stringMatching(/^strategies\.external_enhancement and orchestration\.strategies\.external_enhancement .*keep one$/),
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  // Issue 30.6: the seed README's config/config.yaml, copied verbatim, loads and means what it meant.
  it("loads the seed's config.yaml as written: model_id, max_tokens, and the strategies block", () => {
    const c = loadConfig({ cwd: nowhere, env: { ORCH_CONFIG: join(__dirname, '..', 'test', 'seed-config.yaml') } });
    expect(c.models.gemini_pro).toMatchObject({ provider: 'openrouter', modelId: 'google/gemini-2.5-pro-preview', maxOutputTokens: 32768, temperature: 0.7 });
    expect(c.models.o3_architect).toMatchObject({ provider: 'openai', modelId: 'o3', maxOutputTokens: 16384, temperature: 0.8 });
    expect(c.orchestration.strategies).toEqual({
      external_enhancement: { models: ['gemini_pro', 'o3_architect'] },
      max_quality_council: { models: ['gemini_pro', 'o3_architect'], requireConsensus: true },
    });
    expect(seedSpellingsOf(c)).toEqual(expect.arrayContaining(['models.gemini_pro.model_id → modelId', 'models.o3_architect.max_tokens → maxOutputTokens', 'strategies.max_quality_council → orchestration.strategies.max_quality_council']));
    expect(seedSpellingsOf(loadConfig({ cwd: nowhere, defaultFile: null, env: {} }))).toEqual([]);
  });

  it('a model names its fallbacks: configured, enabled models other than itself (issue 30.3)', () => {
    expect(loadConfig({ cwd: nowhere, path: yamlFile('models:\n  gemini_pro:\n    fallbacks: [o3_architect]\n'), env: {} }).models.gemini_pro!.fallbacks).toEqual(['o3_architect']);
    expect(loadConfig({ cwd: nowhere, env: {} }).models.o3_architect!.fallbacks).toEqual([]);
    const problems = problemsOf(() => loadConfig({ cwd: nowhere, path: yamlFile('models:\n  gemini_pro:\n    fallbacks: [gemini_pro, nope]\n'), env: {} }));
    expect(problems).toEqual([expect.stringMatching(/models\.gemini_pro\.fallbacks\.0.*names the model itself/), expect.stringMatching(/models\.gemini_pro\.fallbacks\.1.*names model "nope", which is not configured or not enabled/)]);
  });

  it('a strategy naming an unknown model is an error', () => {
    const file = yamlFile(`
strategies:
  external_enhancement:
    models: [gemini_pro, nope]
`);
    expect(problemsOf(() => loadConfig({ cwd: nowhere, env: { ORCH_CONFIG: file } }))).toEqual([expect.stringMatching(/^orchestration\.strategies\.external_enhancement\.models\.1.*"nope"/)]);
  });

  it('reads any setting from the file its NAME_FILE variable names (Docker and Kubernetes secrets)', () => {
    const key = yamlFile('sk-from-a-secret-file\n');
    const keys = yamlFile('k-one-123,k-two-456\n');
    const c = loadConfig({ cwd: nowhere, env: { OPENAI_API_KEY_FILE: key, ORCH_API_KEYS_FILE: keys } });
    expect(c.providers.openai!.apiKey).toBe('sk-from-a-secret-file');
    expect(c.gateway.apiKeys).toEqual(['k-one-123', 'k-two-456']);
    // The variable itself wins; an unreadable file is named.
    expect(loadConfig({ cwd: nowhere, env: { OPENAI_API_KEY: 'sk-direct', OPENAI_API_KEY_FILE: key } }).providers.openai!.apiKey).toBe('sk-direct');
    expect(problemsOf(() => loadConfig({ cwd: nowhere, env: { OPENROUTER_API_KEY_FILE: '/no/such/secret' } }))).toEqual([expect.stringMatching(/^OPENROUTER_API_KEY_FILE: cannot read \/no\/such\/secret \(ENOENT\)$/)]);
  });

  it('finds the installation\'s config/config.yaml whatever the working directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-install-'));
    mkdirSync(join(dir, 'config'));
    mkdirSync(join(dir, 'node_modules', '@orch', 'config', 'dist'), { recursive: true });
    writeFileSync(join(dir, 'config', 'config.yaml'), 'limits:\n  dailyLimit: 7\n');
    const installed = installedConfigFile(join(dir, 'node_modules', '@orch', 'config', 'dist'));
    expect(installed).toBe(join(dir, 'config', 'config.yaml'));
    expect(loadConfig({ cwd: nowhere, env: {}, defaultFile: installed }).limits.dailyLimit).toBe(7);
    // This checkout's own file, found from the package, not from the working directory.
    expect(installedConfigFile()).toBe(join(__dirname, '..', '..', '..', 'config', 'config.yaml'));
    expect(loadConfig({ cwd: nowhere, env: {}, defaultFile: null }).providers.openai!.timeoutMs).toBe(600_000);
    expect(loadConfig({ cwd: nowhere, env: {} }).providers.openai!.timeoutMs).toBe(900_000);
  });
});

describe('costFromUsage', () => {
  const c = loadConfig({ cwd: nowhere, env: {} });
  it('never counts cached or reasoning tokens twice', () => {
    // o3: 1000 prompt of which 400 cached, 300 completion of which 200 reasoning.
    expect(costFromUsage(c.models.o3_architect!.pricing, { promptTokens: 1000, cachedTokens: 400, completionTokens: 300 })).toBeCloseTo(
      (600 * 2 + 400 * 0.5 + 300 * 8) / 1e6,
      12,
    );
  });
  it('switches Gemini to the long-context tier above 200k prompt tokens', () => {
    const p = c.models.gemini_pro!.pricing;
    expect(costFromUsage(p, { promptTokens: 200_000, cachedTokens: 0, completionTokens: 1000 })).toBeCloseTo((200_000 * 1.25 + 1000 * 10) / 1e6, 12);
    expect(costFromUsage(p, { promptTokens: 200_001, cachedTokens: 0, completionTokens: 1000 })).toBeCloseTo((200_001 * 2.5 + 1000 * 15) / 1e6, 12);
  });
});
