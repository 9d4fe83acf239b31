/**
 * Built-in defaults: the seed's two models with their providers' published list prices.
 * config.yaml is deep-merged over this, then the environment over both.
 *
 * Prices are USD per million tokens. For OpenRouter the cost is taken from `usage.cost`, so these
 * prices only matter for the ledger's worst-case reservation and as a fallback.
 */
export const DEFAULT_CONFIG = {
  redis: {},
  logging: {},
  limits: {},
  alerts: {},
  prices: {},
  ledger: {},
  server: {},
  ws: {},
  worker: {},
  queue: { keepCompleted: {}, keepFailed: {} },
  orchestration: { files: {} },
  gateway: { rateLimit: {} },
  providers: {
    openrouter: {
      kind: 'openrouter',
      baseUrl: 'https://openrouter.ai/api/v1',
      queue: 'openrouter',
      headers: { 'HTTP-Referer': 'https://github.com/mcp-orchestrator', 'X-OpenRouter-Title': 'MCP Orchestrator' },
    },
    openai: {
      kind: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      queue: 'openai',
    },
  },
  models: {
    gemini_pro: {
      provider: 'openrouter',
      modelId: 'google/gemini-2.5-pro',
      description: 'Gemini 2.5 Pro via OpenRouter: long context (1M), strong at code and broad analysis. Always thinks.',
      maxOutputTokens: 32768,
      contextWindow: 1_048_576,
      temperature: 0.7,
      // $1.25 / $10 per M up to 200k prompt tokens, $2.50 / $15 above; cached reads 90% off.
      pricing: {
        input: 1.25,
        output: 10,
        cachedInput: 0.125,
        tiers: [{ aboveInputTokens: 200_000, input: 2.5, output: 15, cachedInput: 0.25 }],
      },
    },
    o3_architect: {
      provider: 'openai',
      modelId: 'o3',
      description: 'OpenAI o3: deliberate reasoning for architecture, design and hard problems. Slow; may take minutes.',
      maxOutputTokens: 16384,
      contextWindow: 200_000,
      reasoningEffort: 'high',
      // Since 2025-06-10: $2 input, $0.50 cached input, $8 output per M.
      pricing: { input: 2, output: 8, cachedInput: 0.5 },
    },
  },
} as const;
