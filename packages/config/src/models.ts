import type { Pricing, Price, Usage } from '@orch/contracts';
import type { Config, ModelConfig, ProviderConfig } from './schema';
import { OrchestratorError } from '@orch/contracts';

export interface ResolvedModel {
  key: string;
  model: ModelConfig;
  provider: ProviderConfig;
  providerKey: string;
}

export function resolveModel(config: Config, key: string): ResolvedModel {
  const model = Object.hasOwn(config.models, key) ? config.models[key] : undefined;
  if (!model || !model.enabled) {
    throw new OrchestratorError('unknown_model', `Unknown model "${key}". Configured: ${enabledModelKeys(config).join(', ')}`);
  }
  const provider = config.providers[model.provider];
  if (!provider) throw new OrchestratorError('invalid_config', `Model "${key}" names a missing provider`);
  return { key, model, provider, providerKey: model.provider };
}

export function enabledModelKeys(config: Config): string[] {
  return Object.entries(config.models)
    .filter(([, m]) => m.enabled)
    .map(([k]) => k);
}

/** Model keys whose provider runs on the given queue. */
export function modelsOnQueue(config: Config, queue: string): string[] {
  return enabledModelKeys(config).filter((k) => config.providers[config.models[k]!.provider]?.queue === queue);
}

/** The price row that applies to a prompt of this size (tiers by `aboveInputTokens`). */
export function priceFor(pricing: Pricing, promptTokens: number): Price {
  let chosen: Price = pricing;
  let threshold = -1;
  for (const tier of pricing.tiers) {
    if (promptTokens > tier.aboveInputTokens && tier.aboveInputTokens > threshold) {
      chosen = tier;
      threshold = tier.aboveInputTokens;
    }
  }
  return chosen;
}

/**
 * USD cost from usage: (prompt − cached) × input + cached × cachedInput + completion × output.
 * Cached tokens are part of the prompt and reasoning tokens part of the completion, so neither is
 * added again.
 */
export function costFromUsage(pricing: Pricing, usage: Pick<Usage, 'promptTokens' | 'completionTokens' | 'cachedTokens'>): number {
  const price = priceFor(pricing, usage.promptTokens);
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const usd =
    ((usage.promptTokens - cached) * price.input + cached * (price.cachedInput ?? price.input) + usage.completionTokens * price.output) /
    1_000_000;
  return roundUsd(usd);
}

/** Round to 1e-9 USD to keep float noise out of sums. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}

/** The ledger's record retention in seconds (LedgerOptions.retention). */
export function ledgerRetention(config: Config): { daySeconds: number; requestSeconds: number } {
  return { daySeconds: config.ledger.dayRetentionDays * 86_400, requestSeconds: config.ledger.requestRetentionSeconds };
}
