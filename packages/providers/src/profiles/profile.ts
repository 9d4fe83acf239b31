import type { Price, ReasoningEffort } from '@orch/contracts';
import type { ProviderKind } from '@orch/config';

/**
 * What sets one kind of provider apart on the wire and in money: one file per kind in this folder, one
 * entry in `PROFILES` (index.ts). Nothing outside this folder asks which kind a provider is.
 */
export interface ProviderProfile {
  kind: ProviderKind;
  /** The environment variable its key is read from when the config names none; absent: a key is optional. */
  keyEnv?: string;
  /** It knows the `developer` role; elsewhere such a message goes as `system`. */
  developerRole: boolean;
  /** The body fields that ask a model that is not o-series for a reasoning effort; absent: it is not asked. */
  reasoning?: (effort: ReasoningEffort) => Record<string, unknown>;
  /** Its models think before they answer whatever the model id (thinking modes set an effort for them). */
  modelsReason: boolean;
  /** A stream carries usage only when `stream_options.include_usage` asks for it. */
  streamUsageOnRequest: boolean;
  /** It reports the call's cost in `usage.cost` (the cost then comes from it, not from the price table). */
  reportsCost: boolean;
  /** It can be asked later what a generation cost (`GET /generation?id=`): a lost stream is still booked exactly. */
  generationLookup: boolean;
  /** Which of its model ids take o-series wire rules (`max_completion_tokens`, no temperature); absent: none. */
  oSeriesModel?: (modelId: string) => boolean;
  /** Which of its model ids count prompt tokens with OpenAI's o200k tokenizer (others: a UTF-8 byte bound). */
  o200kModel?: (modelId: string) => boolean;
  /** Its live list prices by model id, read from the provider (absent: the configured prices stand). */
  livePrices?: (baseUrl: string, timeoutMs?: number) => Promise<Record<string, Price>>;
}

/** `reasoning_effort` as OpenAI-style APIs take it: low, medium or high (`minimal` is asked as low). */
export const wireEffort = (effort: ReasoningEffort): 'low' | 'medium' | 'high' => (effort === 'minimal' ? 'low' : effort);
