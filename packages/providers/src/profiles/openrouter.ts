import type { Price } from '@orch/contracts';
import type { ProviderProfile } from './profile';

/**
 * OpenRouter: reports each call's cost in `usage.cost` (routing, caching and BYOK discounts included),
 * looks generations up by id, publishes its prices at GET /models, always sends usage in streams, and
 * takes a reasoning effort as `reasoning: {effort}` for any model.
 */
export const openrouter: ProviderProfile = {
  kind: 'openrouter',
  keyEnv: 'OPENROUTER_API_KEY',
  developerRole: false,
  reasoning: (effort) => ({ reasoning: { effort } }),
  modelsReason: true,
  streamUsageOnRequest: false,
  reportsCost: true,
  generationLookup: true,
  livePrices: fetchOpenRouterPrices,
};

/** OpenRouter's list prices (GET /models: USD per token as strings) in USD per million tokens. */
export async function fetchOpenRouterPrices(baseUrl: string, timeoutMs = 15_000): Promise<Record<string, Price>> {
  const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/models`, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /models answered ${res.status}`);
  const body = (await res.json()) as { data?: Array<{ id?: unknown; pricing?: Record<string, unknown> }> };
  if (!Array.isArray(body.data)) throw new Error('GET /models: no data list');
  const perMillion = (v: unknown) => {
    const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : NaN;
    return Number.isFinite(n) && n >= 0 ? Math.round(n * 1e6 * 1e6) / 1e6 : undefined;
  };
  const out: Record<string, Price> = {};
  for (const m of body.data) {
    const input = perMillion(m.pricing?.prompt);
    const output = perMillion(m.pricing?.completion);
    const cached = perMillion(m.pricing?.input_cache_read);
    if (typeof m.id === 'string' && input !== undefined && output !== undefined) out[m.id] = { input, output, ...(cached !== undefined ? { cachedInput: cached } : {}) };
  }
  return out;
}
