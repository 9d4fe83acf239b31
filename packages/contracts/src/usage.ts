import { z } from 'zod';

/**
 * Token usage of one model call, normalised across providers.
 * `cachedTokens` is part of `promptTokens`; `reasoningTokens` is part of `completionTokens`
 * (both OpenAI and OpenRouter report them that way; counting them twice is the classic
 * cost bug, see LiteLLM #6215 and #14849).
 */
export const UsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  cachedTokens: z.number().int().nonnegative().default(0),
  reasoningTokens: z.number().int().nonnegative().default(0),
});
export type Usage = z.infer<typeof UsageSchema>;

/** USD per million tokens. */
export const PriceSchema = z.object({
  input: z.number().nonnegative().describe('USD per million input (prompt) tokens'),
  output: z.number().nonnegative().describe('USD per million output tokens, reasoning tokens included'),
  cachedInput: z.number().nonnegative().optional().describe('USD per million cached input tokens; defaults to `input`'),
});
export type Price = z.infer<typeof PriceSchema>;

export const PricingSchema = PriceSchema.extend({
  /** Higher prices once the prompt passes a size (Gemini 2.5 Pro: above 200k tokens). */
  tiers: z
    .array(PriceSchema.extend({ aboveInputTokens: z.number().int().positive() }))
    .default([]),
});
export type Pricing = z.infer<typeof PricingSchema>;
