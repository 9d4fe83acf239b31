import type { ChatMessage } from '@orch/contracts';
import { priceFor, type ResolvedModel } from '@orch/config';
import { profileOf } from '@orch/providers';

/** Per-message framing tokens (role, separators), generous for every chat format we call. */
const PER_MESSAGE = 8;
const PER_REQUEST = 8;

type Counter = (text: string) => number;
let o200k: Counter | undefined;

/** OpenAI's o200k tokenizer (o-series, gpt-4o, gpt-5), loaded on first use (its tables are large). */
function o200kCounter(): Counter {
  if (!o200k) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('gpt-tokenizer/encoding/o200k_base') as { countTokens(text: string): number };
    o200k = (text) => mod.countTokens(text);
  }
  return o200k;
}

/** Tokens of a text under o200k (what tools/list costs a caller's context is measured with it). */
export function countO200kTokens(text: string): number {
  return o200kCounter()(text);
}

export interface PromptCount {
  tokens: number;
  /** `tokenizer`: counted with the model's own tokenizer; `bytes_bound`: an upper bound. */
  method: 'tokenizer' | 'bytes_bound';
}

/**
 * Prompt tokens of a call. OpenAI models are counted with their tokenizer. Others (Gemini, local
 * models) get a true upper bound: UTF-8 bytes, since byte-level BPE and SentencePiece with byte
 * fallback never produce more tokens than bytes. Capped at the model's context window.
 */
export function countPromptTokens(model: ResolvedModel, messages: ChatMessage[]): PromptCount {
  const useTokenizer = profileOf(model.provider).o200kModel?.(model.model.modelId) ?? false;
  const count: Counter = useTokenizer ? o200kCounter() : (text) => Buffer.byteLength(text, 'utf8');
  let tokens = PER_REQUEST;
  for (const m of messages) tokens += count(m.content) + PER_MESSAGE;
  if (model.model.contextWindow) tokens = Math.min(tokens, model.model.contextWindow);
  return { tokens, method: useTokenizer ? 'tokenizer' : 'bytes_bound' };
}

export interface CostEstimate {
  promptTokens: number;
  maxOutputTokens: number;
  /** Worst case: every prompt token at the full input price (no cache discount) + the whole output cap. */
  usd: number;
  method: PromptCount['method'];
}

/** Worst-case cost of a call, at the price tier its prompt size falls in. */
export function worstCaseCost(model: ResolvedModel, messages: ChatMessage[], maxOutputTokens?: number): CostEstimate {
  const prompt = countPromptTokens(model, messages);
  const out = Math.min(maxOutputTokens ?? model.model.maxOutputTokens, model.model.maxOutputTokens);
  const price = priceFor(model.model.pricing, prompt.tokens);
  return {
    promptTokens: prompt.tokens,
    maxOutputTokens: out,
    usd: (prompt.tokens * price.input + out * price.output) / 1_000_000,
    method: prompt.method,
  };
}
