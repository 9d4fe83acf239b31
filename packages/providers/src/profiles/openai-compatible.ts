import type { ProviderProfile } from './profile';

/** Any server that speaks plain OpenAI chat (vLLM, Ollama, LM Studio…): a key only if it wants one. */
export const openaiCompatible: ProviderProfile = {
  kind: 'openai_compatible',
  developerRole: false,
  modelsReason: false,
  streamUsageOnRequest: true,
  reportsCost: false,
  generationLookup: false,
};
