import type { ProviderProfile } from './profile';

/**
 * OpenAI: the `developer` role, usage in streams only when asked; o-series models reason
 * (`reasoning_effort`, set where the model is known to be o-series), others do not. Costs come
 * from the configured price table.
 */
export const openai: ProviderProfile = {
  kind: 'openai',
  keyEnv: 'OPENAI_API_KEY',
  developerRole: true,
  modelsReason: false,
  streamUsageOnRequest: true,
  reportsCost: false,
  generationLookup: false,
  oSeriesModel: (id) => /^(o\d|gpt-5)/.test(id),
  o200kModel: (id) => /^(o\d|gpt-4o|gpt-4\.1|gpt-5)/.test(id),
};
