import type { Usage } from '@orch/contracts';
import { costFromUsage, roundUsd, type ResolvedModel } from '@orch/config';
import { profileOf } from './profiles';

/** Usage as the OpenAI and OpenRouter chat APIs report it (OpenRouter adds `cost`). */
export interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  cost?: number | null;
}

export function normaliseUsage(u: WireUsage): Usage {
  const promptTokens = u.prompt_tokens ?? 0;
  const completionTokens = u.completion_tokens ?? 0;
  return {
    promptTokens,
    completionTokens,
    totalTokens: u.total_tokens ?? promptTokens + completionTokens,
    cachedTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
    reasoningTokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}

/** Rough count for servers that report no usage (some local OpenAI-compatible servers). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The call's cost: the provider's own `usage.cost` when its profile says it reports one and it is
 * present (OpenRouter's knows routing, caching and BYOK discounts), otherwise tokens × the configured
 * price table.
 */
export function costOf(resolved: ResolvedModel, usage: Usage, wire: WireUsage | undefined): { costUsd: number; costSource: 'provider' | 'computed' } {
  if (profileOf(resolved.provider).reportsCost && typeof wire?.cost === 'number' && Number.isFinite(wire.cost)) {
    return { costUsd: roundUsd(wire.cost), costSource: 'provider' };
  }
  return { costUsd: costFromUsage(resolved.model.pricing, usage), costSource: 'computed' };
}
