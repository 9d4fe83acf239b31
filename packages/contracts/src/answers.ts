import type { ModelCallResult } from './jobs';
import type { Answer, ModelToolOutput } from './tools';

/** A model call's result as its answer in a tool's output (`round`, and a council's stance or ballot). */
export function callAnswer(r: ModelCallResult, round: number, extra: Pick<Answer, 'stance' | 'vote' | 'fallback_of'> = {}): Answer {
  return {
    model: r.model,
    model_id: r.modelId,
    provider: r.provider,
    round,
    text: r.text,
    prompt_tokens: r.usage.promptTokens,
    completion_tokens: r.usage.completionTokens,
    reasoning_tokens: r.usage.reasoningTokens,
    ...(r.usageEstimated ? { tokens_estimated: true } : {}),
    cost_usd: r.costUsd,
    latency_ms: r.latencyMs,
    ...extra,
  };
}

/** A tool output's totals over the calls it billed: models answered, tokens, cost (to the nano-dollar). */
export function answerTotals(answered: Answer[], billed: Answer[]): ModelToolOutput['totals'] {
  return {
    models: [...new Set(answered.map((a) => a.model))],
    prompt_tokens: billed.reduce((n, a) => n + a.prompt_tokens, 0),
    completion_tokens: billed.reduce((n, a) => n + a.completion_tokens, 0),
    cost_usd: Math.round(billed.reduce((n, a) => n + a.cost_usd, 0) * 1e9) / 1e9,
    ...(billed.some((a) => a.tokens_estimated) ? { tokens_estimated: true } : {}),
  };
}
