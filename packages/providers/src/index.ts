export { ModelClient } from './model-client';
export type { CompletionRequest, CompletionResponse, GenerationCost, ModelClientOptions } from './model-client';
export { ProviderError } from './provider-error';
export type { BillingState } from './provider-error';
export { classifyProviderError, parseRetryAfter } from './classify-error';
export type { FailurePhase } from './classify-error';
export { normaliseUsage, costOf, estimateTokens } from './usage';
export type { WireUsage } from './usage';
