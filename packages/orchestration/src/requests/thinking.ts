import type { ReasoningEffort, ThinkingMode } from '@orch/contracts';
import type { ResolvedModel } from '@orch/config';
import { isOSeries, profileOf } from '@orch/providers';

/**
 * thinking_mode → what each provider understands. Reasoning effort goes to o-series models
 * (`reasoning_effort`) and to OpenRouter (`reasoning.effort`, which it maps to Gemini's thinking
 * budget). The output cap bounds the answer and, for the ledger, the worst-case reservation: a
 * "minimal" call reserves far less than a "max" one.
 */
const MODES: Record<ThinkingMode, { effort: ReasoningEffort; outputShare: number }> = {
  minimal: { effort: 'low', outputShare: 0.125 },
  low: { effort: 'low', outputShare: 0.25 },
  medium: { effort: 'medium', outputShare: 0.5 },
  high: { effort: 'high', outputShare: 1 },
  max: { effort: 'high', outputShare: 1 },
};

/** The smallest output cap any mode gives: reasoning models need room to think before they answer. */
const MIN_OUTPUT_TOKENS = 2048;

export function thinkingSettings(mode: ThinkingMode, model: ResolvedModel): { reasoningEffort?: ReasoningEffort; maxOutputTokens: number } {
  const m = MODES[mode];
  const cap = model.model.maxOutputTokens;
  const maxOutputTokens = Math.min(cap, Math.max(MIN_OUTPUT_TOKENS, Math.round(cap * m.outputShare)));
  const reasons = isOSeries(model) || profileOf(model.provider).modelsReason;
  return reasons ? { reasoningEffort: m.effort, maxOutputTokens } : { maxOutputTokens };
}
