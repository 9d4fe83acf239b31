import type { ProviderKind, ResolvedModel } from '@orch/config';
import { gemini } from './gemini';
import { openai } from './openai';
import { openaiCompatible } from './openai-compatible';
import { openrouter } from './openrouter';
import type { ProviderProfile } from './profile';

export { wireEffort, type ProviderProfile } from './profile';
export { fetchOpenRouterPrices } from './openrouter';

/** Every kind's profile: a kind without one does not compile. Adding a provider is a file here and its line. */
export const PROFILES: Record<ProviderKind, ProviderProfile> = {
  openrouter,
  openai,
  openai_compatible: openaiCompatible,
  gemini,
};

/** The profile of a provider's kind. */
export function profileOf(provider: { kind: ProviderKind }): ProviderProfile {
  return PROFILES[provider.kind];
}

/** o-series wire rules apply: the model's own `oSeries`, else what its provider's profile says of its id. */
export function isOSeries(resolved: ResolvedModel): boolean {
  return resolved.model.oSeries ?? profileOf(resolved.provider).oSeriesModel?.(resolved.model.modelId) ?? false;
}
