import { wireEffort, type ProviderProfile } from './profile';

/**
 * Google's Gemini API directly, through its OpenAI-compatible endpoint
 * (`https://generativelanguage.googleapis.com/v1beta/openai`, key from GEMINI_API_KEY): no `developer`
 * role, usage in streams when asked, and a thinking budget asked as `reasoning_effort` (low, medium,
 * high) for every model. Costs come from the configured price table.
 */
export const gemini: ProviderProfile = {
  kind: 'gemini',
  keyEnv: 'GEMINI_API_KEY',
  developerRole: false,
  reasoning: (effort) => ({ reasoning_effort: wireEffort(effort) }),
  modelsReason: true,
  streamUsageOnRequest: true,
  reportsCost: false,
  generationLookup: false,
};
